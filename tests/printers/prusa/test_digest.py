"""HTTP Digest: challenge parsing and Authorization headers for both PrusaLink flavours."""

from __future__ import annotations

import hashlib

import pytest

from custom_components.printernizer.printers.prusa.auth import (
    DigestAuth,
    DigestChallenge,
    DigestError,
    digest_response,
    parse_challenge,
    parse_params,
)


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def test_rfc2617_example_vector() -> None:
    """RFC 2617 §3.5: Mufasa / "Circle Of Life"."""
    assert (
        digest_response(
            username="Mufasa",
            password="Circle Of Life",
            realm="testrealm@host.com",
            method="GET",
            uri="/dir/index.html",
            nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
            qop="auth",
            nc="00000001",
            cnonce="0a4f113b",
        )
        == "6629fae49393a05397450978507c4ef1"
    )


def test_buddy_challenge_without_qop() -> None:
    challenge = parse_challenge('Digest realm="Printer API", nonce="57119ca3000011e0", stale=false')
    assert challenge == DigestChallenge(realm="Printer API", nonce="57119ca3000011e0")
    auth = DigestAuth("maker", "secret")
    assert auth.update(challenge) is True
    header = auth.authorization("GET", "/api/v1/status")
    assert header is not None
    # RFC 2069 response, and no algorithm/qop/nc/cnonce tokens (Buddy < 5.2.0 rejects them).
    expected = md5(
        f"{md5('maker:Printer API:secret')}:57119ca3000011e0:{md5('GET:/api/v1/status')}"
    )
    assert header == (
        'Digest username="maker", realm="Printer API", nonce="57119ca3000011e0", '
        f'uri="/api/v1/status", response="{expected}"'
    )
    assert "algorithm" not in header
    assert "qop" not in header


def test_rpi_challenge_with_qop_sess_and_opaque() -> None:
    challenge = parse_challenge(
        'Digest realm="Administrator", qop="auth", algorithm="MD5-sess", nonce="abc", opaque="xyz", stale=true'
    )
    assert challenge is not None
    assert challenge.qop == "auth"
    assert challenge.algorithm == "MD5-sess"
    assert challenge.opaque == "xyz"
    assert challenge.stale is True
    auth = DigestAuth("me", "pw")
    auth.update(challenge)
    first = auth.authorization("GET", "/api/v1/status")
    second = auth.authorization("GET", "/api/v1/status")
    assert first is not None
    assert second is not None
    params1, params2 = parse_params(first[7:]), parse_params(second[7:])
    assert params1["nc"] == "00000001"
    assert params2["nc"] == "00000002"  # nonce reused, counted
    assert params1["algorithm"] == "MD5-sess"
    assert params1["opaque"] == "xyz"
    assert params1["qop"] == "auth"
    ha1 = md5(f"{md5('me:Administrator:pw')}:abc:{params1['cnonce']}")
    assert params1["response"] == md5(
        f"{ha1}:abc:00000001:{params1['cnonce']}:auth:{md5('GET:/api/v1/status')}"
    )


def test_new_nonce_resets_count() -> None:
    auth = DigestAuth("maker", "pw")
    assert auth.authorization("GET", "/") is None
    auth.update(DigestChallenge(realm="r", nonce="n1", qop="auth"))
    auth.authorization("GET", "/")
    assert auth.update(DigestChallenge(realm="r", nonce="n1", qop="auth", stale=True)) is False
    assert auth.nonce_count == 1
    assert auth.update(DigestChallenge(realm="r", nonce="n2", qop="auth")) is True
    assert auth.nonce_count == 0
    auth.reset()
    assert auth.challenge is None
    assert auth.username == "maker"


@pytest.mark.parametrize(
    ("header", "qop", "algorithm"),
    [
        ('Digest realm="r", nonce="n", qop="auth,auth-int"', "auth", None),
        ('Digest realm="r", nonce="n", qop="auth-int"', "auth-int", None),
        ("Digest realm=r, nonce=n, algorithm=SHA-256", None, "SHA-256"),
        ('Digest realm="r", nonce="n", algorithm=SHA-512-256-sess', None, "SHA-512-256-sess"),
    ],
)
def test_challenge_variants(header: str, qop: str | None, algorithm: str | None) -> None:
    challenge = parse_challenge(header)
    assert challenge is not None
    assert challenge.qop == qop
    assert challenge.algorithm == algorithm
    auth = DigestAuth("u", "p")
    auth.update(challenge)
    value = auth.authorization("PUT", "/api/v1/job/1/pause")
    assert value is not None
    params = parse_params(value[7:])
    assert params["response"] == digest_response(
        username="u",
        password="p",
        realm="r",
        method="PUT",
        uri="/api/v1/job/1/pause",
        nonce="n",
        algorithm=algorithm,
        qop=qop,
        nc=params.get("nc"),
        cnonce=params.get("cnonce"),
    )


@pytest.mark.parametrize("header", ["Basic realm=x", 'Digest realm="r"', "", 'Digest nonce=""'])
def test_not_a_digest_challenge(header: str) -> None:
    assert parse_challenge(header) is None


@pytest.mark.parametrize(
    "header",
    ['Digest realm="r", nonce="n", qop="bogus"', 'Digest realm="r", nonce="n", algorithm=SHA-1'],
)
def test_unsupported_challenge(header: str) -> None:
    with pytest.raises(DigestError):
        parse_challenge(header)


def test_quotes_are_escaped() -> None:
    auth = DigestAuth('we"ird', "pw")
    auth.update(DigestChallenge(realm='a "b"', nonce="n"))
    value = auth.authorization("GET", "/x")
    assert value is not None
    assert 'username="we\\"ird"' in value
    assert parse_params(value[7:])["realm"] == 'a "b"'
