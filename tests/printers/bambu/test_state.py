"""The state tracker: message routing, deltas on top of full reports, diagnostics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

import pytest

from custom_components.printernizer.printers.bambu import state as state_module
from custom_components.printernizer.printers.bambu.hms import HmsTexts
from custom_components.printernizer.printers.bambu.merge import copy_json
from custom_components.printernizer.printers.bambu.state import BambuStateTracker
from custom_components.printernizer.printers.model import Capability, PrinterState, PrinterStatus
from tests.shared import SHARED_PROTOCOL, load_capture, requires_shared, shared_files

BAMBU: Final = SHARED_PROTOCOL / "bambu"
H2D_SERIAL: Final = "09400A000000001"


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        """Start at a fixed time."""
        self.now = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        """Return the current time."""
        return self.now


def full(**values: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "command": "push_status",
        "msg": 0,
        "gcode_state": "RUNNING",
        "mc_percent": 10,
        "mc_remaining_time": 60,
        "nozzle_temper": 220,
        "bed_temper": 60,
        "hms": [],
        "ams": {"ams": [], "tray_now": "255"},
        "subtask_name": "part",
        "subtask_id": "7",
    }
    report.update(values)
    return {"print": report}


def version(product: str = "Bambu Lab X1-Carbon", firmware: str = "01.09.00.01") -> dict[str, Any]:
    return {
        "info": {
            "command": "get_version",
            "module": [{"name": "ota", "product_name": product, "sw_ver": firmware}],
        }
    }


def test_initial_state_from_serial() -> None:
    tracker = BambuStateTracker(H2D_SERIAL)
    assert tracker.state == PrinterState()
    assert tracker.info.model_id == "H2D"
    assert tracker.model is not None
    assert tracker.model.model_id == "H2D"
    assert tracker.version is None
    assert tracker.raw == {}
    assert tracker.hms_texts is None


def test_full_then_delta_then_ack() -> None:
    clock = Clock()
    tracker = BambuStateTracker("SERIAL", clock=clock)
    assert tracker.apply(full())
    assert tracker.state.status is PrinterStatus.PRINTING
    assert tracker.state.job_end == clock.now + timedelta(minutes=60)
    # Same report again, 30 s later: nothing changes (end time kept).
    clock.now += timedelta(seconds=30)
    assert not tracker.apply(full())
    assert tracker.apply({"print": {"command": "push_status", "msg": 1, "mc_percent": 11}})
    assert tracker.state.progress == 11
    assert tracker.state.file == "part"
    ack = {
        "print": {"command": "print_speed", "param": "3", "sequence_id": "1", "result": "success"}
    }
    assert not tracker.apply(ack)
    assert tracker.raw["mc_percent"] == 11
    assert "param" not in tracker.raw
    assert tracker.diagnostics()["messages"] == {
        "print_delta": 1,
        "print_full": 2,
        "print_ignored": 1,
    }


@pytest.mark.parametrize(
    "message",
    [None, "x", [], {"system": {"command": "ledctrl", "result": "success"}}, {"info": "x"}],
)
def test_other_messages_are_ignored(message: object) -> None:
    tracker = BambuStateTracker("SERIAL")
    assert not tracker.apply(message)
    assert tracker.state == PrinterState()


def test_version_before_and_after_reports() -> None:
    tracker = BambuStateTracker("SERIAL")
    assert tracker.info.model_id is None
    assert tracker.apply(version())
    assert tracker.info.model_id == "X1C"
    assert tracker.info.firmware == "01.09.00.01"
    assert not tracker.apply(version())  # same reply: nothing new
    assert tracker.apply(full(chamber_temper=30, home_flag=0x00800000))
    assert tracker.state.chamber_temperature == 30
    assert tracker.state.door_open is True
    # An A1 has neither a chamber sensor nor a door: a new reply re-parses the state.
    assert tracker.apply(version("Bambu Lab A1", "01.05.00.00"))
    assert tracker.state.chamber_temperature is None
    assert tracker.state.door_open is None
    assert tracker.diagnostics()["model"] == "A1"
    assert tracker.diagnostics()["firmware"] == "01.05.00.00"


def test_ams_capability_follows_reports() -> None:
    tracker = BambuStateTracker("SERIAL")
    assert Capability.AMS not in tracker.info.capabilities
    assert tracker.apply(full(ams={"ams": [{"id": "0", "tray": []}]}))
    assert Capability.AMS in tracker.info.capabilities
    assert tracker.apply(full(ams={"ams": []}))
    assert Capability.AMS not in tracker.info.capabilities


def test_filament_is_rebuilt_only_when_its_inputs_change() -> None:
    tray = {"id": "0", "tray_type": "PLA", "tray_color": "FF0000FF", "remain": 50}
    tracker = BambuStateTracker("SERIAL")
    tracker.apply(full(ams={"ams": [{"id": "0", "tray": [tray]}], "tray_now": "255"}))
    units = tracker.state.ams_units
    assert tracker.apply({"print": {"msg": 1, "mc_percent": 50}})
    assert tracker.state.ams_units is units  # reused, not rebuilt
    assert tracker.apply(
        {"print": {"msg": 1, "ams": {"ams": [{"id": "0", "tray": [{"id": "0", "remain": 40}]}]}}}
    )
    assert tracker.state.ams_units[0].slots[0].remaining == 40
    assert tracker.apply({"print": {"msg": 1, "ams": {"tray_now": "0"}}})
    assert tracker.state.active_slot == "ams0_tray0"
    assert tracker.state.ams_units[0].slots[0].active
    # A get_version reply listing the unit as an AMS 2 Pro changes its kind.
    reply = version()
    reply["info"]["module"].append({"name": "n3f/0", "sn": "S1", "sw_ver": "1"})
    assert tracker.apply(reply)
    assert tracker.state.ams_units[0].model == "AMS 2 Pro"
    assert tracker.state.ams_units[0].serial == "S1"
    # A full push with the same AMS content reuses the result.
    units = tracker.state.ams_units
    tracker.apply(full(ams=copy_json(tracker.raw["ams"])))
    assert tracker.state.ams_units is units


def test_hms_texts_apply_immediately() -> None:
    tracker = BambuStateTracker("SERIAL")
    tracker.hms_texts = HmsTexts(hms={"0C00030000030007": "ignored before a report"})
    tracker.apply(full(hms=[{"attr": 201327360, "code": 196615}]))
    assert tracker.state.errors[0].text == "ignored before a report"
    tracker.hms_texts = HmsTexts(lang="de", hms={"0C00030000030007": "Erste Schicht"})
    assert tracker.state.errors[0].text == "Erste Schicht"
    assert tracker.diagnostics()["hms_texts"] == {"lang": "de", "hms": 1}


def test_parse_failure_is_contained(monkeypatch: pytest.MonkeyPatch) -> None:
    tracker = BambuStateTracker("SERIAL")

    def boom(*args: object) -> PrinterState:
        raise RuntimeError("bug")

    monkeypatch.setattr(state_module, "parse_state", boom)
    assert not tracker.apply(full())
    assert tracker.state == PrinterState()
    assert tracker.diagnostics()["dropped_values"] == {"parse_failure": 1}


def test_delta_parse_failure_is_contained(monkeypatch: pytest.MonkeyPatch) -> None:
    tracker = BambuStateTracker("SERIAL")
    assert tracker.apply(full(nozzle_temper=200))
    before = tracker.state

    def boom(*args: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(state_module, "parse_delta", boom)
    assert not tracker.apply({"print": {"command": "push_status", "msg": 1, "nozzle_temper": 210}})
    assert tracker.state is before
    assert tracker.diagnostics()["dropped_values"] == {"parse_failure": 1}


def test_diagnostics_shape() -> None:
    tracker = BambuStateTracker("SERIAL")
    tracker.apply(full(mc_percent="x"))
    assert tracker.diagnostics() == {
        "model": None,
        "firmware": None,
        "messages": {"print_full": 1},
        "dropped_values": {"mc_percent": 1},
        "hms_texts": None,
        "report_keys": 11,
    }


# --- the saved delta fragments, on top of the H2D report they were taken from ------------------


def h2d_tracker() -> BambuStateTracker:
    tracker = BambuStateTracker(H2D_SERIAL)
    info = load_capture(BAMBU / "info" / "h2d_get_version__ha-bambulab_H2D.info-object.json")
    tracker.apply({"info": info})
    report = load_capture(BAMBU / "report" / "h2d_running__ha-bambulab_H2D.print-object.json")
    tracker.apply({"print": report})
    return tracker


def fragment(name: str) -> dict[str, Any]:
    return {"print": load_capture(BAMBU / "delta" / f"{name}__ha-bambulab_H2D.fragment.json")}


def mc_print(name: str) -> Any:
    return load_capture(BAMBU / "delta" / f"mc_print_push_info_{name}__OpenBambuAPI_mqtt.md.json")


@requires_shared
def test_every_delta_file_is_covered() -> None:
    assert {path.name for path in shared_files("bambu/delta")} == {
        "h2d_home_flag_door_closed__ha-bambulab_H2D.fragment.json",
        "h2d_home_flag_door_opened__ha-bambulab_H2D.fragment.json",
        "h2d_left_extruder_active__ha-bambulab_H2D.fragment.json",
        "h2d_nozzle_info__ha-bambulab_H2D.fragment.json",
        "h2d_stat_door_closed__ha-bambulab_H2D.fragment.json",
        "h2d_stat_door_opened__ha-bambulab_H2D.fragment.json",
        "mc_print_push_info_M900_template__OpenBambuAPI_mqtt.md.json",
        "mc_print_push_info_ams_humidity__OpenBambuAPI_mqtt.md.json",
        "mc_print_push_info_gcodeline__OpenBambuAPI_mqtt.md.json",
    }


@requires_shared
def test_h2d_door_from_stat() -> None:
    tracker = h2d_tracker()
    assert tracker.state.door_open is False
    assert tracker.apply(fragment("h2d_stat_door_opened"))  # stat 46A58008
    assert tracker.raw["stat"] == "46A58008"
    assert tracker.state.door_open is True
    assert tracker.apply(fragment("h2d_stat_door_closed"))  # stat 46258008
    assert tracker.state.door_open is False


@requires_shared
def test_h2d_ignores_home_flag_door_bit() -> None:
    tracker = h2d_tracker()
    before = tracker.state
    assert not tracker.apply(fragment("h2d_home_flag_door_opened"))
    assert tracker.raw["home_flag"] == -1058546177
    assert tracker.state.door_open is False
    assert tracker.state == before
    assert not tracker.apply(fragment("h2d_home_flag_door_closed"))
    assert tracker.raw["home_flag"] == -1066934785
    assert tracker.state.door_open is False


@requires_shared
def test_h2d_left_extruder_becomes_active() -> None:
    tracker = h2d_tracker()
    assert tracker.state.extra["active_extruder"] == 0
    assert (tracker.state.nozzle_temperature, tracker.state.nozzle_target_temperature) == (264, 225)
    assert tracker.state.active_slot == "ams128_tray0"
    assert tracker.apply(fragment("h2d_left_extruder_active"))  # device.extruder.state 274
    state = tracker.state
    assert state.extra["active_extruder"] == 1
    # Left extruder (info id 1): temp 40 packed with target 0, snow 0xFEFF = nothing loaded.
    assert (state.nozzle_temperature, state.nozzle_target_temperature) == (40, 0)
    assert state.active_slot is None
    assert tracker.raw["device"]["extruder"]["info"][0]["snow"] == 32768  # merged, not replaced
    assert state.extra["nozzle_type"] == "HH01"


@requires_shared
def test_h2d_nozzle_info_fragment() -> None:
    tracker = h2d_tracker()
    assert (tracker.state.extra["nozzle_diameter"], tracker.state.extra["nozzle_type"]) == (
        0.4,
        "HS01",
    )
    tracker.apply(fragment("h2d_nozzle_info"))
    # Right nozzle (id 0, active) now 0.2 HS00; left 0.6 HX05; other device data kept.
    assert (tracker.state.extra["nozzle_diameter"], tracker.state.extra["nozzle_type"]) == (
        0.2,
        "HS00",
    )
    nozzles = tracker.raw["device"]["nozzle"]["info"]
    assert [(n["id"], n["diameter"], n["type"]) for n in nozzles] == [
        (0, 0.2, "HS00"),
        (1, 0.6, "HX05"),
    ]
    assert tracker.raw["device"]["ctc"]["info"]["temp"] == 3932208
    assert tracker.state.chamber_temperature == 48


@requires_shared
@pytest.mark.parametrize("name", ["M900_template", "ams_humidity", "gcodeline"])
def test_mc_print_log_lines_are_not_state(name: str) -> None:
    tracker = h2d_tracker()
    before = tracker.state
    message = mc_print(name)
    assert message["mc_print"]["command"] == "push_info"
    assert not tracker.apply(message)
    assert tracker.state == before
    assert tracker.diagnostics()["messages"]["other"] == 1


@requires_shared
def test_upgrade_history_reply_is_ignored() -> None:
    tracker = h2d_tracker()
    info = tracker.info
    reply = load_capture(BAMBU / "info" / "upgrade_get_history__OpenBambuAPI_mqtt.md.json")
    assert not tracker.apply(reply)
    assert tracker.info == info


@requires_shared
@pytest.mark.parametrize("path", shared_files("bambu/report"), ids=lambda path: path.name)
def test_report_as_delta_after_itself_changes_nothing(path: Any) -> None:
    """A delta repeating the full report's values leaves the state as it was."""
    payload = load_capture(path)
    report = payload.get("print", payload)
    clock = Clock()
    tracker = BambuStateTracker("SERIAL", clock=clock)
    tracker.apply({"print": {**report, "msg": 0}})
    before = tracker.state
    clock.now += timedelta(seconds=20)
    assert not tracker.apply({"print": {**report, "msg": 1}})
    assert tracker.state == before
