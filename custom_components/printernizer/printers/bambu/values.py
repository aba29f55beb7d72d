"""Single values of a merged Bambu report: temperatures, fans, Wi-Fi, door, light, flags, errors.

Device behaviour (captures in ``protocol/bambu``, facts in ``commands.md``):

- fans (``cooling_fan_speed``, ``big_fan1_speed``, ``big_fan2_speed``) are 0-15 steps, sometimes as
  strings. The printer's reported step wobbles between neighbours when a user setting (10 % steps)
  falls between two steps (30 % = 4.5 steps), so the percentage is rounded to the nearest 10 %:
  ``round(step * 2 / 3) * 10`` (never a tie, since 2·step/3 is never x.5);
- H2/X2/P2S and current X1 firmware report temperatures packed into ``device.*``: low 16 bits are the
  current value, high 16 bits the target (``device.bed.info.temp`` 4587590 = 0x460046 → 70 °C of
  70 °C). Per extruder in ``device.extruder.info[]``; the active extruder is bits 4-7 of
  ``device.extruder.state``. Those values win over the legacy ``*_temper`` keys, which on the H2D
  describe whichever nozzle the firmware last reported;
- the door bit (bit 23) lives in ``home_flag`` on the X1 family and in the hex string ``stat`` on
  H2/P2S/X2 (``home_flag`` bit 23 is meaningless there);
- ``fun`` bit 0x20000000 set = the printer only accepts signed MQTT commands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..model import PrinterError
from .hms import HmsTexts, decode_hms, decode_print_error
from .models import DOOR_BIT, DoorSource, ModelSpec, VersionInfo
from .reader import Reader, text

SIGNED_COMMANDS_BIT: Final = 0x20000000

# Sane ranges; anything outside is a glitch (sensors report 0xFFFF or garbage while booting).
NOZZLE_RANGE: Final = (-20.0, 500.0)
BED_RANGE: Final = (-20.0, 200.0)
CHAMBER_RANGE: Final = (-20.0, 120.0)
WIFI_RANGE: Final = (-120, 0)


def fan_percent(step: int) -> int:
    """Return the percentage of a 0-15 fan step, rounded to the nearest 10 %."""
    return round(step * 2 / 3) * 10


def unpack_temperature(packed: int) -> tuple[int, int]:
    """Split a packed ``device.*`` temperature into (current, target)."""
    return packed & 0xFFFF, (packed >> 16) & 0xFFFF


def nested(obj: Mapping[str, Any], *path: str) -> Any:
    """Return the value at ``path`` inside nested objects (None where one is missing)."""
    value: Any = obj
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def active_extruder(
    read: Reader, device: Mapping[str, Any]
) -> tuple[int | None, Mapping[str, Any] | None]:
    """Return the index and the ``device.extruder.info`` entry of the extruder in use."""
    extruder = read.mapping("device.extruder", device.get("extruder"))
    if extruder is None:
        return None, None
    state = read.integer("device.extruder.state", extruder.get("state"))
    index = (state >> 4) & 0xF if state is not None else 0
    for entry in read.items("device.extruder.info", extruder.get("info")):
        if read.integer("device.extruder.info.id", entry.get("id")) == index:
            return index, entry
    return index, None


def temperature_pair(
    read: Reader,
    what: str,
    *,
    packed: object,
    current: object,
    target: object,
    limits: tuple[float, float],
) -> tuple[float | None, float | None]:
    """Return (current, target) from a packed ``device.*`` value, else the legacy keys."""
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


def chamber_temperature(
    read: Reader, raw: Mapping[str, Any], device: Mapping[str, Any], model: ModelSpec | None
) -> tuple[float | None, float | None]:
    """Return the chamber temperature and target where the model measures one."""
    if model is not None and not model.chamber_temperature:
        return None, None  # P1/A1 report a made-up 5 °C
    packed = nested(device, "ctc", "info", "temp")
    if packed is None and model is None:
        return None, None  # an unknown model's legacy value may be the made-up one
    return temperature_pair(
        read,
        "chamber",
        packed=packed,
        current=raw.get("chamber_temper"),
        target=None,
        limits=CHAMBER_RANGE,
    )


def nozzle_details(
    read: Reader, raw: Mapping[str, Any], device: Mapping[str, Any], index: int
) -> dict[str, object]:
    """Return diameter and type of the active nozzle (diagnostics only)."""
    nozzle = device.get("nozzle")
    entries = nozzle.get("info") if isinstance(nozzle, dict) else None
    if isinstance(entries, list):  # H2/X2/P2S: per nozzle, type codes such as "HS01"
        for entry in read.items("device.nozzle.info", entries):
            if entry.get("id") == index:
                return {"nozzle_diameter": entry.get("diameter"), "nozzle_type": entry.get("type")}
    return {"nozzle_diameter": raw.get("nozzle_diameter"), "nozzle_type": raw.get("nozzle_type")}


def fan_speed(read: Reader, key: str, raw: Mapping[str, Any]) -> int | None:
    """Return a fan's speed in percent (rounded to tens) from its 0-15 step."""
    step = read.int_ranged(key, raw.get(key), 0, 15)
    return fan_percent(step) if step is not None else None


def wifi_signal(read: Reader, value: object) -> int | None:
    """Return the Wi-Fi signal in dBm from strings such as ``-52dBm``."""
    if isinstance(value, str):
        value = value.strip().removesuffix("dBm").strip()
    return read.int_ranged("wifi_signal", value, *WIFI_RANGE)


def door_open(
    read: Reader, raw: Mapping[str, Any], model: ModelSpec | None, version: VersionInfo | None
) -> bool | None:
    """Return whether the door is open, on models and firmware that report it."""
    if model is None or not model.has_door_sensor(version.firmware if version else None):
        return None
    if model.door is DoorSource.HOME_FLAG:
        flags = read.integer("home_flag", raw.get("home_flag"))
    else:
        flags = read.hex_int("stat", raw.get("stat"))
    return None if flags is None else bool(flags & DOOR_BIT)


def chamber_light(read: Reader, raw: Mapping[str, Any], model: ModelSpec | None) -> bool | None:
    """Return whether the chamber light is on (flashing counts as on)."""
    if model is not None and not model.chamber_light:
        return None
    for light in read.items("lights_report", raw.get("lights_report")):
        if light.get("node") == "chamber_light":
            mode = light.get("mode")
            if mode in ("on", "flashing"):  # a tuple: the value may be an unhashable object
                return True
            if mode == "off":
                return False
            read.diag.problem("lights_report.mode", mode)
    return None


def signed_commands(read: Reader, raw: Mapping[str, Any]) -> bool:
    """Return whether the firmware only accepts signed commands."""
    fun = read.hex_int("fun", raw.get("fun"))
    return fun is not None and bool(fun & SIGNED_COMMANDS_BIT)


def camera_url(raw: Mapping[str, Any]) -> str | None:
    """Return the RTSP(S) address of the camera while LAN live view is on."""
    ipcam = raw.get("ipcam")
    url = text(ipcam.get("rtsp_url")) if isinstance(ipcam, dict) else None
    if url is not None and url.startswith(("rtsp://", "rtsps://")):
        return url
    return None  # "disable", "**REDACTED**", absent


def printer_errors(
    read: Reader, raw: Mapping[str, Any], print_error: int, texts: HmsTexts | None
) -> tuple[PrinterError, ...]:
    """Return the HMS messages and the print error, decoded, without duplicates."""
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
