"""Bambu Lab printer models: detection from ``get_version`` and what each model really has.

Detection order (the same evidence Bambu Studio and ha-bambulab rely on):

1. ``product_name`` of the ``ota`` module (firmware of 2024 and later, e.g. ``"Bambu Lab H2D"``);
2. the legacy pair (``hw_ver`` of the module whose ``hw_ver`` starts with ``AP0``, ``project_name``):
   AP02 = X1E; project N1 = A1 mini; AP04 + C11 = P1P; AP04 + C12 = P1S; AP05 + N2S = A1;
   AP05 without a project name = X1 Carbon;
3. the first three characters of the serial number. Prefixes from the table ha-bambulab uses to query
   Bambu's HMS text service (``scripts/update_error_text.py``): 00M X1 Carbon (the plain X1 shares
   it), 03W X1E, 039 A1, 030 A1 mini, 01S P1P, 01P P1S, 22E P2S, 093 H2S, 094 H2D. No public source
   gives the prefixes of H2D Pro, H2C, X2D or A2L; those are detected by ``get_version`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
import re
from typing import Any, Final

from ..model import Capability, PrinterInfo, Vendor


class CameraKind(StrEnum):
    """How the printer's camera is reached."""

    JPEG_6000 = "jpeg6000"
    """P1/A1/A2L: JPEG frames over TLS on port 6000."""
    RTSPS_322 = "rtsps322"
    """X1/H2/P2S/X2: RTSP over TLS on port 322 (``ipcam.rtsp_url``)."""


class DoorSource(StrEnum):
    """Where a model reports its door switch."""

    NONE = "none"
    HOME_FLAG = "home_flag"
    """X1 family: bit 23 of ``home_flag``."""
    STAT = "stat"
    """H2/P2S/X2: bit 23 of the hex string ``stat`` (``home_flag`` bit 23 means nothing there)."""


DOOR_BIT: Final = 0x00800000

AMS: Final = "AMS"
AMS_LITE: Final = "AMS lite"
AMS_2_PRO: Final = "AMS 2 Pro"
AMS_HT: Final = "AMS HT"

# get_version module name prefix → AMS kind ("ams/0", "ams_f1/0", "n3f/1", "n3s/128").
AMS_MODULE_PREFIXES: Final[Mapping[str, str]] = {
    "ams": AMS,
    "ams_f1": AMS_LITE,
    "n3f": AMS_2_PRO,
    "n3s": AMS_HT,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelSpec:
    """What a printer model has. Values a model does not have are never exposed for it."""

    model_id: str
    """Short id, e.g. ``X1C``, ``A1MINI``, ``H2DPRO``."""
    name: str
    """Model name without the brand, e.g. ``X1 Carbon``."""
    serial_prefixes: tuple[str, ...] = ()
    camera: CameraKind
    chamber_temperature: bool
    door: DoorSource = DoorSource.NONE
    door_min_firmware: tuple[int, ...] | None = None
    """X1 firmware before this version never sets the door bit."""
    chamber_light: bool = True
    aux_fan: bool = True
    chamber_fan: bool = True
    ams: str = AMS
    """AMS kind a unit is assumed to be when nothing else tells."""
    dual_nozzle: bool = False
    power_w: int
    """Rough average draw while printing PLA; only a default for energy estimates."""

    def has_door_sensor(self, firmware: str | None) -> bool:
        """Return True when this model (at this firmware) reports its door."""
        if self.door is DoorSource.NONE:
            return False
        if self.door_min_firmware is None:
            return True
        version = parse_firmware(firmware)
        return version is not None and version >= self.door_min_firmware


_RTSPS: Final = CameraKind.RTSPS_322
_JPEG: Final = CameraKind.JPEG_6000
_X1_DOOR_FW: Final = (1, 7, 0, 0)

MODELS: Final[tuple[ModelSpec, ...]] = (
    ModelSpec(
        model_id="X1C",
        name="X1 Carbon",
        serial_prefixes=("00M",),
        camera=_RTSPS,
        chamber_temperature=True,
        door=DoorSource.HOME_FLAG,
        door_min_firmware=_X1_DOOR_FW,
        power_w=110,
    ),
    ModelSpec(
        model_id="X1",
        name="X1",
        camera=_RTSPS,
        chamber_temperature=True,
        door=DoorSource.HOME_FLAG,
        door_min_firmware=_X1_DOOR_FW,
        power_w=110,
    ),
    ModelSpec(
        model_id="X1E",
        name="X1E",
        serial_prefixes=("03W",),
        camera=_RTSPS,
        chamber_temperature=True,
        door=DoorSource.HOME_FLAG,
        door_min_firmware=(1, 1, 2, 0),
        power_w=130,
    ),
    # P1P: open frame, no auxiliary or chamber fan unless upgraded; P1/A1 report a fixed
    # ``chamber_temper`` of 5 although they have no chamber sensor.
    ModelSpec(
        model_id="P1P",
        name="P1P",
        serial_prefixes=("01S",),
        camera=_JPEG,
        chamber_temperature=False,
        aux_fan=False,
        chamber_fan=False,
        power_w=100,
    ),
    ModelSpec(
        model_id="P1S",
        name="P1S",
        serial_prefixes=("01P",),
        camera=_JPEG,
        chamber_temperature=False,
        power_w=100,
    ),
    ModelSpec(
        model_id="A1",
        name="A1",
        serial_prefixes=("039",),
        camera=_JPEG,
        chamber_temperature=False,
        aux_fan=False,
        chamber_fan=False,
        ams=AMS_LITE,
        power_w=95,
    ),
    ModelSpec(
        model_id="A1MINI",
        name="A1 mini",
        serial_prefixes=("030",),
        camera=_JPEG,
        chamber_temperature=False,
        aux_fan=False,
        chamber_fan=False,
        ams=AMS_LITE,
        power_w=70,
    ),
    ModelSpec(
        model_id="A2L",
        name="A2L",
        camera=_JPEG,
        chamber_temperature=False,
        aux_fan=False,
        chamber_fan=False,
        ams=AMS_LITE,
        power_w=110,
    ),
    ModelSpec(
        model_id="P2S",
        name="P2S",
        serial_prefixes=("22E",),
        camera=_RTSPS,
        chamber_temperature=True,
        door=DoorSource.STAT,
        power_w=120,
    ),
    ModelSpec(
        model_id="H2S",
        name="H2S",
        serial_prefixes=("093",),
        camera=_RTSPS,
        chamber_temperature=True,
        door=DoorSource.STAT,
        power_w=180,
    ),
    ModelSpec(
        model_id="H2D",
        name="H2D",
        serial_prefixes=("094",),
        camera=_RTSPS,
        chamber_temperature=True,
        door=DoorSource.STAT,
        dual_nozzle=True,
        power_w=200,
    ),
    ModelSpec(
        model_id="H2DPRO",
        name="H2D Pro",
        camera=_RTSPS,
        chamber_temperature=True,
        door=DoorSource.STAT,
        dual_nozzle=True,
        power_w=200,
    ),
    ModelSpec(
        model_id="H2C",
        name="H2C",
        camera=_RTSPS,
        chamber_temperature=True,
        door=DoorSource.STAT,
        dual_nozzle=True,
        power_w=200,
    ),
    ModelSpec(
        model_id="X2D",
        name="X2D",
        camera=_RTSPS,
        chamber_temperature=True,
        door=DoorSource.STAT,
        dual_nozzle=True,
        power_w=150,
    ),
)

MODELS_BY_ID: Final[Mapping[str, ModelSpec]] = {spec.model_id: spec for spec in MODELS}
_BY_PREFIX: Final[Mapping[str, ModelSpec]] = {
    prefix: spec for spec in MODELS for prefix in spec.serial_prefixes
}
# Normalized product names ("Bambu Lab X1-Carbon" → "X1CARBON") that differ from the model id.
_PRODUCT_ALIASES: Final[Mapping[str, str]] = {"X1CARBON": "X1C"}
_NOT_ALNUM: Final = re.compile(r"[^0-9A-Z]")


@dataclass(frozen=True, slots=True, kw_only=True)
class AmsModule:
    """An AMS unit as listed by ``get_version``."""

    unit: int
    model: str
    serial: str | None = None
    firmware: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionInfo:
    """What a ``get_version`` reply says about the printer."""

    model: ModelSpec | None = None
    product_name: str | None = None
    firmware: str | None = None
    hardware: str | None = None
    ams: tuple[AmsModule, ...] = ()

    def ams_module(self, unit: int) -> AmsModule | None:
        """Return the listed AMS unit with this id, if any."""
        for module in self.ams:
            if module.unit == unit:
                return module
        return None


def parse_firmware(version: str | None) -> tuple[int, ...] | None:
    """Turn ``"01.07.00.00"`` into ``(1, 7, 0, 0)``; None when it is not a version."""
    if not version:
        return None
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return None


def model_from_product_name(product_name: str | None) -> ModelSpec | None:
    """Return the model a ``product_name`` such as ``"Bambu Lab A1 mini"`` names."""
    if not product_name:
        return None
    text = product_name.upper().removeprefix("BAMBU LAB")
    key = _NOT_ALNUM.sub("", text)
    return MODELS_BY_ID.get(_PRODUCT_ALIASES.get(key, key))


def model_from_serial(serial: str | None) -> ModelSpec | None:
    """Return the model the serial's three-character prefix stands for, if known."""
    if not serial or len(serial) < 3:
        return None
    return _BY_PREFIX.get(serial[:3].upper())


def _legacy_model(modules: list[Mapping[str, Any]]) -> ModelSpec | None:
    for module in modules:
        hw_ver = _text(module.get("hw_ver"))
        if hw_ver is None or not hw_ver.startswith("AP0"):
            continue
        project = _text(module.get("project_name")) or ""
        if hw_ver == "AP02":
            return MODELS_BY_ID["X1E"]
        if project == "N1":
            return MODELS_BY_ID["A1MINI"]
        if hw_ver == "AP04" and project in {"C11", "C12"}:
            return MODELS_BY_ID["P1P" if project == "C11" else "P1S"]
        if hw_ver == "AP05" and project in {"N2S", ""}:
            return MODELS_BY_ID["A1" if project == "N2S" else "X1C"]
        return None
    return None


def parse_version(info: object) -> VersionInfo:
    """Read a ``get_version`` reply (the inner ``info`` object); garbage gives an empty result."""
    if not isinstance(info, Mapping):
        return VersionInfo()
    raw_modules = info.get("module")
    modules = (
        [m for m in raw_modules if isinstance(m, Mapping)] if isinstance(raw_modules, list) else []
    )
    ota = next((m for m in modules if m.get("name") == "ota"), None)
    product_name = _text(ota.get("product_name")) if ota is not None else None
    model = model_from_product_name(product_name)
    if model is None:
        for module in modules:
            model = model_from_product_name(_text(module.get("product_name")))
            if model is not None:
                break
    if model is None:
        model = _legacy_model(modules)
    hardware = next(
        (hw for m in modules if (hw := _text(m.get("hw_ver"))) and hw.startswith("AP0")), None
    )
    return VersionInfo(
        model=model,
        product_name=product_name,
        firmware=_text(ota.get("sw_ver")) if ota is not None else None,
        hardware=hardware,
        ams=tuple(ams for m in modules if (ams := _ams_module(m)) is not None),
    )


def _ams_module(module: Mapping[str, Any]) -> AmsModule | None:
    name = _text(module.get("name"))
    if name is None or "/" not in name:
        return None
    prefix, _, unit = name.partition("/")
    kind = AMS_MODULE_PREFIXES.get(prefix)
    if kind is None or not unit.isdigit():
        return None
    return AmsModule(
        unit=int(unit),
        model=kind,
        serial=_text(module.get("sn")),
        firmware=_text(module.get("sw_ver")),
    )


def _text(value: object) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def capabilities(model: ModelSpec | None, firmware: str | None, *, has_ams: bool) -> Capability:
    """Return what the integration can show and control for this printer."""
    caps = (
        Capability.PAUSE_RESUME_STOP
        | Capability.SPEED_PROFILE
        | Capability.SET_NOZZLE_TEMPERATURE
        | Capability.SET_BED_TEMPERATURE
        | Capability.GCODE
        | Capability.CAMERA
        | Capability.WIFI_SIGNAL
        | Capability.LAYERS
        | Capability.FANS_PERCENT
    )
    if has_ams:
        caps |= Capability.AMS
    if model is None:
        return caps
    if model.chamber_light:
        caps |= Capability.CHAMBER_LIGHT
    if model.chamber_temperature:
        caps |= Capability.CHAMBER_TEMPERATURE
    if model.has_door_sensor(firmware):
        caps |= Capability.DOOR_SENSOR
    return caps


def build_info(serial: str, version: VersionInfo | None, *, has_ams: bool = False) -> PrinterInfo:
    """Return the device identity from the serial and (when known) the ``get_version`` reply."""
    version = version or VersionInfo()
    model = version.model or model_from_serial(serial)
    return PrinterInfo(
        vendor=Vendor.BAMBU,
        serial=serial,
        model=model.name if model is not None else version.product_name,
        model_id=model.model_id if model is not None else None,
        firmware=version.firmware,
        hardware=version.hardware,
        capabilities=capabilities(model, version.firmware, has_ams=has_ams or bool(version.ams)),
    )
