"""The Printernizer integration: Bambu Lab and Prusa printers in Home Assistant."""

from __future__ import annotations

import asyncio
from typing import Final

from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .bambu_coordinator import BambuCoordinator
from .const import (
    CONF_ACCESS_CODE,
    CONF_CERT_PIN,
    CONF_PRINTER_TYPE,
    CONF_SERIAL,
    CONF_VERIFY_TLS,
    DOMAIN,
    PRINTER_TYPE_BAMBU,
)
from .coordinator import PrinternizerConfigEntry, PrinternizerCoordinator
from .discovery import async_start_discovery
from .files import create_printer_files
from .job_recorder import async_setup_jobs, async_start_job_recorder
from .printers.bambu.client import DEFAULT_PORT as BAMBU_PORT, BambuClient
from .printers.bambu.state import BambuStateTracker
from .printers.errors import PinMismatchError, PrinterAuthError, PrinterClientError
from .printers.prusa.client import ApiMode, PrusaLinkClient
from .prusa_coordinator import PrusaCoordinator
from .repairs import (
    async_create_pin_issue,
    async_update_firmware_issue,
    async_update_tls_issue,
    pin_issue_id,
)
from .services import async_setup_services
from .validation import split_host_port

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
# A Bambu printer answers pushall within a second or two; entities are created from that first
# full report (which values the model has), so setup waits for it a little.
FIRST_REPORT_WAIT: Final = 10.0
# A Bambu printer pushes at least every few seconds while connected; 60 s of silence means the
# session is stuck (nudged with pushing.start, then reconnected).
BAMBU_WATCHDOG_TIMEOUT = 60.0
# A PrusaLink board that has not answered in 10 s is busy or gone; the poll counts as failed.
PRUSA_REQUEST_TIMEOUT = 10.0


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
        coordinator = await _async_setup_bambu(hass, entry)
    else:
        coordinator = await _async_setup_prusa(hass, entry)
    await coordinator.async_config_entry_first_refresh()
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **coordinator.device_info
    )
    coordinator.device_id = device.id
    entry.runtime_data = coordinator
    coordinator.files = create_printer_files(hass, coordinator)
    await async_start_job_recorder(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


def _placeholders(entry: PrinternizerConfigEntry, err: Exception) -> dict[str, str]:
    return {"printer": entry.title, "error": str(err)}


async def _async_setup_bambu(
    hass: HomeAssistant, entry: PrinternizerConfigEntry
) -> BambuCoordinator:
    host, port = split_host_port(entry.data[CONF_HOST], BAMBU_PORT)
    verify = entry.options.get(CONF_VERIFY_TLS, True)
    async_update_tls_issue(hass, entry, verify)
    tracker = BambuStateTracker(entry.data[CONF_SERIAL])
    first_report = asyncio.Event()

    def collect(message: dict[str, object]) -> None:
        tracker.apply(message)
        if "print" in message:
            first_report.set()

    client = BambuClient(
        host,
        entry.data[CONF_SERIAL],
        entry.data[CONF_ACCESS_CODE],
        port=port,
        pin=entry.data.get(CONF_CERT_PIN) if verify else None,
        verify=verify,
        on_message=collect,
        watchdog_timeout=BAMBU_WATCHDOG_TIMEOUT,
    )
    try:
        await client.connect()
    except PinMismatchError as err:
        async_create_pin_issue(hass, entry, err)
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="pin_mismatch",
            translation_placeholders=_placeholders(entry, err),
        ) from err
    except PrinterAuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="invalid_auth",
            translation_placeholders=_placeholders(entry, err),
        ) from err
    except PrinterClientError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders=_placeholders(entry, err),
        ) from err
    ir.async_delete_issue(hass, DOMAIN, pin_issue_id(entry))
    try:
        async with asyncio.timeout(FIRST_REPORT_WAIT):
            await first_report.wait()
    except TimeoutError:
        # Set up from what is known; entities that need a report appear after a reload.
        pass
    coordinator = BambuCoordinator(hass, entry, client, tracker)
    await client.start()
    entry.async_create_background_task(
        hass, coordinator.async_load_hms_texts(), f"{DOMAIN} error texts {entry.title}"
    )
    return coordinator


async def _async_setup_prusa(
    hass: HomeAssistant, entry: PrinternizerConfigEntry
) -> PrusaCoordinator:
    client = PrusaLinkClient(
        async_get_clientsession(hass),
        entry.data[CONF_HOST],
        entry.data[CONF_USERNAME],
        entry.data[CONF_PASSWORD],
        timeout=PRUSA_REQUEST_TIMEOUT,
    )
    try:
        info = await client.get_printer_info()
    except PrinterAuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="invalid_auth",
            translation_placeholders=_placeholders(entry, err),
        ) from err
    except PrinterClientError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders=_placeholders(entry, err),
        ) from err
    async_update_firmware_issue(
        hass,
        entry,
        client.api_mode is ApiMode.LEGACY,
        str(client.version.get("api")) if client.version else None,
    )
    return PrusaCoordinator(hass, entry, client, info)


async def async_unload_entry(hass: HomeAssistant, entry: PrinternizerConfigEntry) -> bool:
    """Unload a printer's entities and close its connection."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
