"""Errors raised by the printer clients."""

from __future__ import annotations


class PrinterClientError(Exception):
    """Base class of every error a printer client raises."""


class PrinterConnectionError(PrinterClientError):
    """The printer cannot be reached or the connection broke."""


class PrinterTimeoutError(PrinterConnectionError):
    """The printer did not answer in time."""


class PrinterAuthError(PrinterClientError):
    """The printer refused the credentials (access code, password)."""


class PrinterProtocolError(PrinterClientError):
    """The peer answered, but not like a printer of the expected kind."""


class PrinterUnsupportedError(PrinterClientError):
    """The printer is of a kind the integration does not support."""


class PrinterCommandError(PrinterClientError):
    """The printer rejected a command."""

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        """Store the printer's reason next to the message."""
        super().__init__(message)
        self.reason = reason


class PrinterStateError(PrinterCommandError):
    """The command is not possible in the printer's current state."""


class PrinterSignedCommandsError(PrinterCommandError):
    """The printer accepts only signed commands (Bambu authorization firmware)."""


class PrinterTlsError(PrinterConnectionError):
    """The TLS handshake failed or the certificate is not the printer's."""


class PinMismatchError(PrinterTlsError):
    """The printer presented a different certificate key than the one pinned."""

    def __init__(self, expected: str, actual: str) -> None:
        """Keep both fingerprints so the user can compare them."""
        super().__init__(f"certificate pin mismatch: expected {expected}, got {actual}")
        self.expected = expected
        self.actual = actual
