"""The Printernizer integration: Bambu Lab and Prusa printers in Home Assistant."""

from __future__ import annotations

from typing import Final

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .ams_devices import ams_identifier
from .bambu_coordinator import BambuCoordinator, async_create_bambu_coordinator
from .const import CONF_PRINTER_TYPE, DOMAIN, PRINTER_TYPE_BAMBU
from .coordinator import PrinternizerConfigEntry, PrinternizerCoordinator
from .discovery import async_start_discovery
from .files import PrinterFiles
from .files_bambu import BambuFiles
from .files_prusa import PrusaFiles
from .job_recorder import async_setup_jobs, async_start_job_recorder
from .prusa_coordinator import async_create_prusa_coordinator
from .services import async_setup_services

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
PLATFORMS: Final = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CAMERA,
    Platform.EVENT,
    Platform.IMAGE,
    Platform.LIGHT,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions."""
    await async_setup_jobs(hass)
    async_setup_services(hass)
    await async_start_discovery(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: PrinternizerConfigEntry) -> bool:
    """Connect to a printer and set up its entities."""
    coordinator: PrinternizerCoordinator
    if entry.data[CONF_PRINTER_TYPE] == PRINTER_TYPE_BAMBU:
        coordinator = await async_create_bambu_coordinator(hass, entry)
    else:
        coordinator = await async_create_prusa_coordinator(hass, entry)
    await coordinator.async_config_entry_first_refresh()
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **coordinator.device_info
    )
    coordinator.device_id = device.id
    entry.runtime_data = coordinator
    files: PrinterFiles = (
        BambuFiles(hass, coordinator)
        if isinstance(coordinator, BambuCoordinator)
        else PrusaFiles(hass, coordinator)
    )
    coordinator.files = files
    entry.async_on_unload(
        coordinator.async_add_field_listener(frozenset({"status"}), files.async_handle_update)
    )
    await async_start_job_recorder(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: PrinternizerConfigEntry) -> bool:
    """Unload a printer's entities and close its connection."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: PrinternizerConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete the device of an AMS unit the printer no longer reports."""
    coordinator = entry.runtime_data
    reported = {
        ams_identifier(coordinator.serial, unit.unit) for unit in coordinator.data.ams_units
    }
    return any(
        domain == DOMAIN and identifier != coordinator.serial and identifier not in reported
        for domain, identifier in device.identifiers
    )
