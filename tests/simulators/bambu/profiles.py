"""Printer model profiles of the simulator, written for this project.

They are modelled on what public captures show each family sending (product names, the modules
in ``get_version``, which report fields exist, AMS kinds), but every value here is our own and
the simulator never reads the captures at runtime. Serial prefixes follow the public convention
(X1C 00M, P1S 01P, P1P 01S, A1 039, A1 mini 030, H2D 094); the serials themselves are made up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelProfile:
    """What distinguishes one printer model in the simulator."""

    key: str
    product_name: str
    serial_prefix: str
    firmware: str
    modules: tuple[tuple[str, str, str], ...]
    """``(name, hw_ver, sw_ver)`` of the non-OTA modules in ``get_version``."""
    project_name: str | None = None
    """Older firmware reports ``project_name`` instead of ``product_name`` on every module."""
    product_name_in_version: bool = True
    delta_pushes: bool = True
    """P1/A1/H2: periodic pushes carry only changed fields (``msg: 1``); X1 pushes everything."""
    chamber_temperature: bool = False
    lights: tuple[str, ...] = ("chamber_light",)
    ams_kind: str | None = None
    """``AMS``, ``AMS lite`` or ``AMS 2 Pro``; None = external spool only."""
    ams_units: int = 0
    idle_stage: int = 255
    camera: str = "jpeg"
    """``jpeg`` (P1/A1, port 6000) or ``rtsps`` (X1/H2, port 322)."""
    extruders: int = 1
    door_sensor: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    """Model-specific top-level report fields."""


PROFILES: Final[dict[str, ModelProfile]] = {
    profile.key: profile
    for profile in (
        ModelProfile(
            key="X1C",
            product_name="Bambu Lab X1-Carbon",
            serial_prefix="00M",
            firmware="01.09.02.10",
            modules=(
                ("ap", "AP05", "00.00.52.11"),
                ("mc", "MC07", "00.00.33.04"),
                ("th", "TH09", "00.00.07.21"),
                ("ams/0", "AMS08", "00.01.06.70"),
                ("xm", "XM01", "00.00.03.10"),
            ),
            delta_pushes=False,
            chamber_temperature=True,
            lights=("chamber_light", "work_light"),
            ams_kind="AMS",
            ams_units=1,
            idle_stage=-1,
            camera="rtsps",
            door_sensor=True,
            extra={"xcam_status": "0", "aux_part_fan": True},
        ),
        ModelProfile(
            key="P1S",
            product_name="Bambu Lab P1S",
            serial_prefix="01P",
            firmware="01.08.02.00",
            modules=(
                ("esp32", "AP04", "01.11.36.10"),
                ("mc", "MC07", "00.01.33.02"),
                ("th", "TH09", "00.00.10.01"),
                ("ams/0", "AMS08", "00.01.06.70"),
            ),
            chamber_temperature=True,
            ams_kind="AMS",
            ams_units=1,
            extra={"k": "0.0200", "flag3": 15},
        ),
        ModelProfile(
            key="P1P",
            product_name="Bambu Lab P1P",
            serial_prefix="01S",
            firmware="01.07.00.00",
            modules=(
                ("esp32", "AP04", "01.11.33.05"),
                ("mc", "MC07", "00.00.30.11"),
                ("th", "TH09", "00.00.09.98"),
            ),
            project_name="C11",
            product_name_in_version=False,
            extra={"k": "0.0200", "flag3": 15},
        ),
        ModelProfile(
            key="A1",
            product_name="Bambu Lab A1",
            serial_prefix="039",
            firmware="01.05.00.00",
            modules=(
                ("esp32", "AP05", "01.13.35.01"),
                ("mc", "MC02", "00.01.30.02"),
                ("th", "TH01", "00.00.07.70"),
                ("ams_f1/0", "AMS_F102", "00.00.08.01"),
            ),
            project_name="N2S",
            product_name_in_version=False,
            ams_kind="AMS lite",
            ams_units=1,
            idle_stage=0,
            extra={"k": "0.0200", "flag3": 31},
        ),
        ModelProfile(
            key="A1 mini",
            product_name="Bambu Lab A1 mini",
            serial_prefix="030",
            firmware="01.05.00.00",
            modules=(
                ("esp32", "AP05", "01.13.35.01"),
                ("mc", "MC02", "00.01.30.02"),
                ("th", "TH01", "00.00.07.70"),
            ),
            project_name="N1",
            idle_stage=0,
            extra={"k": "0.0200", "flag3": 31},
        ),
        ModelProfile(
            key="H2D",
            product_name="Bambu Lab H2D",
            serial_prefix="094",
            firmware="01.01.02.07",
            modules=(
                ("n3f/0", "N3F05", "02.00.19.70"),
                ("ahb", "AHB02", "02.00.09.70"),
                ("mc", "MC09", "02.05.57.60"),
                ("th", "TH08", "02.01.17.60"),
                ("ext", "EXT07", "00.00.08.20"),
                ("ap", "AP05", "00.00.52.01"),
            ),
            chamber_temperature=True,
            lights=("chamber_light", "work_light", "chamber_light2"),
            ams_kind="AMS 2 Pro",
            ams_units=1,
            idle_stage=-1,
            camera="rtsps",
            extruders=2,
            door_sensor=True,
            extra={"fun": "41AFFF9CFF", "xcam_status": "0", "aux_part_fan": True},
        ),
    )
}
ALIASES: Final = {
    "X1-CARBON": "X1C",
    "X1 CARBON": "X1C",
    "A1MINI": "A1 mini",
    "A1 MINI": "A1 mini",
    "A1M": "A1 mini",
}


def get_profile(name: str) -> ModelProfile:
    """Return a profile by key (case-insensitive; ``A1mini``/``A1 mini`` both work)."""
    upper = name.strip().upper()
    for key, profile in PROFILES.items():
        if key.upper() == upper:
            return profile
    if upper in ALIASES:
        return PROFILES[ALIASES[upper]]
    raise KeyError(f"unknown model {name!r}; known: {', '.join(PROFILES)}")
