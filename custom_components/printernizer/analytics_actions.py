"""The analytics actions: ``get_statistics`` (response) and ``reset_statistics``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonValueType

from .analytics import summarize
from .const import DOMAIN
from .energy import signal_totals
from .job_recorder import DATA_JOBS
from .schema import vol

SERVICE_GET_STATISTICS: Final = "get_statistics"
SERVICE_RESET_STATISTICS: Final = "reset_statistics"
ATTR_PERIOD: Final = "period"
ATTR_FROM: Final = "from"
ATTR_TO: Final = "to"
PERIODS: Final = ("today", "7d", "30d", "year", "all")

_DEVICES: Final = {vol.Optional(ATTR_DEVICE_ID): vol.All(cv.ensure_list, [cv.string])}
GET_STATISTICS_SCHEMA: Final = vol.Schema(
    {
        **_DEVICES,
        vol.Optional(ATTR_PERIOD): vol.In(PERIODS),
        vol.Optional(ATTR_FROM): cv.datetime,
        vol.Optional(ATTR_TO): cv.datetime,
    }
)
RESET_STATISTICS_SCHEMA: Final = vol.Schema(_DEVICES)


@callback
def async_setup_analytics_services(hass: HomeAssistant) -> None:
    """Register the analytics actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_STATISTICS,
        _async_get_statistics,
        schema=GET_STATISTICS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_RESET_STATISTICS,
        _async_reset_statistics,
        schema=RESET_STATISTICS_SCHEMA,
    )


def _known_printers(hass: HomeAssistant) -> list[str]:
    """Return the serials of the configured printers (loaded or not), in setup order."""
    return [
        entry.unique_id
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.unique_id is not None
    ]


def _selected_printers(hass: HomeAssistant, device_ids: list[str] | None) -> list[str] | None:
    """Return the serials the device ids name (None: every printer)."""
    if not device_ids:
        return None
    registry = dr.async_get(hass)
    known = set(_known_printers(hass))
    serials: list[str] = []
    for device_id in device_ids:
        device = registry.async_get(device_id)
        serial = next(
            (
                identifier
                for domain, identifier in (device.identifiers if device is not None else ())
                if domain == DOMAIN and identifier in known
            ),
            None,
        )
        if serial is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="device_not_found",
                translation_placeholders={"device_id": device_id},
            )
        if serial not in serials:
            serials.append(serial)
    return serials


def _period(call: ServiceCall, now: datetime) -> tuple[datetime | None, datetime]:
    """Return the period asked for, in UTC (start None: since the first job)."""
    data = call.data
    start: datetime | None = data.get(ATTR_FROM)
    end: datetime | None = data.get(ATTR_TO)
    if ATTR_PERIOD in data and (start is not None or end is not None):
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="period_with_range")
    if start is not None or end is not None:
        start = None if start is None else dt_util.as_utc(start)
        end = now if end is None else dt_util.as_utc(end)
        if start is not None and start >= end:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_time_range",
                translation_placeholders={"start": start.isoformat(), "end": end.isoformat()},
            )
        return start, end
    local = dt_util.as_local(now)
    match data.get(ATTR_PERIOD, "all"):
        case "today":
            start = dt_util.start_of_local_day(local)
        case "7d":
            start = now - timedelta(days=7)
        case "30d":
            start = now - timedelta(days=30)
        case "year":
            start = dt_util.start_of_local_day(local.replace(month=1, day=1))
        case _:
            start = None
    return None if start is None else dt_util.as_utc(start), now


def _printer_name(registry: dr.DeviceRegistry, serial: str) -> tuple[str | None, str]:
    devices = registry.async_get_devices(identifiers={(DOMAIN, serial)})
    if not devices:
        return None, serial  # a printer that was removed; its history stays
    device = devices[0]
    return device.id, device.name_by_user or device.name or serial


async def _async_get_statistics(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    now = dt_util.utcnow()
    selected = _selected_printers(hass, call.data.get(ATTR_DEVICE_ID))
    start, end = _period(call, now)
    store = hass.data[DATA_JOBS].store
    jobs = await store.async_jobs_in_window(selected, start, end)
    serials = list(selected) if selected is not None else _known_printers(hass)
    serials.extend(sorted({job.printer for job in jobs} - set(serials)))
    first = min((job.started for job in jobs), default=None) if start is None else start
    registry = dr.async_get(hass)
    printers: list[JsonValueType] = []
    for serial in serials:
        device_id, name = _printer_name(registry, serial)
        own = [job for job in jobs if job.printer == serial]
        printers.append(
            {
                "device_id": device_id,
                "printer": name,
                "serial": serial,
                **summarize(own, start=first, end=end, now=now, printers=1),
            }
        )
    farm = summarize(jobs, start=first, end=end, now=now, printers=len(serials))
    return {
        "start": None if first is None else first.isoformat(),
        "end": end.isoformat(),
        "currency": hass.config.currency,
        "farm": {"printers": len(serials), **farm},
        "printers": printers,
    }


async def _async_reset_statistics(call: ServiceCall) -> None:
    hass = call.hass
    selected = _selected_printers(hass, call.data.get(ATTR_DEVICE_ID))
    store = hass.data[DATA_JOBS].store
    now = dt_util.utcnow()
    for serial in selected if selected is not None else _known_printers(hass):
        await store.async_reset_totals(serial, now)
        async_dispatcher_send(hass, signal_totals(serial))
