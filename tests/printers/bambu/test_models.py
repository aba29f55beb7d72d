"""Model detection from get_version and the serial, and per-model capabilities."""

from __future__ import annotations

from typing import Any, Final

import pytest

from custom_components.printernizer.printers.bambu.models import (
    AMS,
    AMS_2_PRO,
    AMS_HT,
    AMS_LITE,
    MODELS,
    MODELS_BY_ID,
    CameraKind,
    DoorSource,
    VersionInfo,
    build_info,
    capabilities,
    model_from_product_name,
    model_from_serial,
    parse_firmware,
    parse_version,
)
from custom_components.printernizer.printers.model import Capability, Vendor
from tests.shared import SHARED_PROTOCOL, load_capture, requires_shared, shared_files

R: Final = "**REDACTED**"

# file → (model id, firmware, hardware, [(unit, kind, serial, firmware)])
INFO_EXPECTED: Final[dict[str, tuple[str, str, str | None, list[tuple[int, str, str, str]]]]] = {
    "a1_get_version__ha-bambulab_MOCK-A1.json": (
        "A1",
        "01.05.00.00",
        "AP05",
        [(0, AMS_LITE, "MOCK-A1-AMS0", "00.00.07.94")],
    ),
    "a2l_get_version__ha-bambulab_MOCK-A2L.json": (
        "A2L",
        "01.01.00.00",
        "AP03",
        [(16, AMS_LITE, "MOCK-A2L-AMS0", "00.00.08.22")],
    ),
    "h2c_get_version__ha-bambulab_MOCK-H2C.json": (
        "H2C",
        "01.01.00.00",
        "AP05",
        [(0, AMS_2_PRO, "MOCK-H2C-AMS0", "03.00.21.29")],
    ),
    "h2d_get_version__ha-bambulab_H2D.info-object.json": (
        "H2D",
        "01.01.02.07",
        "AP05",
        [
            (0, AMS, "00600A360905728", "00.01.06.62"),
            (128, AMS_HT, "19F06A532402981", "02.00.19.67"),
        ],
    ),
    "h2d_get_version__ha-bambulab_MOCK-H2D.json": (
        "H2D",
        "01.01.01.00",
        "AP05",
        [
            (0, AMS_2_PRO, "MOCK-H2D-AMS0-LEFT", "02.00.19.47"),
            (1, AMS_2_PRO, "MOCK-H2D-AMS1-RIGHT", "02.00.19.47"),
        ],
    ),
    "h2d_get_version__ha-bambulab_MOCK-H2DEXTSPOOLACTIVE.json": (
        "H2D",
        "01.01.02.08",
        "AP05",
        [
            (0, AMS_2_PRO, "H2DEXTSPOOLACTIVE_AMS0", "02.00.19.68"),
            (1, AMS, "H2DEXTSPOOLACTIVE_AMS1", "00.01.06.62"),
            (2, AMS, "H2DEXTSPOOLACTIVE_AMS2", "00.01.06.62"),
            (3, AMS_2_PRO, "H2DEXTSPOOLACTIVE_AMS3", "02.00.19.68"),
            (128, AMS_HT, "H2DEXTSPOOLACTIVE_AMS128", "02.00.19.67"),
            (129, AMS_HT, "H2DEXTSPOOLACTIVE_AMS129", "02.00.19.67"),
        ],
    ),
    "h2d_get_version__ha-bambulab_test_ams_ams2_amsht.info-object.json": (
        "H2D",
        "01.01.02.00",
        "AP05",
        [
            (0, AMS, "ams_1", "00.01.06.62"),
            (1, AMS_2_PRO, "ams2_1", "02.00.19.68"),
            (128, AMS_HT, "amsht_1", "02.00.19.67"),
        ],
    ),
    "h2dpro_get_version__ha-bambulab_MOCK-H2DPRO.json": (
        "H2DPRO",
        "01.01.00.00",
        "AP01",
        [
            (0, AMS_2_PRO, "MOCK-H2DPRO-AMS0", "03.00.21.29"),
            (128, AMS_HT, "MOCK-H2DPRO-AMS128", "03.00.21.29"),
        ],
    ),
    "h2s_get_version__ha-bambulab_MOCK-H2S.json": (
        "H2S",
        "01.01.00.00",
        "AP05",
        [(0, AMS_2_PRO, "MOCK-H2S-AMS0", "03.00.21.29")],
    ),
    "p1p_get_version__ha-bambulab_MOCK-P1PNOAMS.json": ("P1P", "01.08.02.00", "AP04", []),
    "p1p_get_version__ha-bambulab_P1P.info-object.json": (
        "P1P",
        "01.07.00.00",
        "AP04",
        [(0, AMS, R, "00.00.06.49")],
    ),
    "p2s_get_version__ha-bambulab_MOCK-P2S.json": (
        "P2S",
        "01.01.00.00",
        "AP04",
        [(0, AMS_2_PRO, "MOCK-P2S-AMS-", "03.00.21.29")],
    ),
    # No product_name: the legacy rule (AP05 without project name) says X1 Carbon.
    "x1-family_get_version__ha-bambulab_MOCK-MISC.json": (
        "X1C",
        "99.00.00.00",
        "AP05",
        [(128, AMS_HT, "MOCK-MISC-128", "00.00.06.44")],
    ),
    "x1c_get_version__OpenBambuAPI_mqtt.md.json": ("X1C", "01.01.01.00", "AP05", []),
    "x1c_get_version__ha-bambulab_2AMS1-1AMS2-1AMSHT.info-object.json": (
        "X1C",
        "01.09.00.01",
        "AP05",
        [
            (0, AMS, R, "00.01.06.62"),
            (1, AMS, R, "00.01.06.62"),
            (2, AMS_2_PRO, R, "02.00.19.68"),
            (128, AMS_HT, R, "02.00.19.67"),
        ],
    ),
}
NOT_VERSION: Final = {"upgrade_get_history__OpenBambuAPI_mqtt.md.json"}


@requires_shared
def test_every_info_file_is_covered() -> None:
    assert {path.name for path in shared_files("bambu/info")} == set(INFO_EXPECTED) | NOT_VERSION


@requires_shared
@pytest.mark.parametrize("name", sorted(INFO_EXPECTED))
def test_get_version_capture(name: str) -> None:
    payload = load_capture(SHARED_PROTOCOL / "bambu" / "info" / name)
    version = parse_version(payload.get("info", payload))
    model_id, firmware, hardware, ams = INFO_EXPECTED[name]
    assert version.model is MODELS_BY_ID[model_id]
    assert version.firmware == firmware
    assert version.hardware == hardware
    assert [(m.unit, m.model, m.serial, m.firmware) for m in version.ams] == ams
    info = build_info("SERIAL", version)
    assert info.model_id == model_id
    assert info.model == MODELS_BY_ID[model_id].name
    assert info.firmware == firmware
    assert bool(info.capabilities & Capability.AMS) == bool(ams)


@requires_shared
def test_upgrade_history_is_not_a_version_reply() -> None:
    payload = load_capture(
        SHARED_PROTOCOL / "bambu" / "info" / "upgrade_get_history__OpenBambuAPI_mqtt.md.json"
    )
    assert parse_version(payload.get("info")) == VersionInfo()


@pytest.mark.parametrize(
    ("product_name", "model_id"),
    [
        ("Bambu Lab X1-Carbon", "X1C"),
        ("Bambu Lab X1 Carbon", "X1C"),
        ("Bambu Lab X1", "X1"),
        ("Bambu Lab X1E", "X1E"),
        ("Bambu Lab A1 mini", "A1MINI"),
        ("Bambu Lab H2D Pro", "H2DPRO"),
        ("Bambu Lab P1S", "P1S"),
        ("Bambu Lab X2D", "X2D"),
        ("Bambu Lab Z9", None),
        ("", None),
        (None, None),
    ],
)
def test_product_names(product_name: str | None, model_id: str | None) -> None:
    model = model_from_product_name(product_name)
    assert (model.model_id if model else None) == model_id


@pytest.mark.parametrize(
    ("serial", "model_id"),
    [
        ("00M00A000000000", "X1C"),
        ("03W00A000000000", "X1E"),
        ("01S00A000000000", "P1P"),
        ("01p00a000000000", "P1S"),
        ("03900A000000000", "A1"),
        ("03000A000000000", "A1MINI"),
        ("22E00A000000000", "P2S"),
        ("09300A000000000", "H2S"),
        ("09400A000000000", "H2D"),
        ("XYZ", None),
        ("0", None),
        ("", None),
    ],
)
def test_serial_prefixes(serial: str, model_id: str | None) -> None:
    model = model_from_serial(serial)
    assert (model.model_id if model else None) == model_id


def module(hw_ver: str, project: str | None = None, name: str = "esp32") -> dict[str, Any]:
    result: dict[str, Any] = {"name": name, "hw_ver": hw_ver, "sw_ver": "01.00.00.00"}
    if project is not None:
        result["project_name"] = project
    return result


@pytest.mark.parametrize(
    ("modules", "model_id"),
    [
        ([module("AP02")], "X1E"),
        ([module("AP05", "N1")], "A1MINI"),
        ([module("AP04", "N1")], "A1MINI"),
        ([module("AP04", "C11")], "P1P"),
        ([module("AP04", "C12")], "P1S"),
        ([module("AP05", "N2S")], "A1"),
        ([module("AP05", "")], "X1C"),
        ([module("AP05")], "X1C"),
        ([module("AP04", "C99")], None),
        ([module("AP07", "X")], None),
        ([module("MC07"), {"name": "ap", "hw_ver": 5}], None),
        (
            [{"name": "ota", "product_name": ""}, {"name": "x", "product_name": "Bambu Lab A1"}],
            "A1",
        ),
    ],
)
def test_legacy_detection(modules: list[dict[str, Any]], model_id: str | None) -> None:
    version = parse_version({"command": "get_version", "module": modules})
    assert (version.model.model_id if version.model else None) == model_id


@pytest.mark.parametrize(
    "info",
    [None, "x", {"module": "x"}, {"module": [1, "a", None]}, {}],
)
def test_parse_version_garbage(info: object) -> None:
    assert parse_version(info) == VersionInfo()


def test_ams_module_names() -> None:
    version = parse_version(
        {
            "module": [
                {"name": "ams/x", "sn": "a"},
                {"name": "ahb", "sn": "b"},
                {"name": "wtm/16", "sn": "c"},
                {"name": "n3s/129", "sn": "", "sw_ver": 1},
                {"name": 5},
            ]
        }
    )
    assert [(m.unit, m.model, m.serial, m.firmware) for m in version.ams] == [
        (129, AMS_HT, None, None)
    ]
    assert version.ams_module(129) is version.ams[0]
    assert version.ams_module(0) is None


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("01.07.00.00", (1, 7, 0, 0)), ("1.2", (1, 2)), ("abc", None), ("", None), (None, None)],
)
def test_parse_firmware(text: str | None, parsed: tuple[int, ...] | None) -> None:
    assert parse_firmware(text) == parsed


def test_model_facts() -> None:
    # Cameras: JPEG over TLS 6000 on P1/A1/A2L, RTSPS 322 on X1/H2/P2S/X2.
    jpeg = {m.model_id for m in MODELS if m.camera is CameraKind.JPEG_6000}
    assert jpeg == {"P1P", "P1S", "A1", "A1MINI", "A2L"}
    # P1/A1/A2L report a made-up chamber temperature; they have no sensor.
    assert {m.model_id for m in MODELS if not m.chamber_temperature} == jpeg
    assert {m.model_id for m in MODELS if m.door is DoorSource.HOME_FLAG} == {"X1", "X1C", "X1E"}
    assert {m.model_id for m in MODELS if m.door is DoorSource.STAT} == {
        "P2S",
        "H2S",
        "H2D",
        "H2DPRO",
        "H2C",
        "X2D",
    }
    assert {m.model_id for m in MODELS if m.dual_nozzle} == {"H2D", "H2DPRO", "H2C", "X2D"}
    assert MODELS_BY_ID["A1"].ams == AMS_LITE
    assert all(m.power_w > 0 for m in MODELS)


def test_door_sensor_needs_x1_firmware() -> None:
    x1c = MODELS_BY_ID["X1C"]
    assert not x1c.has_door_sensor(None)
    assert not x1c.has_door_sensor("01.06.00.00")
    assert x1c.has_door_sensor("01.07.00.00")
    assert MODELS_BY_ID["X1E"].has_door_sensor("01.01.02.00")
    assert MODELS_BY_ID["H2D"].has_door_sensor(None)
    assert not MODELS_BY_ID["P1S"].has_door_sensor("01.09.00.00")


def test_capabilities() -> None:
    base = capabilities(None, None, has_ams=False)
    assert Capability.PAUSE_RESUME_STOP in base
    assert Capability.CHAMBER_LIGHT not in base
    assert Capability.AMS in capabilities(None, None, has_ams=True)
    x1c = capabilities(MODELS_BY_ID["X1C"], "01.09.00.01", has_ams=False)
    assert Capability.CHAMBER_TEMPERATURE in x1c
    assert Capability.DOOR_SENSOR in x1c
    assert Capability.CHAMBER_LIGHT in x1c
    a1 = capabilities(MODELS_BY_ID["A1"], "01.05.00.00", has_ams=True)
    assert Capability.CHAMBER_TEMPERATURE not in a1
    assert Capability.DOOR_SENSOR not in a1


def test_build_info_from_serial_only() -> None:
    info = build_info("09400A000000001", None)
    assert info.vendor is Vendor.BAMBU
    assert info.serial == "09400A000000001"
    assert info.model == "H2D"
    assert info.model_id == "H2D"
    assert info.firmware is None
    unknown = build_info("ZZZ", VersionInfo(product_name="Bambu Lab Q9"))
    assert unknown.model == "Bambu Lab Q9"
    assert unknown.model_id is None
