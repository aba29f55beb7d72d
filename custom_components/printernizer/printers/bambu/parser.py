"""Turn a merged Bambu ``print`` report into the normalized :class:`PrinterState`.

:func:`parse_state` reads the whole report; :func:`parse_delta` re-derives only the field groups a
delta's keys feed (temperatures, progress, layers, fans, ...), which is what nearly every report
while printing needs. Both use the same group functions, and the tests check they always agree.

Nothing here raises on what a printer sends: strings where numbers belong are converted, garbage and
out-of-range values are dropped (the value becomes unknown), each such problem is logged once at
debug level and counted in :class:`ParseDiagnostics`.

Device behaviour this module relies on (captures in ``protocol/bambu``, facts in ``commands.md``):

- ``mc_remaining_time`` is in minutes; ``mc_percent`` is 0-100;
- ``device.extruder.info[].snow`` is the slot feeding that extruder: high byte AMS id (254/255 =
  external spool holder), low byte tray; 0xFFFF = none. Older firmware reports ``ams.tray_now``
  instead: 255 none, 254 external, else ``ams_id * 4 + tray``; AMS HT units (ids 128+) are reported
  by their id;
- ``print_error`` 50348044 marks a cancelled print. The printer clears it seconds later while
  ``gcode_state`` stays FAILED, so a cancel seen once sticks until the state changes.

Single values (temperatures, fans, flags) are read in :mod:`.values`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
import logging
from typing import Any, Final

from ..model import (
    JOB_ACTIVE_STATUSES,
    JOB_END_STATUSES,
    PrinterState,
    PrinterStatus,
    SpeedProfile,
)
from .filament import find_active_slot, parse_filament
from .hms import CANCELLED_PRINT_ERROR
from .reader import ParseContext, Reader, text
from .stages import STAGES
from .values import (
    BED_RANGE,
    NOZZLE_RANGE,
    active_extruder,
    camera_url,
    chamber_light,
    chamber_temperature,
    door_open,
    fan_speed,
    nested,
    nozzle_details,
    printer_errors,
    signed_commands,
    temperature_pair,
    wifi_signal,
)

_LOGGER = logging.getLogger(__name__)

GCODE_STATES: Final[Mapping[str, PrinterStatus]] = {
    "IDLE": PrinterStatus.IDLE,
    "INIT": PrinterStatus.PREPARING,
    "SLICING": PrinterStatus.PREPARING,
    "PREPARE": PrinterStatus.PREPARING,
    "RUNNING": PrinterStatus.PRINTING,
    "PAUSE": PrinterStatus.PAUSED,
    "FINISH": PrinterStatus.FINISHED,
    "FAILED": PrinterStatus.FAILED,
}
SPEED_LEVELS: Final[Mapping[int, SpeedProfile]] = {
    1: SpeedProfile.SILENT,
    2: SpeedProfile.STANDARD,
    3: SpeedProfile.SPORT,
    4: SpeedProfile.LUDICROUS,
}

END_TIME_TOLERANCE: Final = timedelta(minutes=1)

# Sane ranges; anything outside is a glitch (the printer reports garbage while booting).
_MAX_REMAINING_MIN: Final = 60 * 24 * 60  # 60 days
_MAX_LAYERS: Final = 100_000
_SPEED_RANGE: Final = (1, 1000)
_EARLIEST_START: Final = 1_262_304_000  # 2010-01-01: anything before is not a job start

_ACTIVE_OR_ENDED: Final = JOB_ACTIVE_STATUSES | JOB_END_STATUSES


def parse_state(raw: Mapping[str, Any], ctx: ParseContext) -> PrinterState:
    """Return the normalized state of a merged ``print`` report."""
    read = Reader(raw, ctx.diagnostics)
    previous = ctx.previous
    print_error = read.integer("print_error", raw.get("print_error")) or 0
    status = _status(read, print_error, previous)
    file, job_id = _job_identity(raw, status)
    fields: dict[str, Any] = {
        "status": status,
        "file": file,
        "job_id": job_id,
        "job_start": _job_start(read, raw=raw, status=status, file=file, job_id=job_id, ctx=ctx),
    }
    for group in _ALL_GROUPS:
        fields.update(group(read, raw, ctx, status))
    active_slot = fields["active_slot"]
    fields["ams_units"], fields["external_spool"], fields["external_left_spool"] = parse_filament(
        read, raw, ctx, active_slot
    )
    return PrinterState(**fields)


def parse_delta(
    raw: Mapping[str, Any], keys: Iterable[str], ctx: ParseContext
) -> dict[str, Any] | None:
    """Return the fields a delta with these top-level keys can have changed, re-derived.

    None means the delta touches something only the full parse handles (the job's state or
    identity, filament, the active slot); ``ctx.previous`` must be the state before the delta.
    The result always includes the end time, which moves with the clock.
    """
    previous = ctx.previous
    assert previous is not None
    groups: dict[DeltaGroup, None] = {_timing: None}
    for key in keys:
        group = DELTA_GROUPS.get(key)
        if group is not None:
            groups[group] = None
        elif key not in UNREAD_KEYS:
            return None
    read = Reader(raw, ctx.diagnostics)
    status = previous.status
    fields: dict[str, Any] = {}
    for group in groups:
        fields.update(group(read, raw, ctx, status))
    if "active_slot" in fields and fields["active_slot"] != previous.active_slot:
        return None  # the AMS trays show which one feeds the nozzle
    return fields


type DeltaGroup = Callable[[Reader, Mapping[str, Any], ParseContext, PrinterStatus], dict[str, Any]]


def _timing(
    read: Reader, raw: Mapping[str, Any], ctx: ParseContext, status: PrinterStatus
) -> dict[str, Any]:
    remaining = read.int_ranged(
        "mc_remaining_time", raw.get("mc_remaining_time"), 0, _MAX_REMAINING_MIN
    )
    if remaining is not None and status not in JOB_ACTIVE_STATUSES:
        remaining = 0  # leftovers of a failed or cancelled job: nothing remains to print
    return {
        "remaining_time": remaining,
        "job_end": _job_end(status, remaining, ctx.previous, ctx.now),
    }


def _progress(
    read: Reader, raw: Mapping[str, Any], _ctx: ParseContext, status: PrinterStatus
) -> dict[str, Any]:
    return {
        "progress": read.ranged("mc_percent", raw.get("mc_percent"), 0, 100),
        "stage": _stage(read, raw) if status in JOB_ACTIVE_STATUSES else None,
    }


def _layers(
    read: Reader, raw: Mapping[str, Any], _ctx: ParseContext, _status: PrinterStatus
) -> dict[str, Any]:
    return {
        "current_layer": read.int_ranged("layer_num", raw.get("layer_num"), 0, _MAX_LAYERS),
        "total_layers": read.int_ranged(
            "total_layer_num", raw.get("total_layer_num"), 0, _MAX_LAYERS
        ),
    }


def _temperatures(
    read: Reader, raw: Mapping[str, Any], ctx: ParseContext, _status: PrinterStatus
) -> dict[str, Any]:
    """Temperatures, the active extruder and the slot feeding it (all in ``device``)."""
    device = read.mapping("device", raw.get("device")) or {}
    extruder_index, extruder = active_extruder(read, device)
    nozzle, nozzle_target = temperature_pair(
        read,
        "nozzle",
        packed=extruder.get("temp") if extruder is not None else None,
        current=raw.get("nozzle_temper"),
        target=raw.get("nozzle_target_temper"),
        limits=NOZZLE_RANGE,
    )
    bed, bed_target = temperature_pair(
        read,
        "bed",
        packed=nested(device, "bed", "info", "temp"),
        current=raw.get("bed_temper"),
        target=raw.get("bed_target_temper"),
        limits=BED_RANGE,
    )
    chamber, chamber_target = chamber_temperature(read, raw, device, ctx.model)
    extra: dict[str, object] = {"gcode_state": raw.get("gcode_state")}
    if extruder_index is not None:
        extra["active_extruder"] = extruder_index
    extra.update(nozzle_details(read, raw, device, extruder_index or 0))
    return {
        "nozzle_temperature": nozzle,
        "nozzle_target_temperature": nozzle_target,
        "bed_temperature": bed,
        "bed_target_temperature": bed_target,
        "chamber_temperature": chamber,
        "chamber_target_temperature": chamber_target,
        "active_slot": find_active_slot(read, raw, extruder),
        "extra": extra,
    }


def _speed(
    read: Reader, raw: Mapping[str, Any], _ctx: ParseContext, _status: PrinterStatus
) -> dict[str, Any]:
    speed_level = read.integer("spd_lvl", raw.get("spd_lvl"))
    speed_profile = SPEED_LEVELS.get(speed_level) if speed_level is not None else None
    if speed_level is not None and speed_profile is None:
        read.diag.problem("spd_lvl", speed_level)
    return {
        "speed_profile": speed_profile,
        "print_speed": read.int_ranged("spd_mag", raw.get("spd_mag"), *_SPEED_RANGE),
    }


def _fans(
    read: Reader, raw: Mapping[str, Any], ctx: ParseContext, _status: PrinterStatus
) -> dict[str, Any]:
    model = ctx.model
    return {
        "part_fan_speed": fan_speed(read, "cooling_fan_speed", raw),
        "aux_fan_speed": (
            fan_speed(read, "big_fan1_speed", raw) if model is None or model.aux_fan else None
        ),
        "chamber_fan_speed": (
            fan_speed(read, "big_fan2_speed", raw) if model is None or model.chamber_fan else None
        ),
    }


def _device_flags(
    read: Reader, raw: Mapping[str, Any], ctx: ParseContext, _status: PrinterStatus
) -> dict[str, Any]:
    return {
        "wifi_signal": wifi_signal(read, raw.get("wifi_signal")),
        "door_open": door_open(read, raw, ctx.model, ctx.version),
        "chamber_light": chamber_light(read, raw, ctx.model),
        "signed_commands_required": signed_commands(read, raw),
        "camera_url": camera_url(raw),
    }


def _hms(
    read: Reader, raw: Mapping[str, Any], ctx: ParseContext, _status: PrinterStatus
) -> dict[str, Any]:
    print_error = read.integer("print_error", raw.get("print_error")) or 0
    return {"errors": printer_errors(read, raw, print_error, ctx.texts)}


DELTA_GROUPS: Final[Mapping[str, DeltaGroup]] = {
    "mc_remaining_time": _timing,
    "mc_percent": _progress,
    "stg_cur": _progress,
    "layer_num": _layers,
    "total_layer_num": _layers,
    **dict.fromkeys(
        (
            "device",
            "nozzle_temper",
            "nozzle_target_temper",
            "bed_temper",
            "bed_target_temper",
            "chamber_temper",
            "nozzle_diameter",
            "nozzle_type",
        ),
        _temperatures,
    ),
    "spd_lvl": _speed,
    "spd_mag": _speed,
    "cooling_fan_speed": _fans,
    "big_fan1_speed": _fans,
    "big_fan2_speed": _fans,
    **dict.fromkeys(
        ("wifi_signal", "home_flag", "stat", "lights_report", "fun", "ipcam"), _device_flags
    ),
    "hms": _hms,
}
"""What each report key feeds (the end time moves with the clock, so every delta re-derives it).

Keys missing here and from :data:`UNREAD_KEYS` (job state and identity, ``print_error``, AMS and
external spool) take the full parse.
"""
_ALL_GROUPS: Final = tuple(dict.fromkeys(DELTA_GROUPS.values()))

UNREAD_KEYS: Final = frozenset(
    {
        "command",
        "msg",
        "sequence_id",
        "mc_print_line_number",
        "mc_print_stage",
        "mc_print_sub_stage",
        "mc_print_error_code",
        "print_type",
        "queue_number",
        "queue_total",
        "queue_est",
        "queue_sts",
        "net",
        "upgrade_state",
        "upload",
        "xcam",
        "xcam_status",
        "s_obj",
        "mess_production_state",
        "lifecycle",
        "print_gcode_action",
        "profile_id",
        "project_id",
        "hw_switch_state",
        "online",
        "ver",
        "option",
        "force_upgrade",
        "heatbreak_fan_speed",
        "fan_gear",
        "stg",
        "filam_bak",
        "nozzle_temp_range",
        "mapping",
        "sdcard",
        "storage",
        "aux_part_fan",
        "gcode_file_prepare_percent",
        "percent",
        "job_attr",
        "cfg",
        "ctt",
        "batch_id",
        "design_id",
        "model_id",
        "plate_idx",
        "timelapse",
        "temp",
        "bed_type",
        "aux",
    }
)
"""Report keys no state field comes from."""


def _status(read: Reader, print_error: int, previous: PrinterState | None) -> PrinterStatus:
    gcode_state = read.raw.get("gcode_state")
    status = GCODE_STATES.get(gcode_state) if isinstance(gcode_state, str) else None
    if status is None:
        if gcode_state is not None:
            read.diag.problem("gcode_state", gcode_state)
        status = previous.status if previous is not None else PrinterStatus.IDLE
    if print_error == CANCELLED_PRINT_ERROR:
        return PrinterStatus.CANCELLED
    if (
        status is PrinterStatus.FAILED
        and previous is not None
        and previous.status is PrinterStatus.CANCELLED
    ):
        return PrinterStatus.CANCELLED  # the cancel marker was cleared; the job is still the same
    return status


def _stage(read: Reader, raw: Mapping[str, Any]) -> str | None:
    stage = read.integer("stg_cur", raw.get("stg_cur"))
    if stage is None:
        return None
    name = STAGES.get(stage)
    if name is None:
        read.diag.problem("stg_cur", stage)
    return name


def _job_identity(raw: Mapping[str, Any], status: PrinterStatus) -> tuple[str | None, str | None]:
    if status is PrinterStatus.IDLE:
        return None, None
    file = text(raw.get("subtask_name")) or text(raw.get("gcode_file"))
    job_id = None
    for key in ("subtask_id", "task_id"):
        value = raw.get(key)
        candidate = str(value).strip() if isinstance(value, str | int) else ""
        if candidate not in {"", "0", "-1"}:
            job_id = candidate
            break
    return file, job_id


def _job_start(
    read: Reader,
    *,
    raw: Mapping[str, Any],
    status: PrinterStatus,
    file: str | None,
    job_id: str | None,
    ctx: ParseContext,
) -> datetime | None:
    if status not in _ACTIVE_OR_ENDED:
        return None
    started = read.integer("gcode_start_time", raw.get("gcode_start_time"))
    if started is not None and started >= _EARLIEST_START:
        return datetime.fromtimestamp(started, UTC)
    previous = ctx.previous
    if previous is None:
        return None  # first report: the job started before we were watching
    same_job = previous.job_id == job_id and previous.file == file
    if status in JOB_ACTIVE_STATUSES:
        if previous.status in JOB_ACTIVE_STATUSES and same_job:
            return previous.job_start
        return ctx.now  # a job (re)started while we were watching
    if previous.status in _ACTIVE_OR_ENDED and same_job:
        return previous.job_start
    return None


def _job_end(
    status: PrinterStatus, remaining: int | None, previous: PrinterState | None, now: datetime
) -> datetime | None:
    if status in JOB_ACTIVE_STATUSES:
        if not remaining:
            return previous.job_end if previous is not None and previous.job_active else None
        estimate = now + timedelta(minutes=remaining)
        if (
            previous is not None
            and previous.job_active
            and previous.job_end is not None
            and abs(estimate - previous.job_end) < END_TIME_TOLERANCE
        ):
            return previous.job_end  # the minute-resolution estimate wobbles: keep it stable
        return estimate
    if status in JOB_END_STATUSES and previous is not None:
        if previous.job_active:
            return now  # we saw the job end
        if previous.status in JOB_END_STATUSES:
            return previous.job_end
    return None
