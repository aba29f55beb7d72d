"""Map PrusaLink JSON (v1 and legacy OctoPrint-style) into the normalized printer model.

Nothing here raises on bad input: firmwares differ (Buddy MINI/MK4/XL/CORE One, the Raspberry Pi
PrusaLink for MK3/MK2.5, old Buddy 4.x with only the legacy API) and fields come and go. A value
of the wrong type is dropped (``None``, i.e. unknown), counted in `ParseIssues` and logged once at
debug level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
import logging
from typing import Any, Final

from ..model import (
    JOB_END_STATUSES,
    ErrorSeverity,
    FilamentSlot,
    PrinterError,
    PrinterState,
    PrinterStatus,
)
from .values import (
    ParseIssues,
    as_mapping,
    first_of,
    get_float,
    get_int,
    get_mapping,
    get_str,
    storage_list,
    to_minutes,
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
    job = as_mapping(data, "job", issues)
    if not job:
        return None
    file = get_mapping(job, "file", issues)
    refs = get_mapping(file, "refs", issues)
    name = get_str(file, "display_name", issues) or get_str(file, "name", issues)
    folder = get_str(file, "path", issues)
    short = get_str(file, "name", issues)
    path = f"{folder.rstrip('/')}/{short}" if folder and short else short
    return JobDetails(
        job_id=get_str(job, "id", issues),
        state=get_str(job, "state", issues),
        file=name,
        path=path,
        thumbnail_url=get_str(refs, "thumbnail", issues) or get_str(refs, "icon", issues),
        size=get_int(file, "size", issues),
        progress=get_float(job, "progress", issues),
        time_remaining=get_float(job, "time_remaining", issues),
        time_printing=get_float(job, "time_printing", issues),
    )


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
    printer = as_mapping(data, "printer", issues)
    return _material(get_str(get_mapping(printer, "telemetry", issues), "material", issues))


def _job_times(
    *,
    job: object,
    status: PrinterStatus,
    same_job: bool,
    previous: PrinterState | None,
    now: datetime,
    time_printing: float | None,
    time_remaining: float | None,
) -> tuple[datetime | None, datetime | None]:
    """Return (job_start, job_end) without sub-minute jitter; none without a job (``job``)."""
    if job is None:
        return None, None
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
    detail = get_mapping(printer, "status_printer", issues)
    message = get_str(detail, "message", issues)
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
    body = as_mapping(data, "status", issues) or {}
    printer = get_mapping(body, "printer", issues)
    status_job = get_mapping(body, "job", issues)
    raw_state = get_str(printer, "state", issues)
    status = map_v1_state(raw_state)
    if status is None:
        if raw_state is not None:
            issues.report("printer.state", raw_state)
        status = PrinterStatus.ERROR if printer is None else PrinterStatus.IDLE

    job_id = get_str(status_job, "id", issues)
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

    progress = get_float(status_job, "progress", issues)
    time_remaining = get_float(status_job, "time_remaining", issues)
    time_printing = get_float(status_job, "time_printing", issues)
    if job is not None and job_id is not None and job.job_id == job_id:
        progress = progress if progress is not None else job.progress
        time_remaining = time_remaining if time_remaining is not None else job.time_remaining
        time_printing = time_printing if time_printing is not None else job.time_printing

    job_start, job_end = _job_times(
        job=job_id,
        status=status,
        same_job=same_job,
        previous=previous,
        now=now,
        time_printing=time_printing,
        time_remaining=time_remaining,
    )

    camera = get_mapping(body, "camera", issues)
    if camera_url is None and camera is not None:
        camera_url = "/api/v1/cameras/snap"
    extra: dict[str, object] = {"state": raw_state, "api": "v1"}
    if (axis_z := get_float(printer, "axis_z", issues)) is not None:
        extra["axis_z"] = axis_z
    if (storage := storage_list(body.get("storage"), issues)) is not None:
        extra["storage"] = storage
    if (transfer := get_mapping(body, "transfer", issues)) is not None:
        extra["transfer"] = dict(transfer)

    return PrinterState(
        status=status,
        progress=progress,
        remaining_time=to_minutes(time_remaining),
        job_start=job_start,
        job_end=job_end,
        file=file,
        job_id=job_id,
        nozzle_temperature=get_float(printer, "temp_nozzle", issues),
        nozzle_target_temperature=get_float(printer, "target_nozzle", issues),
        bed_temperature=get_float(printer, "temp_bed", issues),
        bed_target_temperature=get_float(printer, "target_bed", issues),
        print_speed=get_int(printer, "speed", issues),
        flow=get_int(printer, "flow", issues),
        hotend_fan_rpm=get_int(printer, "fan_hotend", issues),
        print_fan_rpm=get_int(printer, "fan_print", issues),
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
    state = get_mapping(printer, "state", issues)
    flags = get_mapping(state, "flags", issues)
    # The RPi PrusaLink adds the exact v1 state as flags.link_state.
    link_state = get_str(flags, "link_state", issues)
    if (mapped := map_v1_state(link_state)) is not None:
        return mapped, link_state
    text = get_str(state, "text", issues)
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
    job_text = get_str(job, "state", issues)
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
    printer = as_mapping(printer_data, "printer", issues)
    body = as_mapping(job_data, "legacy job", issues)
    status, raw_state = _legacy_status(printer, body, issues)
    if printer is None and body is not None:
        # Only /api/job answered: its state text is all we have.
        status = map_legacy_state(get_str(body, "state", issues)) or status

    job = get_mapping(body, "job", issues)
    file = get_mapping(job, "file", issues)
    progress_obj = get_mapping(body, "progress", issues)
    name = get_str(file, "display", issues) or get_str(file, "name", issues)
    path = get_str(file, "path", issues)
    completion = get_float(progress_obj, "completion", issues)
    # Buddy and the RPi PrusaLink report a fraction (0.37); OctoPrint itself reports percent.
    progress = None if completion is None else completion * 100 if completion <= 1 else completion
    time_remaining = get_float(progress_obj, "printTimeLeft", issues)
    time_printing = get_float(progress_obj, "printTime", issues)

    job_key = path or name
    same_job = (
        previous is not None and job_key is not None and previous.extra.get("job_key") == job_key
    )
    job_start, job_end = _job_times(
        job=job_key,
        status=status,
        same_job=same_job,
        previous=previous,
        now=now,
        time_printing=time_printing,
        time_remaining=time_remaining,
    )

    temperature = get_mapping(printer, "temperature", issues)
    tool = get_mapping(temperature, "tool0", issues)
    bed = get_mapping(temperature, "bed", issues)
    telemetry = get_mapping(printer, "telemetry", issues)
    nozzle = first_of(
        get_float(tool, "actual", issues),
        get_float(telemetry, "temp-nozzle", issues),
        get_float(telemetry, "temp_nozzle", issues),
    )
    bed_temp = first_of(
        get_float(bed, "actual", issues),
        get_float(telemetry, "temp-bed", issues),
        get_float(telemetry, "temp_bed", issues),
    )
    speed = get_int(telemetry, "print-speed", issues)
    if speed is None:
        speed = get_int(progress_obj, "printSpeed", issues)
    material = _material(get_str(telemetry, "material", issues))
    if material is None and printer is None and previous is not None:
        spool = previous.external_spool
        material = spool.material if spool is not None else None

    extra: dict[str, object] = {"state": raw_state, "api": "legacy", "job_key": job_key}
    if (z := get_float(telemetry, "z-height", issues)) is not None:
        extra["axis_z"] = z
    return PrinterState(
        status=status,
        progress=progress,
        remaining_time=to_minutes(time_remaining),
        job_start=job_start,
        job_end=job_end,
        file=name,
        nozzle_temperature=nozzle,
        nozzle_target_temperature=get_float(tool, "target", issues),
        bed_temperature=bed_temp,
        bed_target_temperature=get_float(bed, "target", issues),
        print_speed=speed,
        flow=get_int(progress_obj, "flow_factor", issues),
        external_spool=filament_slot(material),
        active_slot="external" if material else None,
        errors=_errors(status, None, raw_state, issues),
        camera_url=camera_url,
        thumbnail_url=previous.thumbnail_url if previous is not None else None,
        extra=extra,
    )
