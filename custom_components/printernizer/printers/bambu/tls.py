"""TLS for Bambu Lab printers: pin the printer's key on first use, like SSH known_hosts.

Bambu printers present a certificate issued by Bambu's own CA whose subject common name is the
printer's serial number (they are reached by IP, so host name checks cannot work). We do not ship
Bambu's CA files: Bambu has introduced new CAs for new models before, which broke clients that
pinned the CA. Instead:

1. At setup, :func:`fetch_certificate` connects without CA verification, checks that the subject
   CN equals the serial the user entered, and returns the SHA-256 of the certificate's
   SubjectPublicKeyInfo (the *pin*). The caller stores the pin with the config entry.
2. Every later connection uses a context from :func:`create_client_context` with that pin; the
   TLS socket verifies the peer's key right after the handshake and before a single byte of MQTT
   (which carries the access code) is written. A different key raises
   :class:`~..errors.PinMismatchError` with the expected and the actual pin, so the user can be
   asked whether to trust the new key.
3. ``verify=False`` is an explicit opt-out for MQTT proxies/bridges that present their own
   certificate; callers must warn the user about it.

Creating an :class:`ssl.SSLContext` can take a noticeable amount of time, so it must not happen on
the event loop: use :func:`async_create_client_context` (which runs in the default executor) or
call :func:`create_client_context` from an executor job yourself.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
from dataclasses import dataclass
from datetime import datetime
import hashlib
import logging
import ssl
from typing import Any, Final, Self

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from custom_components.printernizer.printers.errors import (
    PinMismatchError,
    PrinterConnectionError,
    PrinterTimeoutError,
    PrinterTlsError,
)
from custom_components.printernizer.printers.model import log_name

_LOGGER = logging.getLogger(__name__)

DEFAULT_TLS_TIMEOUT: Final = 10.0


class CertificateNameMismatchError(PrinterTlsError):
    """The certificate's subject common name is not the expected printer serial."""

    def __init__(self, expected: str, actual: str | None) -> None:
        """Keep the serial we expected and the name the certificate carries."""
        super().__init__(f"certificate is issued to {actual!r}, not to printer serial {expected!r}")
        self.expected = expected
        self.actual = actual


class CertificateParseError(PrinterTlsError):
    """The peer did not present a certificate we can read."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateInfo:
    """What we learned about a printer's certificate."""

    pin: str
    """SHA-256 of the SubjectPublicKeyInfo, 64 lower-case hex digits (the stored pin)."""
    pin_base64: str
    """The same digest in base64 (the form HPKP/curl ``--pinnedpubkey`` use)."""
    fingerprint: str
    """The pin for humans: upper-case hex pairs separated by colons."""
    certificate_sha256: str
    """SHA-256 of the whole DER certificate (changes on renewal even with the same key)."""
    common_name: str | None
    issuer: str
    not_valid_before: datetime
    not_valid_after: datetime


def spki_sha256(der_certificate: bytes) -> bytes:
    """Return the SHA-256 digest of the certificate's SubjectPublicKeyInfo."""
    cert = _load_certificate(der_certificate)
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).digest()


def format_fingerprint(pin: str) -> str:
    """Return a pin (hex, colon or base64 form) as ``AB:CD:...`` for display."""
    digest = normalize_pin(pin)
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2)).upper()


def normalize_pin(pin: str) -> str:
    """Return a pin in any accepted form as 64 lower-case hex digits.

    Accepted: hex (any case, with or without ``:`` separators), base64 of the 32-byte digest,
    each optionally prefixed with ``sha256/``.
    """
    value = pin.strip()
    if value.lower().startswith("sha256/"):
        value = value[len("sha256/") :]
    hex_candidate = value.replace(":", "").lower()
    if len(hex_candidate) == 64 and all(c in "0123456789abcdef" for c in hex_candidate):
        return hex_candidate
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error, ValueError:
        raw = b""
    if len(raw) == 32:
        return raw.hex()
    raise ValueError(f"not a SHA-256 public key pin: {pin!r}")


def certificate_info(der_certificate: bytes) -> CertificateInfo:
    """Describe a DER certificate: pin, fingerprints, names and validity."""
    cert = _load_certificate(der_certificate)
    digest = spki_sha256(der_certificate)
    pin = digest.hex()
    return CertificateInfo(
        pin=pin,
        pin_base64=base64.b64encode(digest).decode("ascii"),
        fingerprint=format_fingerprint(pin),
        certificate_sha256=hashlib.sha256(der_certificate).hexdigest(),
        common_name=_common_name(cert),
        issuer=cert.issuer.rfc4514_string(),
        not_valid_before=cert.not_valid_before_utc,
        not_valid_after=cert.not_valid_after_utc,
    )


def verify_certificate(
    der_certificate: bytes | None, *, serial: str | None, pin: str | None
) -> CertificateInfo:
    """Check a peer certificate against the printer serial and the stored pin.

    ``serial=None`` skips the name check, ``pin=None`` skips the pin check (first use).
    Raises :class:`CertificateNameMismatchError` or :class:`PinMismatchError`.
    """
    if not der_certificate:
        raise CertificateParseError("the printer presented no certificate")
    info = certificate_info(der_certificate)
    if serial is not None and (info.common_name or "").casefold() != serial.strip().casefold():
        raise CertificateNameMismatchError(serial, info.common_name)
    if pin is not None:
        expected = normalize_pin(pin)
        if expected != info.pin:
            raise PinMismatchError(expected, info.pin)
    return info


def _load_certificate(der_certificate: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der_certificate)
    except ValueError as err:
        raise CertificateParseError(f"unreadable certificate: {err}") from err


def _common_name(cert: x509.Certificate) -> str | None:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names:
        return None
    value = names[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


class _PinnedSSLSocket(ssl.SSLSocket):
    """An SSL socket that checks the printer's key as soon as the handshake is done.

    paho-mqtt wraps the TCP socket with ``context.wrap_socket`` and calls ``do_handshake``
    before it queues the CONNECT packet (which holds the access code), so raising here means
    the access code is never sent to a peer with the wrong key.
    """

    def do_handshake(self, block: bool = False) -> None:
        """Complete the handshake, then verify the certificate name and pin."""
        super().do_handshake(block)
        context = self.context
        if not isinstance(context, BambuSSLContext) or not context.verify_peer:
            return
        try:
            context.peer_info = verify_certificate(
                self.getpeercert(binary_form=True),
                serial=context.expected_serial,
                pin=context.expected_pin,
            )
        except PrinterTlsError:
            # paho does not close the socket when the handshake raises; do it here.
            self.close()
            raise


class BambuSSLContext(ssl.SSLContext):
    """Client context for one printer: no CA verification, our own name/pin check instead."""

    expected_serial: str | None
    expected_pin: str | None
    verify_peer: bool
    peer_info: CertificateInfo | None

    def __new__(cls, *_args: Any, **_kwargs: Any) -> Self:
        """Create a TLS client context (the arguments are handled by ``__init__``)."""
        return super().__new__(cls, ssl.PROTOCOL_TLS_CLIENT)

    def __init__(
        self, *, serial: str | None = None, pin: str | None = None, verify: bool = True
    ) -> None:
        """Configure the context; see :func:`create_client_context`."""
        # The printer's certificate chains to a Bambu CA we do not ship; chain and host name
        # checks are replaced by the name/pin check in _PinnedSSLSocket.
        self.check_hostname = False
        self.verify_mode = ssl.CERT_NONE
        # Every Bambu model speaks TLS 1.2 (the P1/A1 ESP32 does not go beyond it).
        self.minimum_version = ssl.TLSVersion.TLSv1_2
        self.expected_serial = serial
        self.expected_pin = normalize_pin(pin) if pin is not None else None
        self.verify_peer = verify
        self.peer_info = None
        self.sslsocket_class = _PinnedSSLSocket


def create_client_context(
    serial: str | None, pin: str | None, *, verify: bool = True
) -> BambuSSLContext:
    """Create the TLS context for a printer (blocking: run it in an executor).

    - ``verify=True, pin=<stored pin>``: the normal case; name and pin must match.
    - ``verify=True, pin=None``: only the certificate name is checked (first use).
    - ``verify=False``: no check at all, for MQTT proxies; callers must warn the user.
    """
    if not verify:
        _LOGGER.debug("TLS verification of %s disabled by configuration", log_name(serial or ""))
    return BambuSSLContext(serial=serial, pin=pin, verify=verify)


async def async_create_client_context(
    serial: str | None, pin: str | None, *, verify: bool = True
) -> BambuSSLContext:
    """Create the TLS context in the default executor, off the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        None, lambda: create_client_context(serial, pin, verify=verify)
    )


async def fetch_certificate(
    host: str,
    port: int,
    serial: str,
    *,
    timeout: float = DEFAULT_TLS_TIMEOUT,  # noqa: ASYNC109
) -> CertificateInfo:
    """Connect to the printer, read its certificate and check that it belongs to ``serial``.

    This is the "first use" of pin-on-first-use: the certificate is not verified against a CA;
    the caller shows/stores ``CertificateInfo.pin``. Raises :class:`CertificateNameMismatchError`
    when the certificate names another device, :class:`PrinterTimeoutError` or
    :class:`PrinterConnectionError` when the printer cannot be reached, :class:`PrinterTlsError`
    when the TLS handshake fails.
    """
    # Name/pin are checked below on the DER bytes, so the context itself verifies nothing.
    context = await async_create_client_context(None, None, verify=False)
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout):
            _reader, writer = await asyncio.open_connection(
                host, port, ssl=context, ssl_handshake_timeout=timeout
            )
    except TimeoutError as err:
        raise PrinterTimeoutError(f"no TLS answer from {host}:{port} within {timeout}s") from err
    except ssl.SSLError as err:
        raise PrinterTlsError(f"TLS handshake with {host}:{port} failed: {err}") from err
    except OSError as err:
        raise PrinterConnectionError(f"cannot connect to {host}:{port}: {err}") from err
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        return verify_certificate(der, serial=serial, pin=None)
    finally:
        writer.close()
        # The printer may reset the connection on close; the certificate is already read.
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
