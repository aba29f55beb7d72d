"""Parser rules on small hand-written reports: statuses, times, filament, garbage."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
import math
from typing import Any, Final

import pytest

from custom_components.printernizer.printers.bambu.hms import HmsTexts
from custom_components.printernizer.printers.bambu.models import (
    MODELS_BY_ID,
    AmsModule,
    ModelSpec,
    VersionInfo,
)
from custom_components.printernizer.printers.bambu.parser import parse_state
from custom_components.printernizer.printers.bambu.reader import ParseContext, ParseDiagnostics
from custom_components.printernizer.printers.bambu.values import fan_percent, unpack_temperature
from custom_components.printernizer.printers.model import (
    ErrorSeverity,
    PrinterState,
    PrinterStatus,
    SpeedProfile,
)

NOW: Final = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
X1C: Final = MODELS_BY_ID["X1C"]
H2D: Final = MODELS_BY_ID["H2D"]
A1: Final = MODELS_BY_ID["A1"]
X1_VERSION: Final = VersionInfo(model=X1C, firmware="01.09.00.00")


def report(**values: Any) -> dict[str, Any]:
    """Return a minimal X1-style report with ``values`` on top."""
    base: dict[str, Any] = {
        "command": "push_status",
        "gcode_state": "RUNNING",
        "mc_percent": 50,
        "mc_remaining_time": 30,
        "layer_num": 10,
        "total_layer_num": 100,
        "subtask_name": "benchy",
        "task_id": "11",
        "subtask_id": "12",
        "nozzle_temper": 220.0,
        "nozzle_target_temper": 220.0,
        "bed_temper": 60.0,
        "bed_target_temper": 60.0,
        "chamber_temper": 30.0,
        "hms": [],
        "print_error": 0,
    }
    base.update(values)
    return base


def parse(
    raw: dict[str, Any],
    *,
    model: ModelSpec | None = X1C,
    version: VersionInfo | None = X1_VERSION,
    previous: PrinterState | None = None,
    now: datetime = NOW,
    texts: HmsTexts | None = None,
    diagnostics: ParseDiagnostics | None = None,
) -> PrinterState:
    return parse_state(
        raw,
        ParseContext(
            now=now,
            model=model,
            version=version,
            previous=previous,
            texts=texts,
            diagnostics=diagnostics or ParseDiagnostics(),
        ),
    )


@pytest.mark.parametrize(
    ("gcode_state", "status"),
    [
        ("IDLE", PrinterStatus.IDLE),
        ("INIT", PrinterStatus.PREPARING),
        ("SLICING", PrinterStatus.PREPARING),
        ("PREPARE", PrinterStatus.PREPARING),
        ("RUNNING", PrinterStatus.PRINTING),
        ("PAUSE", PrinterStatus.PAUSED),
        ("FINISH", PrinterStatus.FINISHED),
        ("FAILED", PrinterStatus.FAILED),
    ],
)
def test_status(gcode_state: str, status: PrinterStatus) -> None:
    assert parse(report(gcode_state=gcode_state)).status is status


def test_unknown_gcode_state_keeps_previous_and_is_counted() -> None:
    diag = ParseDiagnostics()
    previous = parse(report())
    assert parse(report(gcode_state="WEIRD"), previous=previous, diagnostics=diag).status is (
        PrinterStatus.PRINTING
    )
    assert parse(report(gcode_state=5), diagnostics=diag).status is PrinterStatus.IDLE
    assert parse(report(gcode_state=None)).status is PrinterStatus.IDLE
    assert diag.as_dict() == {"gcode_state": 2}


def test_cancel_is_a_status_not_an_error_and_sticks() -> None:
    running = parse(report())
    cancelled = parse(report(gcode_state="FAILED", print_error=50348044), previous=running)
    assert cancelled.status is PrinterStatus.CANCELLED
    assert cancelled.errors == ()
    # The printer clears print_error a few seconds later; the job is still the cancelled one.
    later = parse(report(gcode_state="FAILED", print_error=0), previous=cancelled)
    assert later.status is PrinterStatus.CANCELLED
    # The cancel code arriving before gcode_state flips also means cancelled.
    assert parse(report(print_error="50348044")).status is PrinterStatus.CANCELLED
    # A new job clears it.
    assert parse(report(gcode_state="PREPARE"), previous=later).status is PrinterStatus.PREPARING
    # A real failure stays a failure.
    failed = parse(report(gcode_state="FAILED", print_error=0x0300400B), previous=running)
    assert failed.status is PrinterStatus.FAILED
    assert [error.code for error in failed.errors] == ["0300_400B"]


def test_progress_layers_and_remaining() -> None:
    state = parse(report(mc_percent="42", mc_remaining_time="78", layer_num="24"))
    assert state.progress == 42
    assert state.remaining_time == 78
    assert state.current_layer == 24
    assert state.total_layers == 100
    diag = ParseDiagnostics()
    bad = parse(
        report(mc_percent=101, mc_remaining_time=-5, layer_num=1.5, total_layer_num="x"),
        diagnostics=diag,
    )
    assert bad.progress is None
    assert bad.remaining_time is None
    assert bad.current_layer is None
    assert bad.total_layers is None
    assert diag.as_dict() == {
        "layer_num": 1,
        "mc_percent": 1,
        "mc_remaining_time": 1,
        "total_layer_num": 1,
    }


def test_remaining_time_left_over_after_a_failure_is_zero() -> None:
    # P1P capture: FAILED with mc_remaining_time 759 left over.
    assert parse(report(gcode_state="FAILED", mc_remaining_time=759)).remaining_time == 0


def test_job_identity() -> None:
    state = parse(report())
    assert state.file == "benchy"
    assert state.job_id == "12"
    local = parse(report(subtask_id="", task_id="9012", subtask_name="", gcode_file="/a.gcode"))
    assert local.job_id == "9012"
    assert local.file == "/a.gcode"
    none = parse(report(subtask_id="0", task_id=0, subtask_name=None))
    assert none.job_id is None
    assert none.file is None
    assert parse(report(subtask_id=12345)).job_id == "12345"
    idle = parse(report(gcode_state="IDLE"))
    assert idle.file is None
    assert idle.job_id is None


def test_end_time_does_not_jitter() -> None:
    first = parse(report(mc_remaining_time=30), now=NOW)
    assert first.job_end == NOW + timedelta(minutes=30)
    # 40 s later the printer still says 30 min: the estimate moved 40 s, keep the old end.
    second = parse(report(mc_remaining_time=30), previous=first, now=NOW + timedelta(seconds=40))
    assert second.job_end == first.job_end
    assert second == first
    # 61 s later it says 29 min: 1 s earlier than before, keep.
    third = parse(report(mc_remaining_time=29), previous=second, now=NOW + timedelta(seconds=61))
    assert third.job_end == first.job_end
    # The estimate grows by 5 minutes: a real change.
    fourth = parse(report(mc_remaining_time=35), previous=third, now=NOW + timedelta(seconds=90))
    assert fourth.job_end == NOW + timedelta(seconds=90, minutes=35)


def test_end_time_at_zero_remaining_and_after_the_job() -> None:
    preparing = parse(report(gcode_state="PREPARE", mc_remaining_time=0))
    assert preparing.job_end is None
    running = parse(report(), now=NOW)
    zero = parse(report(mc_remaining_time=0), previous=running)
    assert zero.job_end == running.job_end
    done_at = NOW + timedelta(minutes=29)
    finished = parse(report(gcode_state="FINISH", mc_remaining_time=0), previous=zero, now=done_at)
    assert finished.job_end == done_at
    still = parse(
        report(gcode_state="FINISH"), previous=finished, now=done_at + timedelta(minutes=5)
    )
    assert still.job_end == done_at
    # Connecting to a printer that already finished: when it ended is unknown.
    assert parse(report(gcode_state="FINISH")).job_end is None
    assert (
        parse(report(gcode_state="FINISH"), previous=parse(report(gcode_state="IDLE"))).job_end
        is None
    )
    assert parse(report(gcode_state="IDLE"), previous=finished).job_end is None


def test_start_time() -> None:
    stamp = int(datetime(2025, 3, 1, 9, 0, tzinfo=UTC).timestamp())
    assert parse(report(gcode_start_time=str(stamp))).job_start == datetime(
        2025, 3, 1, 9, 0, tzinfo=UTC
    )
    assert parse(report(gcode_start_time="0")).job_start is None  # first report: unknown
    idle = parse(report(gcode_state="IDLE"))
    started = parse(report(gcode_state="PREPARE"), previous=idle, now=NOW)
    assert started.job_start == NOW
    running = parse(report(), previous=started, now=NOW + timedelta(minutes=5))
    assert running.job_start == NOW
    finished = parse(report(gcode_state="FINISH"), previous=running)
    assert finished.job_start == NOW
    # The same file printed again: a new start.
    again = parse(report(gcode_state="PREPARE"), previous=finished, now=NOW + timedelta(hours=2))
    assert again.job_start == NOW + timedelta(hours=2)
    # Another job while we missed the end of the previous one.
    other = parse(report(subtask_id="99"), previous=running, now=NOW + timedelta(hours=3))
    assert other.job_start == NOW + timedelta(hours=3)
    assert parse(report(gcode_state="FINISH", subtask_id="99"), previous=running).job_start is None
    assert parse(report(gcode_state="IDLE"), previous=running).job_start is None


def test_temperatures_legacy_and_ranges() -> None:
    state = parse(report(nozzle_temper="219.5", bed_target_temper=0))
    assert state.nozzle_temperature == 219.5
    assert state.bed_target_temperature == 0
    assert state.chamber_temperature == 30
    diag = ParseDiagnostics()
    bad = parse(
        report(
            nozzle_temper=900, bed_temper=math.nan, chamber_temper="hot", nozzle_target_temper=True
        ),
        diagnostics=diag,
    )
    assert bad.nozzle_temperature is None
    assert bad.nozzle_target_temperature is None
    assert bad.bed_temperature is None
    assert bad.chamber_temperature is None
    assert diag.as_dict() == {
        "bed_temperature": 1,
        "chamber_temperature": 1,
        "nozzle_target_temperature": 1,
        "nozzle_temperature": 1,
    }


def test_chamber_only_where_the_model_has_a_sensor() -> None:
    assert parse(report(chamber_temper=5), model=A1).chamber_temperature is None
    # Unknown model: the legacy key may be a P1/A1 made-up value; the packed one is real.
    assert parse(report(chamber_temper=5), model=None, version=None).chamber_temperature is None
    packed = report(device={"ctc": {"info": {"temp": (60 << 16) | 48}}})
    state = parse(packed, model=None, version=None)
    assert state.chamber_temperature == 48
    assert state.chamber_target_temperature == 60


def test_packed_temperatures_of_the_active_extruder() -> None:
    assert unpack_temperature(4587590) == (70, 70)
    device = {
        "bed": {"info": {"temp": "4587590"}},
        "extruder": {
            "state": 0x12,
            "info": [
                {"id": 0, "temp": (225 << 16) | 264, "snow": 0x8000},
                {"id": 1, "temp": 40, "snow": 0x0102},
            ],
        },
        "nozzle": {"info": [{"id": 1, "diameter": 0.6, "type": "HX05"}]},
    }
    state = parse(report(device=device), model=H2D, version=None)
    assert state.nozzle_temperature == 40
    assert state.nozzle_target_temperature == 0
    assert state.bed_temperature == 70
    assert state.bed_target_temperature == 70
    assert state.active_slot == "ams1_tray2"
    assert state.extra["active_extruder"] == 1
    assert state.extra["nozzle_diameter"] == 0.6
    assert state.extra["nozzle_type"] == "HX05"
    device["extruder"]["state"] = 2
    right = parse(report(device=device), model=H2D, version=None)
    assert right.nozzle_temperature == 264
    assert right.nozzle_target_temperature == 225
    assert right.active_slot == "ams128_tray0"
    # Negative or garbage packed values fall back to the legacy keys.
    device["bed"] = {"info": {"temp": -1}}
    device["extruder"] = {"info": [{"id": 0, "temp": "x"}]}
    diag = ParseDiagnostics()
    fallback = parse(report(device=device), model=H2D, version=None, diagnostics=diag)
    assert fallback.bed_temperature == 60
    assert fallback.nozzle_temperature == 220
    assert diag.as_dict() == {"nozzle.packed": 1}


@pytest.mark.parametrize(
    ("snow", "slot"),
    [
        (0xFFFF, None),
        (0xFEFF, None),
        (0xFF00, "external"),
        (0xFE00, "external_left"),
        (0x0003, "ams0_tray3"),
        (0x8000, "ams128_tray0"),
        ("x", None),
    ],
)
def test_active_slot_from_extruder(snow: object, slot: str | None) -> None:
    device = {"extruder": {"state": 2, "info": [{"id": 0, "snow": snow}]}}
    assert parse(report(device=device), model=H2D).active_slot == slot


@pytest.mark.parametrize(
    ("tray_now", "slot"),
    [
        ("255", None),
        ("254", "external"),
        ("5", "ams1_tray1"),
        ("128", "ams128_tray0"),
        (200, None),
        ("x", None),
        (None, None),
    ],
)
def test_active_slot_from_tray_now(tray_now: object, slot: str | None) -> None:
    assert parse(report(ams={"tray_now": tray_now})).active_slot == slot


def test_extruder_without_matching_entry() -> None:
    device = {"extruder": {"info": [{"id": 1, "temp": 5}], "state": None}}
    state = parse(report(device=device, ams={"tray_now": "1"}), model=H2D)
    assert state.extra["active_extruder"] == 0
    assert state.nozzle_temperature == 220
    assert state.active_slot == "ams0_tray1"
    assert parse(report(device={"extruder": "x"}), model=H2D).nozzle_temperature == 220


@pytest.mark.parametrize(
    ("step", "percent"),
    [
        (0, 0),
        (1, 10),
        (2, 10),
        (3, 20),
        (4, 30),
        (5, 30),
        (7, 50),
        (8, 50),
        (10, 70),
        (14, 90),
        (15, 100),
    ],
)
def test_fan_percent(step: int, percent: int) -> None:
    assert fan_percent(step) == percent


def test_fans_strings_models_and_garbage() -> None:
    raw = report(cooling_fan_speed="15", big_fan1_speed=10, big_fan2_speed="4")
    state = parse(raw)
    assert (state.part_fan_speed, state.aux_fan_speed, state.chamber_fan_speed) == (100, 70, 30)
    a1 = parse(raw, model=A1)
    assert (a1.part_fan_speed, a1.aux_fan_speed, a1.chamber_fan_speed) == (100, None, None)
    bad = parse(report(cooling_fan_speed="16", big_fan1_speed=[], big_fan2_speed=""))
    assert (bad.part_fan_speed, bad.aux_fan_speed, bad.chamber_fan_speed) == (None, None, None)


@pytest.mark.parametrize(
    ("spd_lvl", "spd_mag", "profile", "speed"),
    [
        (1, 50, SpeedProfile.SILENT, 50),
        ("2", "100", SpeedProfile.STANDARD, 100),
        (3, 124, SpeedProfile.SPORT, 124),
        (4, 166, SpeedProfile.LUDICROUS, 166),
        (9, 0, None, None),
        (None, None, None, None),
    ],
)
def test_speed(
    spd_lvl: object, spd_mag: object, profile: SpeedProfile | None, speed: int | None
) -> None:
    state = parse(report(spd_lvl=spd_lvl, spd_mag=spd_mag))
    assert state.speed_profile is profile
    assert state.print_speed == speed


@pytest.mark.parametrize(
    ("value", "dbm"),
    [
        ("-45dBm", -45),
        (" -90 dBm ", -90),
        (-60, -60),
        ("strong", None),
        ("10dBm", None),
        (None, None),
    ],
)
def test_wifi(value: object, dbm: int | None) -> None:
    assert parse(report(wifi_signal=value)).wifi_signal == dbm


def test_door() -> None:
    assert parse(report(home_flag=0x00800000)).door_open is True
    assert parse(report(home_flag=-1066934785)).door_open is False
    assert parse(report(home_flag="x")).door_open is None
    old_x1 = VersionInfo(model=X1C, firmware="01.06.00.00")
    assert parse(report(home_flag=0x00800000), version=old_x1).door_open is None
    # H2/P2S: stat bit 23, home_flag means nothing.
    h2d = report(home_flag=-1058546177, stat="46258008")
    assert parse(h2d, model=H2D).door_open is False
    assert parse(report(stat="46A58008"), model=H2D).door_open is True
    assert parse(report(stat="zz"), model=H2D).door_open is None
    assert parse(report(stat=7), model=H2D).door_open is None
    assert parse(report(), model=A1).door_open is None
    assert parse(report(home_flag=0x00800000), model=None, version=None).door_open is None


@pytest.mark.parametrize(
    ("lights", "on"),
    [
        ([{"node": "chamber_light", "mode": "on"}], True),
        ([{"node": "work_light", "mode": "on"}, {"node": "chamber_light", "mode": "off"}], False),
        ([{"node": "chamber_light", "mode": "flashing"}], True),
        ([{"node": "chamber_light", "mode": "blink"}], None),
        ([{"node": "chamber_light", "mode": {"on": True}}], None),
        ("x", None),
        (None, None),
    ],
)
def test_chamber_light(lights: object, on: bool | None) -> None:
    assert parse(report(lights_report=lights)).chamber_light is on


def test_chamber_light_not_on_models_without_one() -> None:
    no_light = replace(X1C, chamber_light=False)
    raw = report(lights_report=[{"node": "chamber_light", "mode": "on"}])
    assert parse(raw, model=no_light).chamber_light is None


@pytest.mark.parametrize(
    ("fun", "signed"),
    [("3EC1AFFF9CFF", True), ("3EC18FFF9CFF", False), ("zz", False), (None, False), (12, False)],
)
def test_signed_commands(fun: object, signed: bool) -> None:
    assert parse(report(fun=fun)).signed_commands_required is signed


@pytest.mark.parametrize(
    ("ipcam", "url"),
    [
        (
            {"rtsp_url": "rtsps://10.0.0.2:322/streaming/live/1"},
            "rtsps://10.0.0.2:322/streaming/live/1",
        ),
        ({"rtsp_url": "rtsp://10.0.0.2/live"}, "rtsp://10.0.0.2/live"),
        ({"rtsp_url": "disable"}, None),
        ({"rtsp_url": "**REDACTED**"}, None),
        ({}, None),
        ("x", None),
    ],
)
def test_camera_url(ipcam: object, url: str | None) -> None:
    assert parse(report(ipcam=ipcam)).camera_url == url


@pytest.mark.parametrize(
    ("stg_cur", "stage"),
    [
        (0, "printing"),
        (2, "heatbed_preheating"),
        (14, "cleaning_nozzle_tip"),
        (77, "preparing_ams"),
        (-1, "idle"),
        (255, "idle"),
        (500, None),
        ("x", None),
        (None, None),
    ],
)
def test_stage(stg_cur: object, stage: str | None) -> None:
    assert parse(report(stg_cur=stg_cur)).stage == stage


def test_stage_only_while_a_job_runs() -> None:
    assert parse(report(gcode_state="IDLE", stg_cur=0)).stage is None


def test_errors_from_hms_and_print_error() -> None:
    texts = HmsTexts(hms={"0C00030000030007": "First layer."}, errors={"07FF8012": "Mapping."})
    diag = ParseDiagnostics()
    state = parse(
        report(
            hms=[
                {"attr": 201327360, "code": 196615, "action": 0, "timestamp": 1},
                {"attr": "201327360", "code": "196615"},
                {"attr": "x", "code": 1},
                {"code": 1},
                "junk",
            ],
            print_error=134184978,
        ),
        texts=texts,
        diagnostics=diag,
    )
    assert [(e.code, e.source, e.text) for e in state.errors] == [
        ("0C00_0300_0003_0007", "hms", "First layer."),
        ("07FF_8012", "print_error", "Mapping."),
    ]
    assert state.error is not None
    assert state.error.severity is ErrorSeverity.COMMON
    assert diag.as_dict() == {"hms": 1, "hms.attr": 1}
    assert parse(report(hms="x", print_error="junk")).errors == ()


def unit(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "0",
        "humidity": "4",
        "humidity_raw": "23",
        "temp": "24.7",
        "tray": [],
    }
    base.update(values)
    return base


def test_ams_units_and_trays() -> None:
    trays = [
        {
            "id": "0",
            "tray_type": "PLA",
            "tray_color": "FF0000FF",
            "remain": 80,
            "tray_sub_brands": "PLA Basic",
            "nozzle_temp_min": "190",
            "nozzle_temp_max": "230",
        },
        {"id": "1", "state": 10},
        {
            "id": "2",
            "tray_type": "PETG",
            "tray_color": "00000000",
            "remain": -1,
            "tray_info_idx": "GFG99",
            "nozzle_temp_min": "0",
            "state": 11,
        },
        {"id": "3"},
        {"id": "9", "tray_type": "ABS", "state": 3, "tray_color": "zz"},
        {"id": "x"},
    ]
    diag = ParseDiagnostics()
    state = parse(
        report(ams={"ams": [unit(id="1"), unit(tray=trays), unit(id="bad")], "tray_now": "0"}),
        diagnostics=diag,
    )
    assert [u.unit for u in state.ams_units] == [0, 1]
    first = state.ams_units[0]
    assert (first.model, first.humidity, first.humidity_level, first.temperature) == (
        "AMS",
        23,
        4,
        24.7,
    )
    slots = {slot.key: slot for slot in first.slots}
    assert list(slots) == ["ams0_tray0", "ams0_tray1", "ams0_tray2", "ams0_tray3", "ams0_tray9"]
    pla = slots["ams0_tray0"]
    assert (pla.material, pla.color, pla.name, pla.remaining) == ("PLA", "#FF0000", "PLA Basic", 80)
    assert (pla.nozzle_temp_min, pla.nozzle_temp_max, pla.active, pla.unit, pla.index) == (
        190,
        230,
        True,
        0,
        0,
    )
    assert state.active_filament == pla
    assert slots["ams0_tray1"].empty
    petg = slots["ams0_tray2"]
    assert (petg.material, petg.color, petg.name, petg.remaining, petg.nozzle_temp_min) == (
        "PETG",
        None,
        "GFG99",
        None,
        None,
    )
    assert slots["ams0_tray3"].empty
    assert slots["ams0_tray9"].material == "ABS"
    assert slots["ams0_tray9"].color is None
    assert diag.as_dict() == {"ams.id": 1, "ams.tray.id": 1, "tray_color": 1}


@pytest.mark.parametrize(
    ("state_value", "loaded"),
    [
        (0, False),
        (1, False),
        (3, True),
        (8, False),
        (9, True),
        (10, False),
        (11, True),
        (0x19, True),
    ],
)
def test_tray_state_flags(state_value: int, loaded: bool) -> None:
    tray = {"id": "0", "tray_type": "PLA", "state": state_value}
    state = parse(report(ams={"ams": [unit(tray=[tray])]}))
    assert state.ams_units[0].slots[0].empty is not loaded


def test_ams_kind_sources_and_sensor_values() -> None:
    version = VersionInfo(
        model=X1C, ams=(AmsModule(unit=0, model="AMS 2 Pro", serial="S", firmware="F"),)
    )
    units = [
        unit(id="0"),
        unit(id="1", info="1001"),
        unit(id="2", info="2103"),
        unit(id="3", info="142024"),
        unit(id="4", info="30001005", humidity="5", humidity_raw="0", temp="0.0"),
        unit(id="5", info="zz"),
        unit(id="128", humidity="0", humidity_raw="101", temp="200"),
    ]
    state = parse(report(ams={"ams": units}), version=version)
    summary = [
        (u.unit, u.model, u.serial, u.humidity, u.humidity_level, u.temperature)
        for u in state.ams_units
    ]
    assert summary == [
        (0, "AMS 2 Pro", "S", 23, 4, 24.7),
        (1, "AMS", None, 23, 4, 24.7),
        (2, "AMS 2 Pro", None, 23, 4, 24.7),
        (3, "AMS HT", None, 23, 4, 24.7),
        (4, "AMS lite", None, None, None, None),
        (5, "AMS", None, 23, 4, 24.7),
        (128, "AMS HT", None, None, None, None),
    ]
    a1 = parse(report(ams={"ams": [unit()]}), model=A1, version=None)
    assert a1.ams_units[0].model == "AMS lite"
    assert a1.ams_units[0].humidity_level is None
    unknown = parse(report(ams={"ams": [unit()]}), model=None, version=None)
    assert unknown.ams_units[0].model == "AMS"


def test_external_spool_sources() -> None:
    vt_tray = {"id": "254", "tray_type": "PLA", "tray_color": "FFFFFFFF", "remain": 0}
    legacy = parse(report(vt_tray=vt_tray, ams={"tray_now": "254"}))
    assert legacy.external_spool is not None
    assert legacy.external_spool.key == "external"
    assert legacy.external_spool.remaining is None  # the holder cannot measure it
    assert legacy.external_spool.active
    assert legacy.active_filament == legacy.external_spool
    vir_slot = [
        {"id": "254", "tray_type": "PETG"},
        {"id": "255", "tray_type": "TPU", "tray_color": "9B9EA0FF"},
    ]
    newer = parse(report(vir_slot=vir_slot, vt_tray={"id": "255", "tray_type": "PLA"}))
    assert newer.external_spool is not None
    assert newer.external_spool.material == "TPU"
    assert not newer.external_spool.active
    only_left = parse(report(vir_slot=[{"id": "254", "tray_type": "PETG"}]))
    assert only_left.external_spool is None
    assert parse(report(vt_tray="x")).external_spool is None
    empty = parse(report(vt_tray={"id": "254", "tray_type": ""}))
    assert empty.external_spool is not None
    assert empty.external_spool.empty


def test_garbage_everywhere_never_raises() -> None:
    diag = ParseDiagnostics()
    garbage: dict[str, Any] = {
        "gcode_state": [1],
        "mc_percent": {"a": 1},
        "mc_remaining_time": "nan",
        "layer_num": math.inf,
        "nozzle_temper": "x",
        "bed_temper": None,
        "chamber_temper": [],
        "cooling_fan_speed": {},
        "spd_lvl": "fast",
        "spd_mag": -1,
        "wifi_signal": {},
        "home_flag": "x",
        "stat": 1.5,
        "fun": [],
        "stg_cur": {},
        "hms": {"attr": 1},
        "print_error": [],
        "ams": [1, 2],
        "vt_tray": [],
        "vir_slot": {},
        "lights_report": {},
        "ipcam": [],
        "device": [1],
        "gcode_start_time": "soon",
        "subtask_name": 5,
        "task_id": 1.5,
    }
    state = parse(garbage, diagnostics=diag)
    assert state.status is PrinterStatus.IDLE
    assert state.progress is None
    assert sum(diag.counters.values()) > 10
    assert parse({}, model=None, version=None) == PrinterState(extra=state.extra)
