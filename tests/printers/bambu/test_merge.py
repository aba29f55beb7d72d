"""Merging full and delta ``print`` objects into one state."""

from __future__ import annotations

import types
from typing import Any

import pytest

from custom_components.printernizer.printers.bambu.merge import (
    PushKind,
    classify,
    copy_json,
    merge_print,
    merge_value,
)


def full(**extra: Any) -> dict[str, Any]:
    """Return a small full report."""
    report: dict[str, Any] = {
        "command": "push_status",
        "msg": 0,
        "gcode_state": "IDLE",
        "mc_percent": 0,
        "nozzle_temper": 20.0,
        "bed_temper": 20.0,
        "hms": [],
        "ams": {
            "ams": [
                {
                    "id": "0",
                    "humidity": "4",
                    "tray": [
                        {"id": "0", "tray_type": "PLA", "tray_color": "FF0000FF", "remain": 50},
                        {"id": "1"},
                    ],
                }
            ],
            "tray_now": "255",
        },
        "lights_report": [{"node": "chamber_light", "mode": "on"}],
    }
    report.update(extra)
    return report


@pytest.mark.parametrize(
    ("incoming", "kind"),
    [
        (full(), PushKind.FULL),
        ({**full(), "msg": 1}, PushKind.DELTA),
        ({k: v for k, v in full().items() if k != "msg"}, PushKind.FULL),
        ({"command": "push_status", "bed_temper": 30}, PushKind.DELTA),
        ({"home_flag": 1}, PushKind.DELTA),
        ({"command": "print_speed", "param": "3", "result": "success"}, PushKind.IGNORED),
        ({"command": "project_file", "subtask_name": "echo"}, PushKind.IGNORED),
        ("garbage", PushKind.IGNORED),
        (None, PushKind.IGNORED),
        ([1, 2], PushKind.IGNORED),
    ],
)
def test_classify(incoming: object, kind: PushKind) -> None:
    assert classify(incoming) is kind


def test_full_push_replaces_state_and_does_not_alias() -> None:
    state: dict[str, Any] = {"stale": True, "gcode_state": "RUNNING"}
    incoming = full()
    assert merge_print(state, incoming) is PushKind.FULL
    assert "stale" not in state
    assert state == incoming
    incoming["ams"]["ams"][0]["tray"][0]["remain"] = 1
    assert state["ams"]["ams"][0]["tray"][0]["remain"] == 50


def test_ack_leaves_state_alone() -> None:
    state = copy_json(full())
    before = copy_json(state)
    ack = {"command": "print_speed", "param": "3", "sequence_id": "1", "result": "success"}
    assert merge_print(state, ack) is PushKind.IGNORED
    assert merge_print(state, "not an object") is PushKind.IGNORED
    assert state == before


def test_delta_merges_nested_objects() -> None:
    state = copy_json(full(upgrade_state={"status": "IDLE", "progress": "0"}))
    merge_print(state, {"msg": 1, "upgrade_state": {"progress": "5"}, "bed_temper": 55})
    assert state["upgrade_state"] == {"status": "IDLE", "progress": "5"}
    assert state["bed_temper"] == 55
    assert state["gcode_state"] == "IDLE"


def test_delta_merges_trays_by_id_and_empties_removed_spools() -> None:
    state = copy_json(full())
    merge_print(
        state,
        {
            "msg": 1,
            "ams": {
                "tray_now": "0",
                "ams": [
                    {
                        "id": "0",
                        "humidity": "3",
                        "tray": [
                            {"id": "0", "remain": 40},
                            {"id": "1", "tray_type": "PETG", "tray_color": "00FF00FF"},
                            {"id": "2", "tray_type": "ABS"},
                            "garbage",
                            {"no_id": True},
                        ],
                    }
                ],
            },
        },
    )
    unit = state["ams"]["ams"][0]
    assert state["ams"]["tray_now"] == "0"
    assert unit["humidity"] == "3"
    assert unit["tray"] == [
        {"id": "0", "tray_type": "PLA", "tray_color": "FF0000FF", "remain": 40},
        {"id": "1", "tray_type": "PETG", "tray_color": "00FF00FF"},
        {"id": "2", "tray_type": "ABS"},
    ]
    # A tray pushed with only id/state means the spool is gone: no stale details remain.
    merge_print(
        state, {"msg": 1, "ams": {"ams": [{"id": "0", "tray": [{"id": "0", "state": 10}]}]}}
    )
    assert unit["tray"][0] == {"id": "0", "state": 10}


def test_delta_adds_new_units_and_skips_garbage_units() -> None:
    state = copy_json(full())
    merge_print(
        state,
        {"msg": 1, "ams": {"ams": [{"id": "128", "tray": [{"id": "0"}]}, "x", {"temp": "1"}]}},
    )
    assert [unit["id"] for unit in state["ams"]["ams"]] == ["0", "128"]
    merge_print(state, {"msg": 1, "ams": {"ams": [{"id": 128, "temp": "40.0"}]}})
    assert state["ams"]["ams"][1] == {"id": 128, "tray": [{"id": "0"}], "temp": "40.0"}


def test_delta_replaces_tray_list_of_other_shape() -> None:
    state = copy_json(full())
    merge_print(state, {"msg": 1, "ams": {"ams": [{"id": "0", "tray": "broken"}]}})
    assert state["ams"]["ams"][0]["tray"] == "broken"
    merge_print(state, {"msg": 1, "ams": {"ams": [{"id": "0", "tray": [{"id": "3"}]}]}})
    assert state["ams"]["ams"][0]["tray"] == [{"id": "3"}]


def test_ams_into_state_without_ams_or_with_garbage() -> None:
    state: dict[str, Any] = {"ams": "broken"}
    merge_print(state, {"msg": 1, "ams": {"ams": [{"id": "0"}]}})
    assert state["ams"] == {"ams": [{"id": "0"}]}
    state = {"ams": {"ams": "broken"}}
    merge_print(state, {"msg": 1, "ams": {"ams": [{"id": "0"}]}})
    assert state["ams"] == {"ams": [{"id": "0"}]}


def test_hms_is_replaced_not_appended() -> None:
    state = copy_json(full(hms=[{"attr": 1, "code": 2}]))
    merge_print(state, {"msg": 1, "hms": [{"attr": 3, "code": 4}]})
    assert state["hms"] == [{"attr": 3, "code": 4}]
    merge_print(state, {"msg": 1, "hms": []})
    assert state["hms"] == []


def test_lights_are_merged_by_node() -> None:
    state = copy_json(full())
    merge_print(
        state,
        {
            "msg": 1,
            "lights_report": [
                {"node": "work_light", "mode": "flashing"},
                {"node": "chamber_light", "mode": "off"},
                {"mode": "on"},
            ],
        },
    )
    assert state["lights_report"] == [
        {"node": "chamber_light", "mode": "off"},
        {"node": "work_light", "mode": "flashing"},
    ]
    state["lights_report"] = "broken"
    merge_print(state, {"msg": 1, "lights_report": [{"node": "chamber_light", "mode": "on"}]})
    assert state["lights_report"] == [{"node": "chamber_light", "mode": "on"}]


def test_device_lists_are_merged_by_id() -> None:
    state: dict[str, Any] = {
        "device": {
            "extruder": {
                "state": 2,
                "info": [{"id": 0, "temp": 1, "snow": 3}, {"id": 1, "temp": 2}],
            },
            "nozzle": {"info": [{"id": 0, "type": "HS01"}, {"id": 1, "type": "HH01"}]},
        }
    }
    merge_print(
        state,
        {
            "device": {
                "extruder": {"state": 274, "info": [{"id": 1, "temp": 40}]},
                "nozzle": {"info": [{"id": 0, "type": "HS00", "diameter": 0.2}]},
            }
        },
    )
    assert state["device"] == {
        "extruder": {
            "state": 274,
            "info": [{"id": 0, "temp": 1, "snow": 3}, {"id": 1, "temp": 40}],
        },
        "nozzle": {"info": [{"id": 0, "type": "HS00", "diameter": 0.2}, {"id": 1, "type": "HH01"}]},
    }


def test_copy_json_handles_other_containers() -> None:
    class Tags(list[Any]):
        pass

    mapping = {"a": Tags([{"b": (1, 2)}])}
    copied = copy_json(types.MappingProxyType(mapping))
    assert copied == {"a": [{"b": (1, 2)}]}
    assert type(copied) is dict
    assert type(copied["a"]) is list


def test_merge_value_type_changes_and_plain_lists() -> None:
    # X1 firmware sends device.nozzle.info as a number, H2 as a list: the new shape wins.
    assert merge_value({"info": 7}, {"info": [{"id": 0}]}) == {"info": [{"id": 0}]}
    assert merge_value([{"id": 0}], 5) == 5
    assert merge_value(5, {"a": 1}) == {"a": 1}
    assert merge_value([1, 2, 3], [4]) == [4]
    assert merge_value([], [{"id": 1}]) == [{"id": 1}]
    assert merge_value([{"id": 1}], [{"id": 1}, {"x": 1}]) == [{"id": 1}, {"x": 1}]


def test_keyed_merge_ignores_entries_without_key() -> None:
    old: list[Any] = [{"node": "a", "mode": "on"}, "junk"]
    state: dict[str, Any] = {"lights_report": old}
    merge_print(state, {"lights_report": [{"node": "b", "mode": "off"}]})
    assert state["lights_report"] == [
        {"node": "a", "mode": "on"},
        "junk",
        {"node": "b", "mode": "off"},
    ]
