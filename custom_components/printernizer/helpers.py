"""Helpers shared by the platforms and actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, Protocol

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


def translate_client_error(err: PrinterClientError, printer: str) -> HomeAssistantError:
    """Return the translated Home Assistant error for a printer client error."""
    placeholders = {"printer": printer}
    match err:
        case PrinterStateError():
            return ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="not_possible_now",
                translation_placeholders=placeholders,
            )
        case PrinterSignedCommandsError():
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="signed_commands_required",
                translation_placeholders=placeholders,
            )
        case PrinterCommandError():
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_rejected",
                translation_placeholders={**placeholders, "reason": err.reason or str(err)},
            )
        case PrinterTimeoutError():
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_timeout",
                translation_placeholders=placeholders,
            )
        case PrinterAuthError():
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="auth_failed",
                translation_placeholders=placeholders,
            )
        case PrinterConnectionError():
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="communication_error",
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
