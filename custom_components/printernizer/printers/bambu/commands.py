"""Builders of Bambu Lab local-MQTT request payloads (see ``protocol/commands.md``).

Every request is a one-key JSON object whose key is the namespace (``print``, ``pushing``,
``info``, ``system``); inside it ``command`` selects the action and ``sequence_id`` is a string
that Bambu Studio increments per request. The printer echoes the request on the report topic
with ``result``/``reason`` added, which is how :class:`..client.BambuClient` matches
acknowledgements to requests. These functions are pure: they build dicts and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
import itertools
from typing import Any, Final, Literal
import urllib.parse

from custom_components.printernizer.printers.model import SpeedProfile

type Payload = dict[str, dict[str, Any]]

NAMESPACE_PRINT: Final = "print"
NAMESPACE_PUSHING: Final = "pushing"
NAMESPACE_INFO: Final = "info"
NAMESPACE_SYSTEM: Final = "system"

# Bambu's `spd_lvl` levels; `print_speed` takes the level as a string.
SPEED_LEVELS: Final[dict[SpeedProfile, int]] = {
    SpeedProfile.SILENT: 1,
    SpeedProfile.STANDARD: 2,
    SpeedProfile.SPORT: 3,
    SpeedProfile.LUDICROUS: 4,
}

type LightNode = Literal["chamber_light", "chamber_light2", "work_light", "heatbed_light"]
type LightMode = Literal["on", "off", "flashing"]
LIGHT_NODES: Final = ("chamber_light", "chamber_light2", "work_light", "heatbed_light")
LIGHT_MODES: Final = ("on", "off", "flashing")

MAX_NOZZLE_TEMPERATURE: Final = 350
MAX_BED_TEMPERATURE: Final = 120


class SequenceCounter:
    """Produces increasing string sequence ids, as Bambu Studio does."""

    def __init__(self, start: int = 1) -> None:
        """Start counting at ``start``."""
        self._counter = itertools.count(start)

    def next(self) -> str:
        """Return the next sequence id."""
        return str(next(self._counter))


_DEFAULT_SEQUENCE: Final = SequenceCounter()


def _seq(sequence_id: str | None) -> str:
    return sequence_id if sequence_id is not None else _DEFAULT_SEQUENCE.next()


def command_key(payload: dict[str, Any]) -> tuple[str, str, str] | None:
    """Return ``(namespace, command, sequence_id)`` of a request or report, if it has them."""
    if len(payload) != 1:
        # Requests/acks have one namespace key; I13 shows a `user_id` beside it in the wild.
        payload = {k: v for k, v in payload.items() if isinstance(v, dict)}
        if len(payload) != 1:
            return None
    namespace, body = next(iter(payload.items()))
    if not isinstance(body, dict):
        return None
    command = body.get("command")
    sequence_id = body.get("sequence_id")
    if not isinstance(command, str) or sequence_id is None:
        return None
    return namespace, command, str(sequence_id)


def pushall(sequence_id: str | None = None) -> Payload:
    """Ask for a full status object (reply: ``print.push_status`` with ``msg: 0``).

    P1P firmware lags when this is sent often; callers keep it to once per 5 minutes.
    """
    return {
        NAMESPACE_PUSHING: {
            "sequence_id": _seq(sequence_id),
            "command": "pushall",
            "version": 1,
            "push_target": 1,
        }
    }


def start_pushing(sequence_id: str | None = None) -> Payload:
    """Ask the printer to (re)start its periodic status pushes."""
    return {NAMESPACE_PUSHING: {"sequence_id": _seq(sequence_id), "command": "start"}}


def get_version(sequence_id: str | None = None) -> Payload:
    """Ask for firmware/hardware versions of all modules (``info.module[]``)."""
    return {NAMESPACE_INFO: {"sequence_id": _seq(sequence_id), "command": "get_version"}}


def _print_command(command: str, param: str, sequence_id: str | None) -> Payload:
    return {NAMESPACE_PRINT: {"sequence_id": _seq(sequence_id), "command": command, "param": param}}


def pause(sequence_id: str | None = None) -> Payload:
    """Pause the current print (send with QoS 1; ``param`` is always empty)."""
    return _print_command("pause", "", sequence_id)


def resume(sequence_id: str | None = None) -> Payload:
    """Resume a paused print (send with QoS 1)."""
    return _print_command("resume", "", sequence_id)


def stop(sequence_id: str | None = None) -> Payload:
    """Cancel the current print (send with QoS 1); the printer reports FAILED/0300400C after."""
    return _print_command("stop", "", sequence_id)


def print_speed(profile: SpeedProfile | int, sequence_id: str | None = None) -> Payload:
    """Set the speed level; the printer wants the level 1-4 as a string."""
    level = SPEED_LEVELS[profile] if isinstance(profile, SpeedProfile) else int(profile)
    if level not in SPEED_LEVELS.values():
        raise ValueError(f"speed level must be 1-4, not {profile!r}")
    return _print_command("print_speed", str(level), sequence_id)


def ledctrl(
    node: LightNode,
    mode: LightMode,
    *,
    on_time: int = 500,
    off_time: int = 500,
    loop_times: int = 0,
    interval_time: int = 0,
    sequence_id: str | None = None,
) -> Payload:
    """Switch a light; the four timing fields only matter when flashing but must be present."""
    if node not in LIGHT_NODES:
        raise ValueError(f"unknown light node {node!r}")
    if mode not in LIGHT_MODES:
        raise ValueError(f"unknown light mode {mode!r}")
    return {
        NAMESPACE_SYSTEM: {
            "sequence_id": _seq(sequence_id),
            "command": "ledctrl",
            "led_node": node,
            "led_mode": mode,
            "led_on_time": on_time,
            "led_off_time": off_time,
            "loop_times": loop_times,
            "interval_time": interval_time,
        }
    }


def gcode_line(gcode: str | Sequence[str], sequence_id: str | None = None) -> Payload:
    """Run raw G-code; several lines are joined by newlines and the text ends with one."""
    lines = [gcode] if isinstance(gcode, str) else list(gcode)
    text = "".join(line if line.endswith("\n") else f"{line}\n" for line in lines if line.strip())
    if not text:
        raise ValueError("no G-code to send")
    return _print_command("gcode_line", text, sequence_id)


def _temperature(value: float, maximum: int, what: str) -> int:
    temperature = round(value)
    if not 0 <= temperature <= maximum:
        raise ValueError(f"{what} temperature must be 0-{maximum} °C, not {value}")
    return temperature


def set_nozzle_temperature(celsius: float, sequence_id: str | None = None) -> Payload:
    """Set the nozzle target via ``M104`` (older and current firmware accept it)."""
    return gcode_line(
        f"M104 S{_temperature(celsius, MAX_NOZZLE_TEMPERATURE, 'nozzle')}", sequence_id
    )


def set_bed_temperature(celsius: float, sequence_id: str | None = None) -> Payload:
    """Set the bed target via ``M140``."""
    return gcode_line(f"M140 S{_temperature(celsius, MAX_BED_TEMPERATURE, 'bed')}", sequence_id)


def project_file(
    file: str,
    *,
    plate: int = 1,
    use_ams: bool = False,
    ams_mapping: Sequence[int] | None = None,
    bed_levelling: bool = True,
    flow_calibration: bool = True,
    vibration_calibration: bool = True,
    layer_inspect: bool = False,
    timelapse: bool = False,
    bed_type: str = "auto",
    url: str | None = None,
    subtask_name: str | None = None,
    md5: str = "",
    sequence_id: str | None = None,
) -> Payload:
    """Start printing a ``.3mf`` already on the printer's storage.

    ``file`` is the path on the printer (e.g. ``model.3mf`` or ``cache/model.3mf``); ``url``
    defaults to ``ftp:///<file>``. The levelling flag is sent under both spellings seen in the
    sources (``bed_leveling`` as Bambu Studio, ``bed_levelling`` as OpenBambuAPI).
    """
    if plate < 1:
        raise ValueError("plate numbers start at 1")
    path = file.lstrip("/")
    if not path:
        raise ValueError("no file to print")
    if url is None:
        url = f"ftp:///{urllib.parse.quote(path)}"
    name = subtask_name if subtask_name is not None else path.rsplit("/", 1)[-1]
    name = name.removesuffix(".3mf").removesuffix(".gcode")
    mapping = list(ams_mapping) if ams_mapping is not None else []
    if any(slot < -1 for slot in mapping):
        raise ValueError("AMS mapping entries are slot numbers or -1 (unused)")
    return {
        NAMESPACE_PRINT: {
            "sequence_id": _seq(sequence_id),
            "command": "project_file",
            "param": f"Metadata/plate_{plate}.gcode",
            "project_id": "0",
            "profile_id": "0",
            "task_id": "0",
            "subtask_id": "0",
            "subtask_name": name,
            "file": path,
            "url": url,
            "md5": md5,
            "timelapse": timelapse,
            "bed_type": bed_type,
            "bed_leveling": bed_levelling,
            "bed_levelling": bed_levelling,
            "flow_cali": flow_calibration,
            "vibration_cali": vibration_calibration,
            "layer_inspect": layer_inspect,
            "use_ams": use_ams,
            "ams_mapping": mapping,
        }
    }
