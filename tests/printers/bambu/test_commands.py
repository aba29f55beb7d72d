"""Request payload builders."""

from __future__ import annotations

import pytest

from custom_components.printernizer.printers.bambu import commands
from custom_components.printernizer.printers.model import SpeedProfile


def test_sequence_ids_increment_as_strings() -> None:
    """Default sequence ids are increasing strings; explicit ones are kept."""
    first = commands.pushall()["pushing"]["sequence_id"]
    second = commands.pushall()["pushing"]["sequence_id"]
    assert isinstance(first, str)
    assert int(second) == int(first) + 1
    assert commands.get_version("7")["info"]["sequence_id"] == "7"
    counter = commands.SequenceCounter(41)
    assert [counter.next(), counter.next()] == ["41", "42"]


def test_pushall_start_version() -> None:
    """Shapes of the status requests."""
    assert commands.pushall("1") == {
        "pushing": {"sequence_id": "1", "command": "pushall", "version": 1, "push_target": 1}
    }
    assert commands.start_pushing("2") == {"pushing": {"sequence_id": "2", "command": "start"}}
    assert commands.get_version("3") == {"info": {"sequence_id": "3", "command": "get_version"}}


@pytest.mark.parametrize(
    ("builder", "command"),
    [(commands.pause, "pause"), (commands.resume, "resume"), (commands.stop, "stop")],
)
def test_job_control(builder: object, command: str) -> None:
    """pause/resume/stop carry an empty param."""
    assert builder("5") == {"print": {"sequence_id": "5", "command": command, "param": ""}}  # type: ignore[operator]


def test_print_speed() -> None:
    """The level is sent as a string."""
    assert commands.print_speed(SpeedProfile.SILENT, "1")["print"]["param"] == "1"
    assert commands.print_speed(SpeedProfile.LUDICROUS)["print"]["param"] == "4"
    assert commands.print_speed(3)["print"]["param"] == "3"
    with pytest.raises(ValueError):
        commands.print_speed(5)


def test_ledctrl() -> None:
    """All timing fields are always present."""
    body = commands.ledctrl(
        "chamber_light2",
        "flashing",
        on_time=100,
        off_time=200,
        loop_times=3,
        interval_time=400,
        sequence_id="9",
    )["system"]
    assert body == {
        "sequence_id": "9",
        "command": "ledctrl",
        "led_node": "chamber_light2",
        "led_mode": "flashing",
        "led_on_time": 100,
        "led_off_time": 200,
        "loop_times": 3,
        "interval_time": 400,
    }
    assert commands.ledctrl("work_light", "off")["system"]["led_mode"] == "off"
    with pytest.raises(ValueError):
        commands.ledctrl("laser", "on")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        commands.ledctrl("chamber_light", "blink")  # type: ignore[arg-type]


def test_gcode_and_temperatures() -> None:
    """G-code lines end with a newline; temperatures use M104/M140."""
    assert commands.gcode_line("G28")["print"]["param"] == "G28\n"
    assert commands.gcode_line(["G28", "M400\n", " "])["print"]["param"] == "G28\nM400\n"
    assert commands.set_nozzle_temperature(219.6)["print"]["param"] == "M104 S220\n"
    assert commands.set_bed_temperature(60)["print"]["param"] == "M140 S60\n"
    with pytest.raises(ValueError):
        commands.gcode_line("  ")
    with pytest.raises(ValueError):
        commands.set_nozzle_temperature(400)
    with pytest.raises(ValueError):
        commands.set_bed_temperature(-1)


def test_project_file() -> None:
    """Plate, AMS mapping, levelling, timelapse, bed type, url."""
    body = commands.project_file(
        "/cache/My Part.3mf",
        plate=3,
        use_ams=True,
        ams_mapping=[-1, 2],
        bed_levelling=False,
        timelapse=True,
        bed_type="textured_plate",
        sequence_id="11",
    )["print"]
    assert body["command"] == "project_file"
    assert body["param"] == "Metadata/plate_3.gcode"
    assert body["url"] == "ftp:///cache/My%20Part.3mf"
    assert body["file"] == "cache/My Part.3mf"
    assert body["subtask_name"] == "My Part"
    assert body["use_ams"] is True
    assert body["ams_mapping"] == [-1, 2]
    assert body["bed_leveling"] is False
    assert body["bed_levelling"] is False
    assert body["timelapse"] is True
    assert body["bed_type"] == "textured_plate"
    assert body["sequence_id"] == "11"
    assert body["project_id"] == body["task_id"] == "0"
    other = commands.project_file("a.3mf", url="file:///mnt/sdcard/a.3mf", subtask_name="X")[
        "print"
    ]
    assert other["url"] == "file:///mnt/sdcard/a.3mf"
    assert other["subtask_name"] == "X"
    assert other["ams_mapping"] == []
    for kwargs in ({"plate": 0}, {"ams_mapping": [-2]}):
        with pytest.raises(ValueError):
            commands.project_file("a.3mf", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        commands.project_file("/")


def test_command_key() -> None:
    """Acks are matched on namespace, command and sequence id."""
    assert commands.command_key({"print": {"command": "pause", "sequence_id": 5}}) == (
        "print",
        "pause",
        "5",
    )
    assert commands.command_key(
        {"print": {"command": "pause", "sequence_id": "5"}, "user_id": "1"}
    ) == ("print", "pause", "5")
    assert commands.command_key({"print": {"command": "pause"}}) is None
    assert commands.command_key({"print": "x"}) is None
    assert commands.command_key({"a": {}, "b": {}}) is None
