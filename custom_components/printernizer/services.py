"""Actions of the Printernizer integration."""

from __future__ import annotations

from typing import Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr

from .analytics_actions import async_setup_analytics_services
from .const import DOMAIN
from .coordinator import PrinternizerConfigEntry, PrinternizerCoordinator
from .file_actions import async_setup_file_services
from .job_actions import async_setup_job_services
from .printers.model import Capability
from .schema import vol

SERVICE_SEND_GCODE: Final = "send_gcode"
ATTR_GCODE: Final = "gcode"

SEND_GCODE_SCHEMA: Final = vol.Schema(
    {vol.Required(ATTR_DEVICE_ID): cv.string, vol.Required(ATTR_GCODE): cv.string}
)


def coordinator_for_device(hass: HomeAssistant, device_id: str) -> PrinternizerCoordinator:
    """Return the coordinator of the printer a device id names."""
    device = dr.async_get(hass).async_get(device_id)
    # A device belongs to exactly one config entry (Home Assistant 2026.8 and later).
    entry: PrinternizerConfigEntry | None = (
        hass.config_entries.async_get_entry(device.config_entry_id) if device else None
    )
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="device_not_found",
            translation_placeholders={"device_id": device_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="printer_not_loaded",
            translation_placeholders={"printer": entry.title},
        )
    return entry.runtime_data


async def _async_send_gcode(call: ServiceCall) -> None:
    coordinator = coordinator_for_device(call.hass, call.data[ATTR_DEVICE_ID])
    if not coordinator.supports(Capability.GCODE):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_supported",
            translation_placeholders={"printer": coordinator.printer_name},
        )
    await coordinator.async_send_gcode(call.data[ATTR_GCODE])


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions (once, for all printers)."""
    hass.services.async_register(
        DOMAIN, SERVICE_SEND_GCODE, _async_send_gcode, schema=SEND_GCODE_SCHEMA
    )
    async_setup_job_services(hass)
    async_setup_file_services(hass)
    async_setup_analytics_services(hass)
