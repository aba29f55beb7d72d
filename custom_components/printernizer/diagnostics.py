"""Diagnostics download of a printer, with secrets and identifiers redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Final

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .const import CONF_ACCESS_CODE, CONF_CERT_PIN, CONF_MAC, CONF_SERIAL
from .coordinator import PrinternizerConfigEntry

TO_REDACT: Final = {
    CONF_ACCESS_CODE,
    CONF_CERT_PIN,
    CONF_HOST,
    CONF_MAC,
    CONF_PASSWORD,
    CONF_SERIAL,
    CONF_USERNAME,
    "access_code",
    "host",
    "ip",
    "ip_address",
    "mac",
    "net",
    "rtsp_url",
    "camera_url",
    "sn",
    "serial",
    "serial_number",
    "dev_id",
    "user_id",
    "url",
    "hostname",
    "ssid",
    "uid",
    "unique_id",
    "title",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: PrinternizerConfigEntry
) -> dict[str, Any]:
    """Return what helps to debug a printer, without what identifies or unlocks it."""
    coordinator = entry.runtime_data
    return async_redact_data(
        {
            "entry": {"data": dict(entry.data), "options": dict(entry.options)},
            "info": asdict(coordinator.info),
            "available": coordinator.last_update_success,
            "state": asdict(coordinator.data) if coordinator.data else None,
            "vendor": coordinator.diagnostics(),
        },
        TO_REDACT,
    )
