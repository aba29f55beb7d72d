"""TLS pinning helpers, over real sockets against the simulator."""

from __future__ import annotations

import base64
import socket
import ssl

import pytest

from custom_components.printernizer.printers.bambu import tls
from custom_components.printernizer.printers.errors import (
    PinMismatchError,
    PrinterConnectionError,
    PrinterTimeoutError,
    PrinterTlsError,
)
from tests.simulators.bambu.certs import make_certificate
from tests.simulators.bambu.simulator import BambuSimulator


async def test_fetch_certificate(bambu_printer: BambuSimulator) -> None:
    """The pin is the SPKI SHA-256; the name matches the serial case-insensitively."""
    info = await tls.fetch_certificate(
        bambu_printer.host, bambu_printer.port, bambu_printer.serial.lower(), timeout=3
    )
    assert info.pin == bambu_printer.pin
    assert len(info.pin) == 64
    assert base64.b64decode(info.pin_base64).hex() == info.pin
    assert info.fingerprint == tls.format_fingerprint(info.pin)
    assert info.fingerprint.count(":") == 31
    assert info.common_name == bambu_printer.serial
    assert "Printernizer simulator" in info.issuer
    assert info.not_valid_before < info.not_valid_after
    assert len(info.certificate_sha256) == 64


async def test_fetch_certificate_wrong_serial(bambu_printer: BambuSimulator) -> None:
    """A certificate for another serial is refused with a typed error."""
    with pytest.raises(tls.CertificateNameMismatchError) as err:
        await tls.fetch_certificate(bambu_printer.host, bambu_printer.port, "01S00C000000000")
    assert err.value.expected == "01S00C000000000"
    assert err.value.actual == bambu_printer.serial
    assert isinstance(err.value, PrinterTlsError)


async def test_fetch_certificate_unreachable(socket_enabled: None) -> None:
    """A closed port is a connection error."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(PrinterConnectionError):
        await tls.fetch_certificate("127.0.0.1", port, "X", timeout=2)


async def test_fetch_certificate_timeout_and_plain_tcp(socket_enabled: None) -> None:
    """A silent peer times out; a peer that is not TLS is a TLS error."""
    import asyncio

    writers: list[asyncio.StreamWriter] = []

    async def silent(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        writers.append(w)

    async def plain(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        w.write(b"HTTP/1.0 400 Bad Request\r\n\r\n" * 20)
        await w.drain()
        w.close()

    for handler, error in ((silent, PrinterTimeoutError), (plain, PrinterConnectionError)):
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            with pytest.raises(error):
                await tls.fetch_certificate("127.0.0.1", port, "X", timeout=0.3)
        finally:
            for writer in writers:
                writer.close()
            server.close()
            await server.wait_closed()


def test_normalize_pin_forms() -> None:
    """Hex, colon, base64 and sha256/ prefixed pins normalize to hex."""
    digest = bytes(range(32))
    hex_pin = digest.hex()
    assert tls.normalize_pin(hex_pin.upper()) == hex_pin
    assert tls.normalize_pin(tls.format_fingerprint(hex_pin)) == hex_pin
    assert tls.normalize_pin(base64.b64encode(digest).decode()) == hex_pin
    assert tls.normalize_pin("sha256/" + base64.b64encode(digest).decode()) == hex_pin
    for bad in ("", "abc", "zz" * 32, base64.b64encode(b"short").decode()):
        with pytest.raises(ValueError):
            tls.normalize_pin(bad)


def test_verify_certificate() -> None:
    """Name and pin checks on DER bytes."""
    cert = make_certificate("00M00A000000001")
    info = tls.verify_certificate(cert.der, serial="00m00a000000001", pin=cert.pin)
    assert info.pin == cert.pin
    assert tls.verify_certificate(cert.der, serial=None, pin=None).pin == cert.pin
    with pytest.raises(tls.CertificateNameMismatchError):
        tls.verify_certificate(cert.der, serial="other", pin=None)
    with pytest.raises(PinMismatchError) as err:
        tls.verify_certificate(cert.der, serial=None, pin="ab" * 32)
    assert err.value.expected == "ab" * 32
    assert err.value.actual == cert.pin
    with pytest.raises(tls.CertificateParseError):
        tls.verify_certificate(None, serial=None, pin=None)
    with pytest.raises(tls.CertificateParseError):
        tls.verify_certificate(b"not a certificate", serial=None, pin=None)
    assert tls.spki_sha256(cert.der).hex() == cert.pin


def test_certificate_without_common_name() -> None:
    """A certificate without CN never matches a serial."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "no cn")])
    now = dt.datetime.now(dt.UTC)
    der = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    assert tls.certificate_info(der).common_name is None
    with pytest.raises(tls.CertificateNameMismatchError):
        tls.verify_certificate(der, serial="X", pin=None)


async def test_client_context() -> None:
    """The context does no CA/host checks itself and carries the expectations."""
    context = await tls.async_create_client_context("SERIAL", "AB" * 32)
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_NONE
    assert context.check_hostname is False
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.expected_pin == "ab" * 32
    assert context.expected_serial == "SERIAL"
    assert context.verify_peer is True
    assert tls.create_client_context("S", None, verify=False).verify_peer is False


async def test_pinned_socket_blocking_handshake(bambu_printer: BambuSimulator) -> None:
    """The pinned socket class checks on a plain blocking handshake, too (as paho does it)."""
    import asyncio

    def handshake(pin: str) -> str | None:
        context = tls.create_client_context(bambu_printer.serial, pin)
        with socket.create_connection((bambu_printer.host, bambu_printer.port), timeout=3) as raw:
            sock = context.wrap_socket(raw, do_handshake_on_connect=False)
            sock.do_handshake()
            sock.close()
        return context.peer_info.pin if context.peer_info else None

    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(None, handshake, bambu_printer.pin) == bambu_printer.pin
    with pytest.raises(PinMismatchError):
        await loop.run_in_executor(None, handshake, "00" * 32)
