"""Map PrusaLink JSON (v1 and legacy OctoPrint-style) into the normalized printer model.

Nothing here raises on bad input: firmwares differ (Buddy MINI/MK4/XL/CORE One, the Raspberry Pi
PrusaLink for MK3/MK2.5, old Buddy 4.x with only the legacy API) and fields come and go. A value
of the wrong type is dropped (``None``, i.e. unknown), counted in `ParseIssues` and logged once at
debug level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import logging
import math
import re
from typing import Any, Final

from ..model import (
    JOB_END_STATUSES,
    Capability,
    ErrorSeverity,
    FilamentSlot,
    PrinterError,
    PrinterInfo,
    PrinterState,
    PrinterStatus,
    Vendor,
)

_LOGGER = logging.getLogger(__name__)

# Times that moved by less than this are kept as before, so timestamp sensors do not jitter.
JITTER: Final = timedelta(minutes=1)

# `/api/v1/status` printer.state (StatusPrinter.state in the OpenAPI spec).
V1_STATES: Final[dict[str, PrinterStatus]] = {
    "IDLE": PrinterStatus.IDLE,
    # READY = "prepared" for a print from Connect; nothing is running yet.
    "READY": PrinterStatus.IDLE,
    "BUSY": PrinterStatus.BUSY,
    "PRINTING": PrinterStatus.PRINTING,
    "PAUSED": PrinterStatus.PAUSED,
    "FINISHED": PrinterStatus.FINISHED,
    "STOPPED": PrinterStatus.CANCELLED,
    "ERROR": PrinterStatus.ERROR,
    "ATTENTION": PrinterStatus.ATTENTION,
}

# Legacy `/api/printer` state.text / `/api/job` state (OctoPrint words). The RPi PrusaLink maps
# FINISHED and IDLE to "Operational" and STOPPED to "Cancelling"; its flags.link_state is exact.
LEGACY_STATES: Final[dict[str, PrinterStatus]] = {
    "operational": PrinterStatus.IDLE,
    "printing": PrinterStatus.PRINTING,
    "pausing": PrinterStatus.PAUSED,
    "paused": PrinterStatus.PAUSED,
    "cancelling": PrinterStatus.CANCELLED,
    "error": PrinterStatus.ERROR,
    "offline": PrinterStatus.ERROR,
    "busy": PrinterStatus.BUSY,
}

# Prusa printer type codes (`printer` in /api/version, "type.version.subversion").
PRINTER_TYPES: Final[dict[str, str]] = {
    "1.2.5": "MK2.5",
    "1.2.6": "MK2.5S",
    "1.3.0": "MK3",
    "1.3.1": "MK3S",
    "1.3.5": "MK3.5",
    "1.3.9": "MK3.9",
    "1.4.0": "MK4",
    "1.4.1": "MK4S",
    "2.1.0": "MINI",
    "3.1.0": "XL",
    "5.1.0": "SL1",
    "5.1.1": "SL1S",
    "7.1.0": "CORE One",
}
# Type 5 is the SLA family (SL1, SL1S, M1): resin printers we do not support.
RESIN_TYPE: Final = "5"

# Hostname / text fragments → model, most specific first (hostnames are lower-cased, '.'/'-'/'_'
# removed: "prusa-mk39" → "prusamk39", "prusa-core-one" → "prusacoreone", "PrusaXL" → "prusaxl").
_MODEL_HINTS: Final[tuple[tuple[str, str], ...]] = (
    ("coreone", "CORE One"),
    ("mk4s", "MK4S"),
    ("mk4", "MK4"),
    ("mk39s", "MK3.9S"),
    ("mk39", "MK3.9"),
    ("mk35s", "MK3.5S"),
    ("mk35", "MK3.5"),
    ("mk3s", "MK3S"),
    ("mk3", "MK3"),
    ("mk25s", "MK2.5S"),
    ("mk25", "MK2.5"),
    ("sl1s", "SL1S"),
    ("sl1", "SL1"),
    ("xl", "XL"),
    ("mini", "MINI"),
)
_RESIN_RE: Final = re.compile(r"\b(SL1S?|SLA|M1)\b", re.IGNORECASE)


class ParseIssues:
    """Counts unexpected values; each place is logged once at debug level."""

    def __init__(self) -> None:
        """Start with nothing seen."""
        self.count = 0
        self._logged: set[str] = set()

    def report(self, where: str, value: object) -> None:
        """Record that ``where`` held something unusable."""
        self.count += 1
        if where not in self._logged:
            self._logged.add(where)
            _LOGGER.debug("PrusaLink: ignoring unexpected value at %s: %.200r", where, value)


def _obj(data: Mapping[str, Any] | None, key: str, issues: ParseIssues) -> Mapping[str, Any] | None:
    if data is None:
        return None
    value = data.get(key)
    if value is None or isinstance(value, Mapping):
        return value
    issues.report(key, value)
    return None


_DAY: Final = 86_400
_TEMPERATURE: Final = (-40.0, 600.0)
_PERCENT_FACTOR: Final = (0.0, 1000.0)
# Values outside these ranges are firmware glitches (or garbage), never real readings.
_RANGES: Final[Mapping[str, tuple[float, float]]] = {
    "progress": (0.0, 100.0),
    "completion": (0.0, 100.0),
    "time_remaining": (0.0, 30.0 * _DAY),
    "time_printing": (0.0, 30.0 * _DAY),
    "printTimeLeft": (0.0, 30.0 * _DAY),
    "printTime": (0.0, 30.0 * _DAY),
    "temp_nozzle": _TEMPERATURE,
    "target_nozzle": _TEMPERATURE,
    "temp_bed": _TEMPERATURE,
    "target_bed": _TEMPERATURE,
    "temp-nozzle": _TEMPERATURE,
    "temp-bed": _TEMPERATURE,
    "actual": _TEMPERATURE,
    "target": _TEMPERATURE,
    "speed": _PERCENT_FACTOR,
    "flow": _PERCENT_FACTOR,
    "print-speed": _PERCENT_FACTOR,
    "printSpeed": _PERCENT_FACTOR,
    "flow_factor": _PERCENT_FACTOR,
    "fan_hotend": (0.0, 100_000.0),
    "fan_print": (0.0, 100_000.0),
}


def _float(data: Mapping[str, Any] | None, key: str, issues: ParseIssues) -> float | None:
    if data is None:
        return None
    value = data.get(key)
    if value is None:
        return None
    result: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            result = None
    if result is None or not math.isfinite(result):
        issues.report(key, value)
        return None
    if (limits := _RANGES.get(key)) is not None and not limits[0] <= result <= limits[1]:
        issues.report(key, value)
        return None
    return result


def _int(data: Mapping[str, Any] | None, key: str, issues: ParseIssues) -> int | None:
    value = _float(data, key, issues)
    return None if value is None else round(value)


def _str(data: Mapping[str, Any] | None, key: str, issues: ParseIssues) -> str | None:
    if data is None:
        return None
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    issues.report(key, value)
    return None


def _as_mapping(data: object, where: str, issues: ParseIssues) -> Mapping[str, Any] | None:
    if data is None or isinstance(data, Mapping):
        return data
    issues.report(where, data)
    return None


def _first(*values: float | None) -> float | None:
    return next((value for value in values if value is not None), None)


def _minutes(seconds: float | None) -> int | None:
    """PrusaLink reports seconds; the model wants whole minutes."""
    if seconds is None or seconds < 0:
        return None
    return round(seconds / 60)


def _steady(new: datetime | None, old: datetime | None) -> datetime | None:
    """Keep the old time when the new one moved by less than a minute."""
    if new is not None and old is not None and abs(new - old) < JITTER:
        return old
    return new


def map_v1_state(raw: object) -> PrinterStatus | None:
    """Map a v1 printer state (case-insensitive) to a status, None when unknown."""
    if not isinstance(raw, str):
        return None
    return V1_STATES.get(raw.strip().upper())


def map_legacy_state(raw: object) -> PrinterStatus | None:
    """Map a legacy state text ("Operational", "Printing", ...) to a status."""
    if not isinstance(raw, str):
        return None
    return LEGACY_STATES.get(raw.strip().lower())


@dataclass(frozen=True, slots=True, kw_only=True)
class JobDetails:
    """What `/api/v1/job` (or legacy `/api/job`) says about the current job."""

    job_id: str | None = None
    state: str | None = None
    file: str | None = None
    """Long file name (``display_name``), not the 8.3 name."""
    path: str | None = None
    thumbnail_url: str | None = None
    size: int | None = None
    progress: float | None = None
    time_remaining: float | None = None
    time_printing: float | None = None


def parse_job(data: object, issues: ParseIssues | None = None) -> JobDetails | None:
    """Parse `/api/v1/job`; None for no job (204 / empty body)."""
    issues = issues or ParseIssues()
    job = _as_mapping(data, "job", issues)
    if not job:
        return None
    file = _obj(job, "file", issues)
    refs = _obj(file, "refs", issues)
    name = _str(file, "display_name", issues) or _str(file, "name", issues)
    folder = _str(file, "path", issues)
    short = _str(file, "name", issues)
    path = f"{folder.rstrip('/')}/{short}" if folder and short else short
    return JobDetails(
        job_id=_str(job, "id", issues),
        state=_str(job, "state", issues),
        file=name,
        path=path,
        thumbnail_url=_str(refs, "thumbnail", issues) or _str(refs, "icon", issues),
        size=_int(file, "size", issues),
        progress=_float(job, "progress", issues),
        time_remaining=_float(job, "time_remaining", issues),
        time_printing=_float(job, "time_printing", issues),
    )


def _storage(value: object, issues: ParseIssues) -> list[dict[str, Any]] | None:
    """`storage` is an object in /api/v1/status but a list on some firmwares."""
    items: list[object]
    if isinstance(value, Mapping):
        items = [value]
    elif isinstance(value, list):
        items = value
    elif value is None:
        return None
    else:
        issues.report("storage", value)
        return None
    result = [dict(item) for item in items if isinstance(item, Mapping)]
    if len(result) != len(items):
        issues.report("storage[]", value)
    return result


def _material(value: str | None) -> str | None:
    # The RPi PrusaLink sends " - " when no filament is known.
    if value is None or value.strip(" -") == "":
        return None
    return value.strip()


def filament_slot(material: str | None) -> FilamentSlot | None:
    """Return the single spool of a Prusa printer, None when the material is unknown."""
    material = _material(material)
    if material is None:
        return None
    return FilamentSlot(key="external", material=material, active=True)


def parse_legacy_material(data: object, issues: ParseIssues | None = None) -> str | None:
    """Return the loaded filament from legacy `/api/printer` (``telemetry.material``)."""
    issues = issues or ParseIssues()
    printer = _as_mapping(data, "printer", issues)
    return _material(_str(_obj(printer, "telemetry", issues), "material", issues))


def _job_times(
    *,
    status: PrinterStatus,
    same_job: bool,
    previous: PrinterState | None,
    now: datetime,
    time_printing: float | None,
    time_remaining: float | None,
) -> tuple[datetime | None, datetime | None]:
    """Return (job_start, job_end) without sub-minute jitter."""
    prev_start = previous.job_start if previous is not None and same_job else None
    prev_end = previous.job_end if previous is not None and same_job else None
    # A job starts once: keep the first start we computed for it.
    start = prev_start
    if start is None and time_printing is not None and time_printing >= 0:
        start = (now - timedelta(seconds=time_printing)).replace(microsecond=0)

    if status in JOB_END_STATUSES:
        if prev_end is not None and previous is not None and previous.status in JOB_END_STATUSES:
            end: datetime | None = prev_end
        elif previous is not None and same_job and previous.job_active:
            end = now.replace(microsecond=0)  # we saw it end
        else:
            end = None  # ended before we looked; the real end is unknown
        return start, end
    if time_remaining is None or time_remaining < 0:
        return start, prev_end
    expected = (now + timedelta(seconds=time_remaining)).replace(microsecond=0)
    return start, _steady(expected, prev_end)


def _errors(
    status: PrinterStatus, printer: Mapping[str, Any] | None, raw: str | None, issues: ParseIssues
) -> tuple[PrinterError, ...]:
    if status not in (PrinterStatus.ERROR, PrinterStatus.ATTENTION):
        return ()
    detail = _obj(printer, "status_printer", issues)
    message = _str(detail, "message", issues)
    if message is not None and message.upper() == "OK":
        message = None
    return (
        PrinterError(
            code=(raw or status.value).upper(),
            source="prusa",
            severity=ErrorSeverity.SERIOUS
            if status is PrinterStatus.ERROR
            else ErrorSeverity.COMMON,
            text=message,
        ),
    )


def parse_status(
    data: object,
    *,
    previous: PrinterState | None = None,
    job: JobDetails | None = None,
    now: datetime,
    camera_url: str | None = None,
    material: str | None = None,
    issues: ParseIssues | None = None,
) -> PrinterState:
    """Build a state from `/api/v1/status` (+ `/api/v1/job` when it was fetched this poll).

    ``job`` is only passed when the job id changed; otherwise file name and thumbnail are carried
    over from ``previous``. ``previous`` also keeps start/end times from jittering.
    """
    issues = issues or ParseIssues()
    body = _as_mapping(data, "status", issues) or {}
    printer = _obj(body, "printer", issues)
    status_job = _obj(body, "job", issues)
    raw_state = _str(printer, "state", issues)
    status = map_v1_state(raw_state)
    if status is None:
        if raw_state is not None:
            issues.report("printer.state", raw_state)
        status = PrinterStatus.ERROR if printer is None else PrinterStatus.IDLE

    job_id = _str(status_job, "id", issues)
    if job_id is None and job is not None:
        job_id = job.job_id
    same_job = previous is not None and job_id is not None and previous.job_id == job_id

    file: str | None = None
    thumbnail: str | None = previous.thumbnail_url if previous is not None else None
    if job is not None and (job_id is None or job.job_id in (None, job_id)):
        file = job.file
        thumbnail = job.thumbnail_url or thumbnail
    elif same_job and previous is not None:
        file = previous.file

    progress = _float(status_job, "progress", issues)
    time_remaining = _float(status_job, "time_remaining", issues)
    time_printing = _float(status_job, "time_printing", issues)
    if job is not None and job_id is not None and job.job_id == job_id:
        progress = progress if progress is not None else job.progress
        time_remaining = time_remaining if time_remaining is not None else job.time_remaining
        time_printing = time_printing if time_printing is not None else job.time_printing

    if job_id is None:
        job_start = job_end = None
    else:
        job_start, job_end = _job_times(
            status=status,
            same_job=same_job,
            previous=previous,
            now=now,
            time_printing=time_printing,
            time_remaining=time_remaining,
        )

    camera = _obj(body, "camera", issues)
    if camera_url is None and camera is not None:
        camera_url = "/api/v1/cameras/snap"
    extra: dict[str, object] = {"state": raw_state, "api": "v1"}
    if (axis_z := _float(printer, "axis_z", issues)) is not None:
        extra["axis_z"] = axis_z
    if (storage := _storage(body.get("storage"), issues)) is not None:
        extra["storage"] = storage
    if (transfer := _obj(body, "transfer", issues)) is not None:
        extra["transfer"] = dict(transfer)

    return PrinterState(
        status=status,
        progress=progress,
        remaining_time=_minutes(time_remaining),
        job_start=job_start,
        job_end=job_end,
        file=file,
        job_id=job_id,
        nozzle_temperature=_float(printer, "temp_nozzle", issues),
        nozzle_target_temperature=_float(printer, "target_nozzle", issues),
        bed_temperature=_float(printer, "temp_bed", issues),
        bed_target_temperature=_float(printer, "target_bed", issues),
        print_speed=_int(printer, "speed", issues),
        flow=_int(printer, "flow", issues),
        hotend_fan_rpm=_int(printer, "fan_hotend", issues),
        print_fan_rpm=_int(printer, "fan_print", issues),
        external_spool=filament_slot(material),
        active_slot="external" if _material(material) else None,
        errors=_errors(status, printer, raw_state, issues),
        thumbnail_url=thumbnail,
        camera_url=camera_url,
        extra=extra,
    )


def _legacy_status(
    printer: Mapping[str, Any] | None, job: Mapping[str, Any] | None, issues: ParseIssues
) -> tuple[PrinterStatus, str | None]:
    state = _obj(printer, "state", issues)
    flags = _obj(state, "flags", issues)
    # The RPi PrusaLink adds the exact v1 state as flags.link_state.
    link_state = _str(flags, "link_state", issues)
    if (mapped := map_v1_state(link_state)) is not None:
        return mapped, link_state
    text = _str(state, "text", issues)
    if (mapped := map_legacy_state(text)) is not None:
        return mapped, text
    if flags is not None:
        for flag, mapped in (
            ("error", PrinterStatus.ERROR),
            ("closedOrError", PrinterStatus.ERROR),
            ("cancelling", PrinterStatus.CANCELLED),
            ("paused", PrinterStatus.PAUSED),
            ("pausing", PrinterStatus.PAUSED),
            ("printing", PrinterStatus.PRINTING),
            ("busy", PrinterStatus.BUSY),
        ):
            if flags.get(flag) is True:
                return mapped, text
    job_text = _str(job, "state", issues)
    if (mapped := map_legacy_state(job_text)) is not None:
        return mapped, job_text
    return PrinterStatus.IDLE, text or job_text


def parse_legacy(
    printer_data: object,
    job_data: object,
    *,
    previous: PrinterState | None = None,
    now: datetime,
    camera_url: str | None = None,
    issues: ParseIssues | None = None,
) -> PrinterState:
    """Build a state from legacy `/api/printer` and `/api/job` (either may be None).

    Legacy firmwares have no job id; a job is identified by its file path.
    """
    issues = issues or ParseIssues()
    printer = _as_mapping(printer_data, "printer", issues)
    body = _as_mapping(job_data, "legacy job", issues)
    status, raw_state = _legacy_status(printer, body, issues)
    if printer is None and body is not None:
        # Only /api/job answered: its state text is all we have.
        status = map_legacy_state(_str(body, "state", issues)) or status

    job = _obj(body, "job", issues)
    file = _obj(job, "file", issues)
    progress_obj = _obj(body, "progress", issues)
    name = _str(file, "display", issues) or _str(file, "name", issues)
    path = _str(file, "path", issues)
    completion = _float(progress_obj, "completion", issues)
    # Buddy and the RPi PrusaLink report a fraction (0.37); OctoPrint itself reports percent.
    progress = None if completion is None else completion * 100 if completion <= 1 else completion
    time_remaining = _float(progress_obj, "printTimeLeft", issues)
    time_printing = _float(progress_obj, "printTime", issues)

    job_key = path or name
    same_job = (
        previous is not None and job_key is not None and previous.extra.get("job_key") == job_key
    )
    if job_key is None:
        job_start = job_end = None
    else:
        job_start, job_end = _job_times(
            status=status,
            same_job=same_job,
            previous=previous,
            now=now,
            time_printing=time_printing,
            time_remaining=time_remaining,
        )

    temperature = _obj(printer, "temperature", issues)
    tool = _obj(temperature, "tool0", issues)
    bed = _obj(temperature, "bed", issues)
    telemetry = _obj(printer, "telemetry", issues)
    nozzle = _first(
        _float(tool, "actual", issues),
        _float(telemetry, "temp-nozzle", issues),
        _float(telemetry, "temp_nozzle", issues),
    )
    bed_temp = _first(
        _float(bed, "actual", issues),
        _float(telemetry, "temp-bed", issues),
        _float(telemetry, "temp_bed", issues),
    )
    speed = _int(telemetry, "print-speed", issues)
    if speed is None:
        speed = _int(progress_obj, "printSpeed", issues)
    material = _material(_str(telemetry, "material", issues))
    if material is None and printer is None and previous is not None:
        spool = previous.external_spool
        material = spool.material if spool is not None else None

    extra: dict[str, object] = {"state": raw_state, "api": "legacy", "job_key": job_key}
    if (z := _float(telemetry, "z-height", issues)) is not None:
        extra["axis_z"] = z
    return PrinterState(
        status=status,
        progress=progress,
        remaining_time=_minutes(time_remaining),
        job_start=job_start,
        job_end=job_end,
        file=name,
        nozzle_temperature=nozzle,
        nozzle_target_temperature=_float(tool, "target", issues),
        bed_temperature=bed_temp,
        bed_target_temperature=_float(bed, "target", issues),
        print_speed=speed,
        flow=_int(progress_obj, "flow_factor", issues),
        external_spool=filament_slot(material),
        active_slot="external" if material else None,
        errors=_errors(status, None, raw_state, issues),
        camera_url=camera_url,
        thumbnail_url=previous.thumbnail_url if previous is not None else None,
        extra=extra,
    )


def printer_type(
    version: Mapping[str, Any] | None, issues: ParseIssues | None = None
) -> str | None:
    """Return the Prusa printer type code ("1.4.0") from /api/version, if it has one."""
    issues = issues or ParseIssues()
    value = _str(version, "printer", issues)
    if value is None or not re.fullmatch(r"\d+\.\d+\.\d+", value):
        return None
    return value


def is_resin(version: Mapping[str, Any] | None, info: Mapping[str, Any] | None = None) -> bool:
    """Return True for SLA printers (SL1, SL1S, M1), which we do not support."""
    issues = ParseIssues()
    code = printer_type(version, issues)
    if code is not None and code.split(".")[0] == RESIN_TYPE:
        return True
    for source, key in (
        (version, "text"),
        (version, "original"),
        (version, "hostname"),
        (info, "hostname"),
    ):
        text = _str(source, key, issues)
        if text is not None and _RESIN_RE.search(text.replace("-", " ").replace("_", " ")):
            return True
    return False


def _model_from_text(text: str | None) -> str | None:
    if not text:
        return None
    compact = re.sub(r"[\s._\-+]", "", text.lower())
    compact = compact.replace("originalprusa", "").replace("prusalink", "").replace("prusa", "")
    compact = compact.removeprefix("i3")
    for hint, model in _MODEL_HINTS:
        if hint in compact:
            return model
    return None


def parse_printer_info(
    version: object,
    info: object,
    *,
    fallback_serial: str = "",
    camera: bool = False,
    legacy_only: bool = False,
    issues: ParseIssues | None = None,
) -> PrinterInfo:
    """Build the device identity from `/api/version` and `/api/v1/info` (None on legacy-only)."""
    issues = issues or ParseIssues()
    ver = _as_mapping(version, "version", issues) or {}
    inf = _as_mapping(info, "info", issues) or {}
    hostname = _str(ver, "hostname", issues) or _str(inf, "hostname", issues)
    serial = _str(inf, "serial", issues) or hostname or fallback_serial
    code = printer_type(ver, issues)
    model = PRINTER_TYPES.get(code) if code is not None else None
    model = (
        model
        or _model_from_text(_str(ver, "original", issues))
        or _model_from_text(_str(ver, "text", issues))
        or _model_from_text(hostname)
    )
    # Old Buddy firmware does not report its version; `server` is PrusaLink's, not the firmware.
    firmware = _str(ver, "firmware", issues)
    server = _str(ver, "server", issues)
    capabilities = Capability.PAUSE_RESUME_STOP
    if camera:
        capabilities |= Capability.CAMERA
    if not legacy_only:
        capabilities |= Capability.FANS_RPM
    return PrinterInfo(
        vendor=Vendor.PRUSA,
        serial=serial,
        model=model,
        model_id=code,
        firmware=firmware,
        # The RPi PrusaLink reports the printer firmware; its own version is `server`.
        hardware=f"PrusaLink {server}" if server and _str(ver, "original", issues) else None,
        name=_str(inf, "name", issues) or hostname,
        capabilities=capabilities,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PrusaFile:
    """One entry of a `/api/v1/files/{storage}/{path}` folder listing."""

    name: str
    """Short (8.3) name, used in URLs."""
    display_name: str
    path: str
    """Full path on the printer, e.g. ``/usb/BENCHY.GCO``."""
    type: str
    size: int | None = None
    modified: datetime | None = None
    read_only: bool | None = None
    thumbnail_url: str | None = None
    download_url: str | None = None


def parse_files(data: object, folder: str, issues: ParseIssues | None = None) -> list[PrusaFile]:
    """Parse a folder listing; ``folder`` is the listed path (``/usb``)."""
    issues = issues or ParseIssues()
    body = _as_mapping(data, "files", issues)
    children = body.get("children") if body is not None else None
    if children is None:
        return []
    if not isinstance(children, list):
        issues.report("children", children)
        return []
    entries = (parse_file(child, folder, issues) for child in children)
    return [entry for entry in entries if entry is not None]


def parse_file(data: object, folder: str, issues: ParseIssues | None = None) -> PrusaFile | None:
    """Parse one file or folder entry (a listing child, or the answer to a file GET/PUT)."""
    issues = issues or ParseIssues()
    entry = _as_mapping(data, "file", issues)
    name = _str(entry, "name", issues)
    if entry is None or name is None:
        return None
    refs = _obj(entry, "refs", issues)
    stamp = _float(entry, "m_timestamp", issues)
    read_only = entry.get("ro", entry.get("read_only"))
    base = "/" + folder.strip("/")
    return PrusaFile(
        name=name,
        display_name=_str(entry, "display_name", issues) or name,
        path=f"{base.rstrip('/')}/{name}",
        type=_str(entry, "type", issues) or "FILE",
        size=_int(entry, "size", issues),
        modified=datetime.fromtimestamp(stamp, UTC) if stamp is not None and stamp >= 0 else None,
        read_only=read_only if isinstance(read_only, bool) else None,
        thumbnail_url=_str(refs, "thumbnail", issues),
        download_url=_str(refs, "download", issues),
    )


def parse_storage(data: object, issues: ParseIssues | None = None) -> list[dict[str, Any]]:
    """Parse `/api/v1/storage` (``storage_list``) or a status ``storage`` (object or list)."""
    issues = issues or ParseIssues()
    body = _as_mapping(data, "storage", issues)
    if body is None:
        return _storage(data, issues) or []
    if "storage_list" in body:
        return _storage(body.get("storage_list"), issues) or []
    return _storage(body, issues) or []


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer:
    """A file transfer in progress (`/api/v1/transfer`)."""

    transfer_id: str | None
    type: str | None
    display_name: str | None
    path: str | None
    size: int | None
    progress: float | None
    remaining_time: int | None
    """Minutes."""
    to_print: bool | None


def parse_transfer(data: object, issues: ParseIssues | None = None) -> Transfer | None:
    """Parse `/api/v1/transfer`; None when there is none (204)."""
    issues = issues or ParseIssues()
    body = _as_mapping(data, "transfer", issues)
    if not body:
        return None
    to_print = body.get("to_print")
    return Transfer(
        transfer_id=_str(body, "id", issues),
        type=_str(body, "type", issues),
        display_name=_str(body, "display_name", issues),
        path=_str(body, "path", issues),
        # `size` is a string in the spec ("Bytes"), a number on some firmwares.
        size=_int(body, "size", issues),
        progress=_float(body, "progress", issues),
        remaining_time=_minutes(_float(body, "time_remaining", issues)),
        to_print=to_print if isinstance(to_print, bool) else None,
    )
