"""Client errors become translated Home Assistant errors; unsupported controls say so."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest

from custom_components.printernizer.helpers import translate_client_error
from custom_components.printernizer.printers.errors import (
    PrinterAuthError,
    PrinterClientError,
    PrinterCommandError,
    PrinterConnectionError,
    PrinterSignedCommandsError,
    PrinterStateError,
    PrinterTimeoutError,
)
from custom_components.printernizer.printers.model import SpeedProfile
from tests import setup_printer
from tests.simulators.prusa.server import PrusaLinkSimulator


@pytest.mark.parametrize(
    ("error", "kind", "key"),
    [
        (PrinterStateError("409"), ServiceValidationError, "not_possible_now"),
        (
            PrinterSignedCommandsError("verify failed"),
            HomeAssistantError,
            "signed_commands_required",
        ),
        (PrinterCommandError("no", reason="busy"), HomeAssistantError, "command_rejected"),
        (PrinterTimeoutError("slow"), HomeAssistantError, "command_timeout"),
        (PrinterAuthError("401"), HomeAssistantError, "auth_failed"),
        (PrinterConnectionError("gone"), HomeAssistantError, "communication_error"),
        (PrinterClientError("odd"), HomeAssistantError, "unknown_error"),
    ],
)
def test_translate_client_error(
    error: PrinterClientError, kind: type[HomeAssistantError], key: str
) -> None:
    """Each client error has its own translated message naming the printer."""
    translated = translate_client_error(error, "Workshop")
    assert type(translated) is kind
    assert translated.translation_key == key
    assert translated.translation_placeholders["printer"] == "Workshop"


async def test_unsupported_controls(hass: HomeAssistant, prusa_printer: PrusaLinkSimulator) -> None:
    """A Prusa printer has no speed levels, light or G-code: asking for them is a clear error."""
    entry = await setup_printer(hass, prusa_printer)
    coordinator = entry.runtime_data
    for call in (
        coordinator.async_set_speed_profile(SpeedProfile.SPORT),
        coordinator.async_set_chamber_light(True),
        coordinator.async_set_nozzle_target(200),
        coordinator.async_set_bed_target(60),
        coordinator.async_send_gcode("G28"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call
        assert err.value.translation_key == "not_supported"
