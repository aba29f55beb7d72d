"""Helpers shared by the platforms and actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, Final, Protocol

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .printers.errors import (
    PrinterAuthError,
    PrinterClientError,
    PrinterCommandError,
    PrinterConnectionError,
    PrinterSignedCommandsError,
    PrinterStateError,
    PrinterTimeoutError,
)

# Most specific first: the first match decides the message.
_TRANSLATIONS: Final[tuple[tuple[type[PrinterClientError], type[HomeAssistantError], str], ...]] = (
    (PrinterStateError, ServiceValidationError, "not_possible_now"),
    (PrinterSignedCommandsError, HomeAssistantError, "signed_commands_required"),
    (PrinterCommandError, HomeAssistantError, "command_rejected"),
    (PrinterTimeoutError, HomeAssistantError, "command_timeout"),
    (PrinterAuthError, HomeAssistantError, "auth_failed"),
    (PrinterConnectionError, HomeAssistantError, "communication_error"),
)


def translate_client_error(err: PrinterClientError, printer: str) -> HomeAssistantError:
    """Return the translated Home Assistant error for a printer client error."""
    placeholders = {"printer": printer}
    for client_error, ha_error, key in _TRANSLATIONS:
        if isinstance(err, client_error):
            if isinstance(err, PrinterCommandError) and key == "command_rejected":
                placeholders["reason"] = err.reason or str(err)
            return ha_error(
                translation_domain=DOMAIN,
                translation_key=key,
                translation_placeholders=placeholders,
            )
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="unknown_error",
        translation_placeholders={**placeholders, "error": str(err)},
    )


class _HasPrinterName(Protocol):
    """Anything that knows which printer it talks to."""

    @property
    def printer_name(self) -> str:
        """Return the printer's name for messages."""


def printer_command[T: _HasPrinterName, **P, R](
    func: Callable[Concatenate[T, P], Awaitable[R]],
) -> Callable[Concatenate[T, P], Coroutine[Any, Any, R]]:
    """Turn the printer client's errors into translated Home Assistant errors."""

    async def handler(self: T, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await func(self, *args, **kwargs)
        except PrinterClientError as err:
            raise translate_client_error(err, self.printer_name) from err

    return handler
