"""HTTP Digest authentication (RFC 7616 / RFC 2069) as PrusaLink servers expect it.

We do not use ``aiohttp.DigestAuthMiddleware`` because of device behaviour it does not cover:

- Buddy boards (MINI, MK4, XL, CORE One) challenge with
  ``Digest realm="Printer API", nonce="<16 hex>", stale=false``: no ``qop``, no ``algorithm``,
  no ``opaque``. The firmware computes the RFC 2069 response ``MD5(HA1:nonce:HA2)`` and, before
  firmware 5.2.0 (Prusa-Firmware-Buddy PR #3665), its request parser rejected an Authorization
  header that carried an unquoted ``algorithm=MD5`` token. aiohttp always sends
  ``algorithm=MD5``; we send ``algorithm`` only when the challenge named one.
- The Raspberry Pi PrusaLink (poorwsgi) challenges with ``qop="auth"``, an ``algorithm``
  (possibly ``MD5-sess``) and an ``opaque``; it *requires* ``algorithm``, ``opaque`` and ``qop``
  to be echoed exactly.
- Buddy nonces live 300 s on current firmware (5 s on old firmware); a request with an expired
  nonce is answered ``401`` with ``stale=true`` when the digest itself was right. We reuse the
  nonce for every request (counting ``nc`` where ``qop`` is in use) so that a poll costs one
  request, and re-sign once when the printer hands out a new nonce.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import hashlib
import re
import secrets
from typing import Final

_HASHES: Final[dict[str, Callable[[bytes], str]]] = {
    "MD5": lambda data: hashlib.md5(data, usedforsecurity=False).hexdigest(),
    "SHA-256": lambda data: hashlib.sha256(data).hexdigest(),
    "SHA-512-256": lambda data: hashlib.new("sha512_256", data).hexdigest(),
}
# key="quoted value" or key=token
_PARAM_RE: Final = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?')


class DigestError(ValueError):
    """The challenge cannot be answered (unsupported algorithm or qop, missing nonce)."""


@dataclass(frozen=True, slots=True)
class DigestChallenge:
    """One ``WWW-Authenticate: Digest ...`` challenge."""

    realm: str
    nonce: str
    qop: str | None = None
    """The qop we will use (``auth`` preferred), ``None`` for RFC 2069 style servers (Buddy)."""
    algorithm: str | None = None
    """As the server spelled it; ``None`` when the challenge did not name one."""
    opaque: str | None = None
    stale: bool = False


def parse_params(text: str) -> dict[str, str]:
    """Parse ``key=value, key="quoted"`` auth parameters (keys lower-cased)."""
    params: dict[str, str] = {}
    for match in _PARAM_RE.finditer(text):
        quoted, token = match.group(2), match.group(3)
        value = quoted.replace('\\"', '"').replace("\\\\", "\\") if quoted is not None else token
        params[match.group(1).lower()] = value
    return params


def parse_challenge(header: str) -> DigestChallenge | None:
    """Return the Digest challenge in a ``WWW-Authenticate`` value, or ``None``."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    params = parse_params(rest)
    nonce = params.get("nonce")
    if not nonce:
        return None
    qop: str | None = None
    if offered := params.get("qop"):
        options = {item.strip().lower() for item in offered.split(",") if item.strip()}
        if "auth" in options:
            qop = "auth"
        elif "auth-int" in options:
            # Every request we sign has an empty body, so auth-int is auth with H("").
            qop = "auth-int"
        else:
            raise DigestError(f"unsupported digest qop {offered!r}")
    algorithm = params.get("algorithm") or None
    if algorithm is not None and algorithm.upper().removesuffix("-SESS") not in _HASHES:
        raise DigestError(f"unsupported digest algorithm {algorithm!r}")
    return DigestChallenge(
        realm=params.get("realm", ""),
        nonce=nonce,
        qop=qop,
        algorithm=algorithm,
        opaque=params.get("opaque"),
        stale=params.get("stale", "").lower() == "true",
    )


class DigestAuth:
    """Signs requests for one printer; keeps the nonce between requests."""

    def __init__(self, username: str, password: str) -> None:
        """Store the credentials; nothing is known about the server yet."""
        self._username = username
        self._password = password
        self.challenge: DigestChallenge | None = None
        self.nonce_count = 0
        self._cnonce = ""

    @property
    def username(self) -> str:
        """Return the digest user name."""
        return self._username

    def reset(self) -> None:
        """Forget the nonce (after a reconnect the printer may have rebooted)."""
        self.challenge = None
        self.nonce_count = 0

    def update(self, challenge: DigestChallenge) -> bool:
        """Take a new challenge; return True when it carries a nonce we have not used yet."""
        fresh = self.challenge is None or challenge.nonce != self.challenge.nonce
        self.challenge = challenge
        if fresh:
            self.nonce_count = 0
            self._cnonce = secrets.token_hex(8)
        return fresh

    def authorization(self, method: str, uri: str) -> str | None:
        """Return the Authorization header for a request, or None before the first challenge."""
        challenge = self.challenge
        if challenge is None:
            return None
        self.nonce_count += 1
        nc = f"{self.nonce_count:08x}"
        response = digest_response(
            username=self._username,
            password=self._password,
            realm=challenge.realm,
            method=method,
            uri=uri,
            nonce=challenge.nonce,
            algorithm=challenge.algorithm,
            qop=challenge.qop,
            nc=nc,
            cnonce=self._cnonce,
        )

        parts = [
            f'username="{_quote(self._username)}"',
            f'realm="{_quote(challenge.realm)}"',
            f'nonce="{_quote(challenge.nonce)}"',
            f'uri="{_quote(uri)}"',
            f'response="{response}"',
        ]
        if challenge.algorithm is not None:
            # Echo only what the server named: Buddy < 5.2.0 chokes on an algorithm token.
            parts.append(f"algorithm={challenge.algorithm}")
        if challenge.opaque is not None:
            parts.append(f'opaque="{_quote(challenge.opaque)}"')
        if challenge.qop:
            parts.extend((f"qop={challenge.qop}", f"nc={nc}", f'cnonce="{self._cnonce}"'))
        elif (challenge.algorithm or "").upper().endswith("-SESS"):
            # Session algorithms hash the cnonce into HA1, so the server needs it.
            parts.append(f'cnonce="{self._cnonce}"')
        return "Digest " + ", ".join(parts)


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def digest_response(
    *,
    username: str,
    password: str,
    realm: str,
    method: str,
    uri: str,
    nonce: str,
    algorithm: str | None = None,
    qop: str | None = None,
    nc: str | None = None,
    cnonce: str | None = None,
) -> str:
    """Compute the expected ``response`` value (used by servers, i.e. our simulator)."""
    algo = (algorithm or "MD5").upper()
    hash_fn = _HASHES.get(algo.removesuffix("-SESS"), _HASHES["MD5"])
    ha1 = hash_fn(f"{username}:{realm}:{password}".encode())
    if algo.endswith("-SESS"):
        ha1 = hash_fn(f"{ha1}:{nonce}:{cnonce}".encode())
    a2 = f"{method.upper()}:{uri}"
    if qop == "auth-int":
        a2 = f"{a2}:{hash_fn(b'')}"
    ha2 = hash_fn(a2.encode())
    if qop:
        return hash_fn(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}".encode())
    return hash_fn(f"{ha1}:{nonce}:{ha2}".encode())
