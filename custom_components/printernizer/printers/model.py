"""The normalized printer state that every vendor's client maps into.

Everything here is immutable: a client builds a new `PrinterState` for every report it receives,
and consumers compare old and new values to decide what changed. Nothing here imports Home
Assistant; units are fixed so that entities never have to convert:

- temperatures in °C, progress and fan speeds in percent (0-100),
- remaining time in minutes, timestamps as timezone-aware UTC `datetime`,
- Wi-Fi signal in dBm.

A value of ``None`` means "the printer did not report it" (unknown), never "zero".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntFlag, StrEnum
from typing import Final


class Vendor(StrEnum):
    """Printer families the integration talks to."""

    BAMBU = "bambu"
    PRUSA = "prusa"


class PrinterStatus(StrEnum):
    """What the printer is doing, the same for every vendor."""

    IDLE = "idle"
    BUSY = "busy"
    PREPARING = "preparing"
    PRINTING = "printing"
    PAUSED = "paused"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    FAILED = "failed"
    ATTENTION = "attention"
    ERROR = "error"


# States in which a print job is in progress on the printer.
JOB_ACTIVE_STATUSES: Final = frozenset(
    {PrinterStatus.PREPARING, PrinterStatus.PRINTING, PrinterStatus.PAUSED}
)
# States a job ends in.
JOB_END_STATUSES: Final = frozenset(
    {PrinterStatus.FINISHED, PrinterStatus.CANCELLED, PrinterStatus.FAILED}
)


class SpeedProfile(StrEnum):
    """Bambu Lab speed levels (`spd_lvl` 1-4)."""

    SILENT = "silent"
    STANDARD = "standard"
    SPORT = "sport"
    LUDICROUS = "ludicrous"


class ErrorSeverity(StrEnum):
    """Severity of a printer error, most severe first."""

    FATAL = "fatal"
    SERIOUS = "serious"
    COMMON = "common"
    INFO = "info"
    UNKNOWN = "unknown"


class Capability(IntFlag):
    """What a printer can do or report; used to decide which entities exist."""

    NONE = 0
    PAUSE_RESUME_STOP = 1
    CHAMBER_LIGHT = 2
    SPEED_PROFILE = 4
    SET_NOZZLE_TEMPERATURE = 8
    SET_BED_TEMPERATURE = 16
    CHAMBER_TEMPERATURE = 32
    DOOR_SENSOR = 64
    GCODE = 128
    CAMERA = 256
    AMS = 512
    WIFI_SIGNAL = 1024
    LAYERS = 2048
    FANS_PERCENT = 4096
    FANS_RPM = 8192


@dataclass(frozen=True, slots=True, kw_only=True)
class PrinterError:
    """One active error or warning reported by the printer."""

    code: str
    """Display code, e.g. ``0C00_0300_0003_0007`` (Bambu HMS) or ``0300_400C`` (print_error)."""
    source: str
    """Where the code came from: ``hms``, ``print_error`` or ``prusa``."""
    severity: ErrorSeverity = ErrorSeverity.UNKNOWN
    module: str | None = None
    text: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FilamentSlot:
    """A place filament is fed from: an AMS tray or the external spool holder."""

    key: str
    """Stable key, e.g. ``ams0_tray2`` or ``external``."""
    unit: int | None = None
    """AMS unit id (``None`` for the external spool)."""
    index: int | None = None
    """Tray index inside its unit."""
    material: str | None = None
    color: str | None = None
    """``#RRGGBB`` (alpha dropped)."""
    name: str | None = None
    """Filament product name or preset id, where reported."""
    remaining: int | None = None
    """Remaining filament in percent, ``None`` when the printer does not know."""
    nozzle_temp_min: int | None = None
    nozzle_temp_max: int | None = None
    active: bool = False
    empty: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AmsUnit:
    """One Bambu AMS unit."""

    unit: int
    model: str
    """Kind of unit, e.g. ``AMS``, ``AMS lite``, ``AMS 2 Pro``, ``AMS HT``."""
    humidity: int | None = None
    """Humidity in percent where the unit reports it raw, else ``None``."""
    humidity_level: int | None = None
    """Bambu's 1 (wet) - 5 (dry) humidity index."""
    temperature: float | None = None
    serial: str | None = None
    firmware: str | None = None
    slots: tuple[FilamentSlot, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PrinterInfo:
    """Identity of a printer; what Home Assistant shows on the device page."""

    vendor: Vendor
    serial: str
    model: str | None = None
    model_id: str | None = None
    firmware: str | None = None
    hardware: str | None = None
    name: str | None = None
    capabilities: Capability = Capability.NONE


@dataclass(frozen=True, slots=True, kw_only=True)
class PrinterState:
    """Everything a printer reported, normalized."""

    status: PrinterStatus = PrinterStatus.IDLE
    stage: str | None = None
    """Vendor detail of the current step, e.g. ``heatbed_preheating``."""
    progress: float | None = None
    remaining_time: int | None = None
    """Minutes until the job ends."""
    job_start: datetime | None = None
    job_end: datetime | None = None
    """Expected (while printing) or actual end time of the job."""
    file: str | None = None
    job_id: str | None = None
    """The printer's identity of the current job (Bambu task/subtask id, Prusa job id)."""
    current_layer: int | None = None
    total_layers: int | None = None

    nozzle_temperature: float | None = None
    nozzle_target_temperature: float | None = None
    bed_temperature: float | None = None
    bed_target_temperature: float | None = None
    chamber_temperature: float | None = None
    chamber_target_temperature: float | None = None

    speed_profile: SpeedProfile | None = None
    print_speed: int | None = None
    """Speed factor in percent (100 = as sliced)."""
    flow: int | None = None
    part_fan_speed: int | None = None
    aux_fan_speed: int | None = None
    chamber_fan_speed: int | None = None
    hotend_fan_rpm: int | None = None
    print_fan_rpm: int | None = None

    ams_units: tuple[AmsUnit, ...] = ()
    external_spool: FilamentSlot | None = None
    external_left_spool: FilamentSlot | None = None
    """Left extruder's external spool on dual-nozzle printers (H2D/H2C/X2D), key ``external_left``."""
    active_slot: str | None = None
    """Key of the slot currently feeding the nozzle."""

    errors: tuple[PrinterError, ...] = ()
    wifi_signal: int | None = None
    door_open: bool | None = None
    chamber_light: bool | None = None
    signed_commands_required: bool = False
    """Bambu authorization firmware: unsigned LAN commands are refused."""

    thumbnail_url: str | None = None
    camera_url: str | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)
    """Vendor details kept for diagnostics only; never compared."""

    @property
    def job_active(self) -> bool:
        """Return True while a job is preparing, printing or paused."""
        return self.status in JOB_ACTIVE_STATUSES

    @property
    def active_filament(self) -> FilamentSlot | None:
        """Return the slot currently feeding the nozzle, if known."""
        if self.active_slot is None:
            return None
        for slot in self.slots:
            if slot.key == self.active_slot:
                return slot
        return None

    @property
    def slots(self) -> tuple[FilamentSlot, ...]:
        """Return every filament slot: AMS trays first, then the external spool."""
        trays = tuple(slot for unit in self.ams_units for slot in unit.slots)
        extra = tuple(s for s in (self.external_spool, self.external_left_spool) if s is not None)
        return (*trays, *extra)

    @property
    def error(self) -> PrinterError | None:
        """Return the most severe active error."""
        if not self.errors:
            return None
        order = list(ErrorSeverity)
        return min(self.errors, key=lambda err: order.index(err.severity))


def log_name(serial: str) -> str:
    """Return how logs name a printer: the serial's last four characters only.

    Serials are tied to the owner's account at the vendor; a log that is shared in a forum should
    not carry them whole.
    """
    return f"printer …{serial[-4:]}"
