"""Self-signed test certificates for the simulated printer (generated at start, never shipped).

A real printer presents a certificate issued by a Bambu CA whose subject CN is its serial; the
simulator issues itself a self-signed one with the same subject so the client's name and pin
checks see what they would see on a printer. EC P-256 keys keep generation fast.
"""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
import hashlib
from pathlib import Path
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True, slots=True)
class SimulatorCertificate:
    """A certificate with its private key."""

    cert_pem: bytes
    key_pem: bytes
    der: bytes
    common_name: str

    @property
    def pin(self) -> str:
        """Return the SHA-256 of the SubjectPublicKeyInfo (hex), as the client pins it."""
        cert = x509.load_der_x509_certificate(self.der)
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hashlib.sha256(spki).hexdigest()


def make_certificate(
    common_name: str, key: ec.EllipticCurvePrivateKey | None = None
) -> SimulatorCertificate:
    """Create a self-signed server certificate for ``common_name`` (new key unless given)."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Printernizer simulator"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return SimulatorCertificate(
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        der=cert.public_bytes(serialization.Encoding.DER),
        common_name=common_name,
    )


def load_into_context(context: ssl.SSLContext, certificate: SimulatorCertificate) -> None:
    """Load a certificate into a server context (new handshakes use it from now on)."""
    with tempfile.TemporaryDirectory(prefix="bambu-sim-") as folder:
        cert_file = Path(folder, "cert.pem")
        key_file = Path(folder, "key.pem")
        cert_file.write_bytes(certificate.cert_pem)
        key_file.write_bytes(certificate.key_pem)
        context.load_cert_chain(cert_file, key_file)


def server_context(certificate: SimulatorCertificate) -> ssl.SSLContext:
    """Create a TLS server context presenting ``certificate``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    load_into_context(context, certificate)
    return context
