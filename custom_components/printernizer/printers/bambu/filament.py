"""AMS units, trays and the external spool of a Bambu report, and which slot feeds the nozzle."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..model import (
    AmsUnit,
    FilamentSlot,
)
from .merge import copy_json
from .models import AMS, AMS_2_PRO, AMS_HT, AMS_LITE
from .reader import ParseContext, Reader, text

NO_SLOT: Final = 0xFFFF
EXTERNAL_MAIN: Final = 255
"""``vir_slot`` id / ``snow`` AMS byte of the (main, right) extruder's external spool."""
EXTERNAL_SECOND: Final = 254
"""Left extruder's external spool on dual-nozzle printers; the only one on older firmware."""
EXTERNAL_KEY: Final = "external"
EXTERNAL_LEFT_KEY: Final = "external_left"
_AMS_HT_FIRST: Final = 128
# Sane range; anything outside is a glitch (sensors report 0xFFFF or garbage while booting).
_AMS_TEMP_RANGE: Final = (-20.0, 120.0)
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


type Filament = tuple[tuple[AmsUnit, ...], FilamentSlot | None, FilamentSlot | None]
"""AMS units, the external spool and (dual-nozzle printers) the left extruder's external spool."""


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
        self._result: Filament = ((), None, None)

    def get(self, inputs: tuple[Any, ...], key: tuple[object, ...]) -> Filament | None:
        """Return the cached result when the inputs and the key are the same as last time."""
        if self._inputs is not None and key == self._key and inputs == self._inputs:
            return self._result
        return None

    def put(
        self,
        inputs: tuple[Any, ...],
        key: tuple[object, ...],
        result: Filament,
    ) -> None:
        """Remember a result (the inputs are copied: the merged report changes in place)."""
        self._inputs = tuple(copy_json(item) for item in inputs)
        self._key = key
        self._result = result


def parse_filament(
    read: Reader, raw: Mapping[str, Any], ctx: ParseContext, active: str | None
) -> Filament:
    """Return the AMS units and the external spool (reused while their inputs are unchanged)."""
    cache = ctx.filament_cache
    inputs = (raw.get("ams"), raw.get("vt_tray"), raw.get("vir_slot"))
    key = (active, ctx.model, ctx.version)
    if cache is not None and (cached := cache.get(inputs, key)) is not None:
        return cached
    result = (
        _ams_units(read, raw, ctx, active),
        _external_spool(read, raw, active),
        _left_external_spool(read, raw, active),
    )
    if cache is not None:
        cache.put(inputs, key, result)
    return result


def _ams_units(
    read: Reader, raw: Mapping[str, Any], ctx: ParseContext, active: str | None
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


def _ams_kind(read: Reader, unit_id: int, unit: Mapping[str, Any], ctx: ParseContext) -> str:
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
    read: Reader, unit_id: int, unit: Mapping[str, Any], ctx: ParseContext, active: str | None
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


def _tray_loaded(read: Reader, tray: Mapping[str, Any]) -> bool:
    state = read.integer("ams.tray.state", tray.get("state"))
    if state is None:
        return text(tray.get("tray_type")) is not None
    if state <= _TRAY_LEGACY_MAX:
        return state == _TRAY_LEGACY_MAX
    return bool(state & _TRAY_SPOOL) and bool(state & _TRAY_STEADY)


def _slot(
    read: Reader,
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


def _color(read: Reader, value: object) -> str | None:
    raw = text(value)
    if raw is None or raw == "00000000":
        return None  # not set (clear filament has no colour either)
    if len(raw) not in (6, 8) or any(c not in "0123456789abcdefABCDEF" for c in raw):
        read.diag.problem("tray_color", value)
        return None
    return f"#{raw[:6].upper()}"


def _external_spool(
    read: Reader, raw: Mapping[str, Any], active: str | None
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


def _left_external_spool(
    read: Reader, raw: Mapping[str, Any], active: str | None
) -> FilamentSlot | None:
    # Only dual-nozzle printers list holder 254 (the left extruder's) in ``vir_slot``.
    for slot in read.items("vir_slot", raw.get("vir_slot")):
        if read.integer("vir_slot.id", slot.get("id")) == EXTERNAL_SECOND:
            return _slot(
                read, EXTERNAL_LEFT_KEY, slot, remaining=False, active=active == EXTERNAL_LEFT_KEY
            )
    return None


def find_active_slot(
    read: Reader, raw: Mapping[str, Any], extruder: Mapping[str, Any] | None
) -> str | None:
    """Return the key of the slot feeding the active nozzle (None: nothing loaded or unknown)."""
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
    tray_now = read.integer("tray_now", ams.get("tray_now")) if isinstance(ams, dict) else None
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
