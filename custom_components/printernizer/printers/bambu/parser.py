"""Turn a merged Bambu ``print`` report into the normalized :class:`PrinterState`.

Nothing here raises on what a printer sends: strings where numbers belong are converted, garbage and
out-of-range values are dropped (the value becomes unknown), each such problem is logged once at
debug level and counted in :class:`ParseDiagnostics`.

Device behaviour this module relies on (captures in ``protocol/bambu``, facts in ``commands.md``):

- ``mc_remaining_time`` is in minutes; ``mc_percent`` is 0-100;
- fans (``cooling_fan_speed``, ``big_fan1_speed``, ``big_fan2_speed``) are 0-15 steps, sometimes as
  strings. The printer's reported step wobbles between neighbours when a user setting (10 % steps)
  falls between two steps (30 % = 4.5 steps), so the percentage is rounded to the nearest 10 %:
  ``round(step * 2 / 3) * 10`` (never a tie, since 2·step/3 is never x.5);
- H2/X2/P2S and current X1 firmware report temperatures packed into ``device.*``: low 16 bits are the
  current value, high 16 bits the target (``device.bed.info.temp`` 4587590 = 0x460046 → 70 °C of
  70 °C). Per extruder in ``device.extruder.info[]``; the active extruder is bits 4-7 of
  ``device.extruder.state``. Those values win over the legacy ``*_temper`` keys, which on the H2D
  describe whichever nozzle the firmware last reported;
- ``device.extruder.info[].snow`` is the slot feeding that extruder: high byte AMS id (254/255 =
  external spool holder), low byte tray; 0xFFFF = none. Older firmware reports ``ams.tray_now``
  instead: 255 none, 254 external, else ``ams_id * 4 + tray``; AMS HT units (ids 128+) are reported
  by their id;
- the door bit (bit 23) lives in ``home_flag`` on the X1 family and in the hex string ``stat`` on
  H2/P2S/X2 (``home_flag`` bit 23 is meaningless there);
- ``fun`` bit 0x20000000 set = the printer only accepts signed MQTT commands;
- ``print_error`` 50348044 marks a cancelled print. The printer clears it seconds later while
  ``gcode_state`` stays FAILED, so a cancel seen once sticks until the state changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import logging
import math
from typing import Any, Final

from ..model import (
    JOB_ACTIVE_STATUSES,
    JOB_END_STATUSES,
    AmsUnit,
    FilamentSlot,
    PrinterError,
    PrinterState,
    PrinterStatus,
    SpeedProfile,
)
from .hms import CANCELLED_PRINT_ERROR, HmsTexts, decode_hms, decode_print_error
from .merge import copy_json
from .models import (
    AMS,
    AMS_2_PRO,
    AMS_HT,
    AMS_LITE,
    DOOR_BIT,
    DoorSource,
    ModelSpec,
    VersionInfo,
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
# stg_cur → stage (ha-bambulab CURRENT_STAGE_IDS); -1 (X1) and 255 (P1/A1) mean idle.
STAGES: Final[Mapping[int, str]] = dict(
    enumerate(
        (
            "printing",
            "auto_bed_leveling",
            "heatbed_preheating",
            "sweeping_xy_mech_mode",
            "changing_filament",
            "m400_pause",
            "paused_filament_runout",
            "heating_hotend",
            "calibrating_extrusion",
            "scanning_bed_surface",
            "inspecting_first_layer",
            "identifying_build_plate_type",
            "calibrating_micro_lidar",
            "homing_toolhead",
            "cleaning_nozzle_tip",
            "checking_extruder_temperature",
            "paused_user",
            "paused_front_cover_falling",
            "calibrating_micro_lidar",
            "calibrating_extrusion_flow",
            "paused_nozzle_temperature_malfunction",
            "paused_heat_bed_temperature_malfunction",
            "filament_unloading",
            "paused_skipped_step",
            "filament_loading",
            "calibrating_motor_noise",
            "paused_ams_lost",
            "paused_low_fan_speed_heat_break",
            "paused_chamber_temperature_control_error",
            "cooling_chamber",
            "paused_user_gcode",
            "motor_noise_showoff",
            "paused_nozzle_filament_covered_detected",
            "paused_cutter_error",
            "paused_first_layer_error",
            "paused_nozzle_clog",
            "check_absolute_accuracy_before_calibration",
            "absolute_accuracy_calibration",
            "check_absolute_accuracy_after_calibration",
            "calibrate_nozzle_offset",
            "bed_level_high_temperature",
            "check_quick_release",
            "check_door_and_cover",
            "laser_calibration",
            "check_plaform",
            "check_birdeye_camera_position",
            "calibrate_birdeye_camera",
            "bed_level_phase_1",
            "bed_level_phase_2",
            "heating_chamber",
            "heated_bedcooling",
            "print_calibration_lines",
            "check_material",
            "calibrating_live_view_camera",
            "waiting_for_heatbed_temperature",
            "check_material_position",
            "calibrating_cutter_model_offset",
            "measuring_surface",
            "thermal_preconditioning",
            "homing_blade_holder",
            "calibrating_camera_offset",
            "calibrating_blade_holder_position",
            "hotend_pick_place_test",
            "waiting_chamber_temperature_equalize",
            "preparing_hotend",
            "calibrating_detection_nozzle_clumping",
            "purifying_chamber_air",
            "measuring_rotary_attachment",
            "moving_toolhead_above_purge_chute",
            "cooling_nozzle",
            "moving_toolhead_to_center_of_heatbed",
            "active_arc_fitting",
            "hotend_type_detection",
            "build_plate_alignment_detection",
            "heatbed_surface_foreign_object_detection",
            "heatbed_underside_foreign_object_detection",
            "pre_extrusion_before_printing",
            "preparing_ams",
        )
    )
) | {-1: "idle", 255: "idle"}

SIGNED_COMMANDS_BIT: Final = 0x20000000
END_TIME_TOLERANCE: Final = timedelta(minutes=1)
NO_SLOT: Final = 0xFFFF
EXTERNAL_MAIN: Final = 255
"""``vir_slot`` id / ``snow`` AMS byte of the (main, right) extruder's external spool."""
EXTERNAL_SECOND: Final = 254
"""Left extruder's external spool on dual-nozzle printers; the only one on older firmware."""
EXTERNAL_KEY: Final = "external"
EXTERNAL_LEFT_KEY: Final = "external_left"
_AMS_HT_FIRST: Final = 128

# Sane ranges; anything outside is a glitch (sensors report 0xFFFF or garbage while booting).
_NOZZLE_RANGE: Final = (-20.0, 500.0)
_BED_RANGE: Final = (-20.0, 200.0)
_CHAMBER_RANGE: Final = (-20.0, 120.0)
_AMS_TEMP_RANGE: Final = (-20.0, 120.0)
_WIFI_RANGE: Final = (-120, 0)
_MAX_REMAINING_MIN: Final = 60 * 24 * 60  # 60 days
_MAX_LAYERS: Final = 100_000
_SPEED_RANGE: Final = (1, 1000)
_EARLIEST_START: Final = 1_262_304_000  # 2010-01-01: anything before is not a job start

_ACTIVE_OR_ENDED: Final = JOB_ACTIVE_STATUSES | JOB_END_STATUSES
# AMS kinds with humidity and temperature sensors (the AMS lite has neither).
_AMS_WITH_SENSORS: Final = frozenset({AMS, AMS_2_PRO, AMS_HT})
# Low nibble of an AMS unit's ``info`` hex string → kind (cross-checked against get_version in the
# saved H2D/X1C/P2S/H2S/A2L captures: 1001/1101 AMS, 1003/1023/1123/2003/2103 AMS 2 Pro,
# 2004/142024 AMS HT, 30001005 AMS lite).
_AMS_INFO_KINDS: Final[Mapping[int, str]] = {1: AMS, 3: AMS_2_PRO, 4: AMS_HT, 5: AMS_LITE}
# AMS tray ``state`` flags (newer firmware): bit 0 spool present, bit 3 settled. Values up to 3 are
# the older encoding where 3 means loaded.
_TRAY_SPOOL: Final = 0x01
_TRAY_STEADY: Final = 0x08
_TRAY_LEGACY_MAX: Final = 3


@dataclass(slots=True)
class ParseDiagnostics:
    """Counts what the parser had to drop, for the integration's diagnostics."""

    counters: Counter[str] = field(default_factory=Counter)
    _logged: set[str] = field(default_factory=set)

    def problem(self, what: str, value: object) -> None:
        """Record an unusable value; log the first occurrence of each kind at debug level."""
        self.counters[what] += 1
        if what not in self._logged:
            self._logged.add(what)
            _LOGGER.debug("Ignoring unusable Bambu value %s=%r", what, value)

    def as_dict(self) -> dict[str, int]:
        """Return the counters (sorted by name)."""
        return dict(sorted(self.counters.items()))


class FilamentCache:
    """The last AMS and external-spool result and a copy of the report parts it came from.

    AMS data is most of a report and rarely changes (a delta carries it only when a tray changes),
    so re-building it for every message would dominate the per-message cost.
    """

    __slots__ = ("_inputs", "_key", "_result")

    def __init__(self) -> None:
        """Start empty."""
        self._inputs: tuple[Any, ...] | None = None
        self._key: tuple[object, ...] = ()
        self._result: tuple[tuple[AmsUnit, ...], FilamentSlot | None] = ((), None)

    def get(
        self, inputs: tuple[Any, ...], key: tuple[object, ...]
    ) -> tuple[tuple[AmsUnit, ...], FilamentSlot | None] | None:
        """Return the cached result when the inputs and the key are the same as last time."""
        if self._inputs is not None and key == self._key and inputs == self._inputs:
            return self._result
        return None

    def put(
        self,
        inputs: tuple[Any, ...],
        key: tuple[object, ...],
        result: tuple[tuple[AmsUnit, ...], FilamentSlot | None],
    ) -> None:
        """Remember a result (the inputs are copied: the merged report changes in place)."""
        self._inputs = tuple(copy_json(item) for item in inputs)
        self._key = key
        self._result = result


@dataclass(frozen=True, slots=True, kw_only=True)
class ParseContext:
    """What the parser needs besides the report."""

    now: datetime
    model: ModelSpec | None = None
    version: VersionInfo | None = None
    previous: PrinterState | None = None
    """The state parsed from the previous report: keeps end time, start time and cancel stable."""
    texts: HmsTexts | None = None
    diagnostics: ParseDiagnostics = field(default_factory=ParseDiagnostics)
    filament_cache: FilamentCache | None = None
    """Reuses the AMS/external-spool result while their part of the report is unchanged."""


class _Reader:
    """Tolerant typed access to one report; every problem goes to the diagnostics."""

    __slots__ = ("diag", "raw")

    def __init__(self, raw: Mapping[str, Any], diag: ParseDiagnostics) -> None:
        self.raw = raw
        self.diag = diag

    def number(self, what: str, value: object) -> float | None:
        """Return a finite number from an int, float or numeric string."""
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            self.diag.problem(what, value)
            return None
        if isinstance(value, int | float):
            result = float(value)
        elif isinstance(value, str):
            try:
                result = float(value)
            except ValueError:
                self.diag.problem(what, value)
                return None
        else:
            self.diag.problem(what, value)
            return None
        if not math.isfinite(result):
            self.diag.problem(what, value)
            return None
        return result

    def integer(self, what: str, value: object) -> int | None:
        """Return an int from an int, integral float or numeric string."""
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)  # the common case: AMS ids, temperatures and fans as strings
        number = self.number(what, value)
        if number is None:
            return None
        if not number.is_integer():
            self.diag.problem(what, value)
            return None
        return int(number)

    def ranged(self, what: str, value: object, low: float, high: float) -> float | None:
        """Return a number inside ``[low, high]``, else None."""
        number = self.number(what, value)
        if number is None:
            return None
        if not low <= number <= high:
            self.diag.problem(what, value)
            return None
        return number

    def int_ranged(self, what: str, value: object, low: int, high: int) -> int | None:
        """Return an int inside ``[low, high]``, else None."""
        number = self.integer(what, value)
        if number is None:
            return None
        if not low <= number <= high:
            self.diag.problem(what, value)
            return None
        return number

    def hex_int(self, what: str, value: object) -> int | None:
        """Return the int of a hex string such as ``stat`` or ``fun``."""
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return int(value, 16)
            except ValueError:
                pass
        self.diag.problem(what, value)
        return None

    def mapping(self, what: str, value: object) -> Mapping[str, Any] | None:
        """Return ``value`` when it is an object."""
        if value is None:
            return None
        if isinstance(value, Mapping):
            return value
        self.diag.problem(what, value)
        return None

    def items(self, what: str, value: object) -> list[Mapping[str, Any]]:
        """Return the objects of a list (other entries are dropped)."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.diag.problem(what, value)
            return []
        result = [item for item in value if isinstance(item, Mapping)]
        if len(result) != len(value):
            self.diag.problem(what, value)
        return result


def text(value: object) -> str | None:
    """Return a non-empty stripped string, else None."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def fan_percent(step: int) -> int:
    """Return the percentage of a 0-15 fan step, rounded to the nearest 10 %."""
    return round(step * 2 / 3) * 10


def unpack_temperature(packed: int) -> tuple[int, int]:
    """Split a packed ``device.*`` temperature into (current, target)."""
    return packed & 0xFFFF, (packed >> 16) & 0xFFFF


def parse_state(raw: Mapping[str, Any], ctx: ParseContext) -> PrinterState:
    """Return the normalized state of a merged ``print`` report."""
    read = _Reader(raw, ctx.diagnostics)
    previous = ctx.previous
    model = ctx.model
    device = read.mapping("device", raw.get("device")) or {}
    print_error = read.integer("print_error", raw.get("print_error")) or 0
    status = _status(read, print_error, previous)
    active = status in JOB_ACTIVE_STATUSES

    progress = read.ranged("mc_percent", raw.get("mc_percent"), 0, 100)
    remaining = read.int_ranged(
        "mc_remaining_time", raw.get("mc_remaining_time"), 0, _MAX_REMAINING_MIN
    )
    if remaining is not None and not active:
        remaining = 0  # leftovers of a failed or cancelled job: nothing remains to print
    file, job_id = _job_identity(raw, status)

    extruder_index, extruder = _active_extruder(read, device)
    nozzle, nozzle_target = _temperature(
        read,
        "nozzle",
        packed=extruder.get("temp") if extruder is not None else None,
        current=raw.get("nozzle_temper"),
        target=raw.get("nozzle_target_temper"),
        limits=_NOZZLE_RANGE,
    )
    bed, bed_target = _temperature(
        read,
        "bed",
        packed=_nested(device, "bed", "info", "temp"),
        current=raw.get("bed_temper"),
        target=raw.get("bed_target_temper"),
        limits=_BED_RANGE,
    )
    chamber, chamber_target = _chamber(read, raw, device, model)

    active_slot = _active_slot(read, raw, extruder)
    units, external = _filament(read, raw, ctx, active_slot)

    speed_level = read.integer("spd_lvl", raw.get("spd_lvl"))
    speed_profile = SPEED_LEVELS.get(speed_level) if speed_level is not None else None
    if speed_level is not None and speed_profile is None:
        read.diag.problem("spd_lvl", speed_level)

    extra: dict[str, object] = {"gcode_state": raw.get("gcode_state")}
    if extruder_index is not None:
        extra["active_extruder"] = extruder_index
    extra.update(_nozzle(read, raw, device, extruder_index or 0))

    return PrinterState(
        status=status,
        stage=_stage(read, raw) if active else None,
        progress=progress,
        remaining_time=remaining,
        job_start=_job_start(read, raw=raw, status=status, file=file, job_id=job_id, ctx=ctx),
        job_end=_job_end(status, remaining, previous, ctx.now),
        file=file,
        job_id=job_id,
        current_layer=read.int_ranged("layer_num", raw.get("layer_num"), 0, _MAX_LAYERS),
        total_layers=read.int_ranged("total_layer_num", raw.get("total_layer_num"), 0, _MAX_LAYERS),
        nozzle_temperature=nozzle,
        nozzle_target_temperature=nozzle_target,
        bed_temperature=bed,
        bed_target_temperature=bed_target,
        chamber_temperature=chamber,
        chamber_target_temperature=chamber_target,
        speed_profile=speed_profile,
        print_speed=read.int_ranged("spd_mag", raw.get("spd_mag"), *_SPEED_RANGE),
        part_fan_speed=_fan(read, "cooling_fan_speed", raw),
        aux_fan_speed=_fan(read, "big_fan1_speed", raw) if model is None or model.aux_fan else None,
        chamber_fan_speed=(
            _fan(read, "big_fan2_speed", raw) if model is None or model.chamber_fan else None
        ),
        ams_units=units,
        external_spool=external,
        active_slot=active_slot,
        errors=_errors(read, raw, print_error, ctx.texts),
        wifi_signal=_wifi(read, raw.get("wifi_signal")),
        door_open=_door(read, raw, model, ctx.version),
        chamber_light=_chamber_light(read, raw, model),
        signed_commands_required=_signed(read, raw),
        camera_url=_camera_url(raw),
        extra=extra,
    )


def _nested(obj: Mapping[str, Any], *path: str) -> Any:
    value: Any = obj
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _status(read: _Reader, print_error: int, previous: PrinterState | None) -> PrinterStatus:
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


def _stage(read: _Reader, raw: Mapping[str, Any]) -> str | None:
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
    read: _Reader,
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


def _active_extruder(
    read: _Reader, device: Mapping[str, Any]
) -> tuple[int | None, Mapping[str, Any] | None]:
    extruder = read.mapping("device.extruder", device.get("extruder"))
    if extruder is None:
        return None, None
    state = read.integer("device.extruder.state", extruder.get("state"))
    index = (state >> 4) & 0xF if state is not None else 0
    for entry in read.items("device.extruder.info", extruder.get("info")):
        if read.integer("device.extruder.info.id", entry.get("id")) == index:
            return index, entry
    return index, None


def _temperature(
    read: _Reader,
    what: str,
    *,
    packed: object,
    current: object,
    target: object,
    limits: tuple[float, float],
) -> tuple[float | None, float | None]:
    low, high = limits
    packed_value = read.integer(f"{what}.packed", packed)
    if packed_value is not None and packed_value >= 0:
        now, goal = unpack_temperature(packed_value)
        return (
            read.ranged(f"{what}_temperature", now, low, high),
            read.ranged(f"{what}_target_temperature", goal, 0, high),
        )
    return (
        read.ranged(f"{what}_temperature", current, low, high),
        read.ranged(f"{what}_target_temperature", target, 0, high),
    )


def _chamber(
    read: _Reader, raw: Mapping[str, Any], device: Mapping[str, Any], model: ModelSpec | None
) -> tuple[float | None, float | None]:
    if model is not None and not model.chamber_temperature:
        return None, None  # P1/A1 report a made-up 5 °C
    packed = _nested(device, "ctc", "info", "temp")
    if packed is None and model is None:
        return None, None  # an unknown model's legacy value may be the made-up one
    return _temperature(
        read,
        "chamber",
        packed=packed,
        current=raw.get("chamber_temper"),
        target=None,
        limits=_CHAMBER_RANGE,
    )


def _nozzle(
    read: _Reader, raw: Mapping[str, Any], device: Mapping[str, Any], index: int
) -> dict[str, object]:
    """Return diameter and type of the active nozzle (diagnostics only)."""
    nozzle = device.get("nozzle")
    entries = nozzle.get("info") if isinstance(nozzle, Mapping) else None
    if isinstance(entries, list):  # H2/X2/P2S: per nozzle, type codes such as "HS01"
        for entry in read.items("device.nozzle.info", entries):
            if entry.get("id") == index:
                return {"nozzle_diameter": entry.get("diameter"), "nozzle_type": entry.get("type")}
    return {"nozzle_diameter": raw.get("nozzle_diameter"), "nozzle_type": raw.get("nozzle_type")}


def _fan(read: _Reader, key: str, raw: Mapping[str, Any]) -> int | None:
    step = read.int_ranged(key, raw.get(key), 0, 15)
    return fan_percent(step) if step is not None else None


def _wifi(read: _Reader, value: object) -> int | None:
    if isinstance(value, str):
        value = value.strip().removesuffix("dBm").strip()
    return read.int_ranged("wifi_signal", value, *_WIFI_RANGE)


def _door(
    read: _Reader, raw: Mapping[str, Any], model: ModelSpec | None, version: VersionInfo | None
) -> bool | None:
    if model is None or not model.has_door_sensor(version.firmware if version else None):
        return None
    if model.door is DoorSource.HOME_FLAG:
        flags = read.integer("home_flag", raw.get("home_flag"))
    else:
        flags = read.hex_int("stat", raw.get("stat"))
    return None if flags is None else bool(flags & DOOR_BIT)


def _chamber_light(read: _Reader, raw: Mapping[str, Any], model: ModelSpec | None) -> bool | None:
    if model is not None and not model.chamber_light:
        return None
    for light in read.items("lights_report", raw.get("lights_report")):
        if light.get("node") == "chamber_light":
            mode = light.get("mode")
            if mode in {"on", "flashing"}:
                return True
            if mode == "off":
                return False
            read.diag.problem("lights_report.mode", mode)
    return None


def _signed(read: _Reader, raw: Mapping[str, Any]) -> bool:
    fun = read.hex_int("fun", raw.get("fun"))
    return fun is not None and bool(fun & SIGNED_COMMANDS_BIT)


def _camera_url(raw: Mapping[str, Any]) -> str | None:
    ipcam = raw.get("ipcam")
    url = text(ipcam.get("rtsp_url")) if isinstance(ipcam, Mapping) else None
    if url is not None and url.startswith(("rtsp://", "rtsps://")):
        return url
    return None  # "disable", "**REDACTED**", absent


def _errors(
    read: _Reader, raw: Mapping[str, Any], print_error: int, texts: HmsTexts | None
) -> tuple[PrinterError, ...]:
    errors: list[PrinterError] = []
    seen: set[str] = set()
    for entry in read.items("hms", raw.get("hms")):
        attr = read.integer("hms.attr", entry.get("attr"))
        code = read.integer("hms.code", entry.get("code"))
        if attr is None or code is None:
            continue
        hms = decode_hms(attr, code, texts)
        if hms.code not in seen:
            seen.add(hms.code)
            errors.append(hms)
    error = decode_print_error(print_error, texts)
    if error is not None:
        errors.append(error)
    return tuple(errors)


# --- filament -------------------------------------------------------------------------------


def _filament(
    read: _Reader, raw: Mapping[str, Any], ctx: ParseContext, active: str | None
) -> tuple[tuple[AmsUnit, ...], FilamentSlot | None]:
    cache = ctx.filament_cache
    inputs = (raw.get("ams"), raw.get("vt_tray"), raw.get("vir_slot"))
    key = (active, ctx.model, ctx.version)
    if cache is not None and (cached := cache.get(inputs, key)) is not None:
        return cached
    result = (_ams_units(read, raw, ctx, active), _external_spool(read, raw, active))
    if cache is not None:
        cache.put(inputs, key, result)
    return result


def _ams_units(
    read: _Reader, raw: Mapping[str, Any], ctx: ParseContext, active: str | None
) -> tuple[AmsUnit, ...]:
    ams = read.mapping("ams", raw.get("ams"))
    if ams is None:
        return ()
    units: list[AmsUnit] = []
    for unit in read.items("ams.ams", ams.get("ams")):
        unit_id = read.int_ranged("ams.id", unit.get("id"), 0, 255)
        if unit_id is not None:
            units.append(_ams_unit(read, unit_id, unit, ctx, active))
    units.sort(key=lambda item: item.unit)
    return tuple(units)


def _ams_kind(read: _Reader, unit_id: int, unit: Mapping[str, Any], ctx: ParseContext) -> str:
    module = ctx.version.ams_module(unit_id) if ctx.version is not None else None
    if module is not None:
        return module.model
    info = read.hex_int("ams.info", unit.get("info"))
    if info is not None and (kind := _AMS_INFO_KINDS.get(info & 0xF)) is not None:
        return kind
    if unit_id >= _AMS_HT_FIRST:
        return AMS_HT
    return ctx.model.ams if ctx.model is not None else AMS


def _ams_unit(
    read: _Reader, unit_id: int, unit: Mapping[str, Any], ctx: ParseContext, active: str | None
) -> AmsUnit:
    kind = _ams_kind(read, unit_id, unit, ctx)
    module = ctx.version.ams_module(unit_id) if ctx.version is not None else None
    humidity = level = temperature = None
    if kind in _AMS_WITH_SENSORS:
        # Units report 0 for values they have not measured yet (and AMS HT has no 1-5 index).
        level = read.integer("ams.humidity", unit.get("humidity"))
        level = level if level is not None and 1 <= level <= 5 else None
        humidity = read.integer("ams.humidity_raw", unit.get("humidity_raw"))
        humidity = humidity if humidity is not None and 1 <= humidity <= 100 else None
        temperature = read.ranged("ams.temp", unit.get("temp"), *_AMS_TEMP_RANGE) or None
    slots = []
    for tray in read.items("ams.tray", unit.get("tray")):
        index = read.int_ranged("ams.tray.id", tray.get("id"), 0, 15)
        if index is not None:
            key = f"ams{unit_id}_tray{index}"
            slots.append(_slot(read, key, tray, unit=unit_id, index=index, active=key == active))
    slots.sort(key=lambda slot: slot.index or 0)
    return AmsUnit(
        unit=unit_id,
        model=kind,
        humidity=humidity,
        humidity_level=level,
        temperature=temperature,
        serial=module.serial if module is not None else None,
        firmware=module.firmware if module is not None else None,
        slots=tuple(slots),
    )


def _tray_loaded(read: _Reader, tray: Mapping[str, Any]) -> bool:
    state = read.integer("ams.tray.state", tray.get("state"))
    if state is None:
        return text(tray.get("tray_type")) is not None
    if state <= _TRAY_LEGACY_MAX:
        return state == _TRAY_LEGACY_MAX
    return bool(state & _TRAY_SPOOL) and bool(state & _TRAY_STEADY)


def _slot(
    read: _Reader,
    key: str,
    tray: Mapping[str, Any],
    *,
    unit: int | None = None,
    index: int | None = None,
    remaining: bool = True,
    active: bool = False,
) -> FilamentSlot:
    if not _tray_loaded(read, tray):
        return FilamentSlot(key=key, unit=unit, index=index, empty=True, active=active)
    remain = read.integer("tray.remain", tray.get("remain")) if remaining else None
    low = read.int_ranged("tray.nozzle_temp_min", tray.get("nozzle_temp_min"), 0, 500)
    high = read.int_ranged("tray.nozzle_temp_max", tray.get("nozzle_temp_max"), 0, 500)
    return FilamentSlot(
        key=key,
        unit=unit,
        index=index,
        material=text(tray.get("tray_type")),
        color=_color(read, tray.get("tray_color")),
        name=text(tray.get("tray_sub_brands")) or text(tray.get("tray_info_idx")),
        remaining=remain if remain is not None and 0 <= remain <= 100 else None,  # -1 = unknown
        nozzle_temp_min=low or None,
        nozzle_temp_max=high or None,
        active=active,
    )


def _color(read: _Reader, value: object) -> str | None:
    raw = text(value)
    if raw is None or raw == "00000000":
        return None  # not set (clear filament has no colour either)
    if len(raw) not in (6, 8) or any(c not in "0123456789abcdefABCDEF" for c in raw):
        read.diag.problem("tray_color", value)
        return None
    return f"#{raw[:6].upper()}"


def _external_spool(
    read: _Reader, raw: Mapping[str, Any], active: str | None
) -> FilamentSlot | None:
    # Newer firmware lists the holders in ``vir_slot`` (255 = main extruder, 254 = left one on
    # dual-nozzle printers); older firmware has a single ``vt_tray``. The holder has no sensor
    # for the remaining amount.
    tray: Mapping[str, Any] | None = None
    for slot in read.items("vir_slot", raw.get("vir_slot")):
        if read.integer("vir_slot.id", slot.get("id")) == EXTERNAL_MAIN:
            tray = slot
            break
    else:
        tray = read.mapping("vt_tray", raw.get("vt_tray"))
    if tray is None:
        return None
    return _slot(read, EXTERNAL_KEY, tray, remaining=False, active=active == EXTERNAL_KEY)


def _active_slot(
    read: _Reader, raw: Mapping[str, Any], extruder: Mapping[str, Any] | None
) -> str | None:
    if extruder is not None and "snow" in extruder:
        snow = read.integer("device.extruder.info.snow", extruder.get("snow"))
        if snow is None:
            return None
        unit, tray = snow >> 8, snow & 0xFF
        if snow == NO_SLOT or tray == 0xFF:
            return None
        if unit == EXTERNAL_MAIN:
            return EXTERNAL_KEY
        if unit == EXTERNAL_SECOND:
            return EXTERNAL_LEFT_KEY
        return f"ams{unit}_tray{tray}"
    ams = raw.get("ams")
    tray_now = read.integer("tray_now", ams.get("tray_now")) if isinstance(ams, Mapping) else None
    if tray_now is None or tray_now == 255:
        return None
    if tray_now == EXTERNAL_SECOND:
        return EXTERNAL_KEY  # older firmware: 254 is the (only) external spool
    if tray_now < 64:
        return f"ams{tray_now >> 2}_tray{tray_now & 3}"
    if _AMS_HT_FIRST <= tray_now < _AMS_HT_FIRST + 8:
        return f"ams{tray_now}_tray0"
    read.diag.problem("tray_now", tray_now)
    return None
