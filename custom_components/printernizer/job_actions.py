"""The job-history actions: ``get_jobs`` (response) and ``export_jobs`` (CSV file)."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .database import MAX_LIMIT, JobQuery
from .job_recorder import async_query_jobs
from .jobs import Job, JobStatus, job_to_dict
from .schema import vol

SERVICE_GET_JOBS: Final = "get_jobs"
SERVICE_EXPORT_JOBS: Final = "export_jobs"
ATTR_STATUS: Final = "status"
ATTR_FROM: Final = "from"
ATTR_TO: Final = "to"
ATTR_LIMIT: Final = "limit"
ATTR_PATH: Final = "path"
DEFAULT_LIMIT: Final = 100
EXPORT_FOLDER: Final = "printernizer"

CSV_COLUMNS: Final = (
    "job_id",
    "printer",
    "device_id",
    "file",
    "status",
    "started",
    "ended",
    "duration",
    "print_time",
    "progress",
    "filament_g",
    "filament_estimated",
    "material",
    "energy_kwh",
    "energy_estimated",
    "cost",
    "currency",
    "printer_job_id",
)
# Spreadsheets run cells starting with these as formulas; file names come from printers.
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")

_FILTERS: Final = {
    vol.Optional(ATTR_DEVICE_ID): vol.All(cv.ensure_list, [cv.string]),
    vol.Optional(ATTR_STATUS): vol.All(cv.ensure_list, [vol.In([s.value for s in JobStatus])]),
    vol.Optional(ATTR_FROM): cv.datetime,
    vol.Optional(ATTR_TO): cv.datetime,
}
GET_JOBS_SCHEMA: Final = vol.Schema(
    {
        **_FILTERS,
        vol.Optional(ATTR_LIMIT, default=DEFAULT_LIMIT): vol.All(
            vol.Coerce(int), vol.Range(min=1, max=MAX_LIMIT)
        ),
    }
)
EXPORT_JOBS_SCHEMA: Final = vol.Schema(
    {
        **_FILTERS,
        vol.Optional(ATTR_LIMIT): vol.All(vol.Coerce(int), vol.Range(min=1, max=MAX_LIMIT)),
        vol.Optional(ATTR_PATH): cv.string,
    }
)


@callback
def async_setup_job_services(hass: HomeAssistant) -> None:
    """Register the job-history actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_JOBS,
        _async_get_jobs,
        schema=GET_JOBS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_EXPORT_JOBS,
        _async_export_jobs,
        schema=EXPORT_JOBS_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


def _printer_serial(hass: HomeAssistant, device_id: str) -> str:
    """Return the serial of the printer a device id names (history needs no loaded entry)."""
    device = dr.async_get(hass).async_get(device_id)
    for domain, identifier in device.identifiers if device is not None else ():
        # A printer's identifier is its entry's unique id (AMS units have their own).
        if domain == DOMAIN and hass.config_entries.async_entry_for_domain_unique_id(
            DOMAIN, identifier
        ):
            return identifier
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="device_not_found",
        translation_placeholders={"device_id": device_id},
    )


def _query(call: ServiceCall, limit: int | None) -> JobQuery:
    hass = call.hass
    data = call.data
    start: datetime | None = data.get(ATTR_FROM)
    end: datetime | None = data.get(ATTR_TO)
    start = None if start is None else dt_util.as_utc(start)
    end = None if end is None else dt_util.as_utc(end)
    if start is not None and end is not None and start >= end:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_time_range",
            translation_placeholders={"start": start.isoformat(), "end": end.isoformat()},
        )
    devices: list[str] | None = data.get(ATTR_DEVICE_ID)
    statuses: list[str] | None = data.get(ATTR_STATUS)
    return JobQuery(
        printers=None if not devices else [_printer_serial(hass, d) for d in devices],
        statuses=statuses or None,
        start=start,
        end=end,
        limit=limit,
    )


class _Printers:
    """Device id and name of each printer serial, looked up once per call."""

    def __init__(self, hass: HomeAssistant) -> None:
        self._registry = dr.async_get(hass)
        self._known: dict[str, tuple[str | None, str]] = {}

    def get(self, serial: str) -> tuple[str | None, str]:
        if serial not in self._known:
            devices = self._registry.async_get_devices(identifiers={(DOMAIN, serial)})
            device = devices[0] if devices else None
            if device is None:
                self._known[serial] = (None, serial)  # a printer that was removed
            else:
                self._known[serial] = (device.id, device.name_by_user or device.name or serial)
        return self._known[serial]


def _job_record(job: Job, printers: _Printers) -> dict[str, Any]:
    device_id, name = printers.get(job.printer)
    return {"device_id": device_id, "printer": name, **job_to_dict(job)}


async def _async_get_jobs(call: ServiceCall) -> ServiceResponse:
    query = _query(call, call.data[ATTR_LIMIT])
    jobs = await async_query_jobs(call.hass, query)
    printers = _Printers(call.hass)
    return {"jobs": [_job_record(job, printers) for job in jobs]}


def _export_path(hass: HomeAssistant, raw: str | None) -> Path:
    """Return the absolute file to write; rejects relative paths and ``..``."""
    if raw is None:
        media = hass.config.media_dirs.get("local") or hass.config.path("media")
        stamp = dt_util.now().strftime("%Y%m%d-%H%M%S")
        return Path(media) / EXPORT_FOLDER / f"printernizer-jobs-{stamp}.csv"
    path = Path(raw)
    if not path.is_absolute() or ".." in path.parts or not path.name:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_path",
            translation_placeholders={"path": raw},
        )
    return path


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return f"'{value}"
    return value


def _write_csv(hass: HomeAssistant, path: Path, rows: list[dict[str, Any]]) -> bool:
    """Write the CSV (executor); return False when the path is not allowed."""
    if not hass.config.is_allowed_path(str(path)):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({key: _cell(row.get(key)) for key in CSV_COLUMNS} for row in rows)
    return True


async def _async_export_jobs(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    path = _export_path(hass, call.data.get(ATTR_PATH))
    query = _query(call, call.data.get(ATTR_LIMIT))
    jobs = await async_query_jobs(hass, query)
    printers = _Printers(hass)
    rows = [_job_record(job, printers) for job in jobs]
    try:
        allowed = await hass.async_add_executor_job(_write_csv, hass, path, rows)
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="export_failed",
            translation_placeholders={"path": str(path), "error": str(err)},
        ) from err
    if not allowed:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="path_not_allowed",
            translation_placeholders={"path": str(path)},
        )
    return {"path": str(path), "count": len(rows)}
