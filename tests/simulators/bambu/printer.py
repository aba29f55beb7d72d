"""The printer behind the simulated broker: status object, commands, scripted prints.

State is kept as the ``print`` object a printer reports. ``pushall`` answers with all of it
(``msg: 0``); periodic pushes carry only what changed (``msg: 1``) on P1/A1/H2, or everything on
X1. Commands are echoed back with ``result``/``reason`` like a printer acknowledges them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
import itertools
import math
import re
from typing import Any, Final

from .profiles import ModelProfile

GCODE_STATES: Final = ("IDLE", "PREPARE", "RUNNING", "PAUSE", "FINISH", "FAILED")
# print_error the printer reports after a user cancel ("The task was canceled.").
PRINT_ERROR_CANCELLED: Final = 50348044
# A print_error for scripted failures (07FF8012 "Failed to get AMS mapping table").
PRINT_ERROR_FAILED: Final = 134184978
# HMS entry for scripted failures (0300_0D00_0002_0003: build plate not placed properly).
HMS_FAILED: Final = {"attr": 50334976, "code": 131075}
# Authorization firmware rejects unsigned LAN commands with this error.
ERR_UNSIGNED: Final = 84033543
SIGNED_COMMANDS_FUN_BIT: Final = 0x20000000
STAGE_PRINTING: Final = 0
STAGE_HEATBED: Final = 2
STAGE_PAUSED_USER: Final = 16
AMBIENT: Final = 25.0
SPEED_MAGNITUDE: Final = {1: 50, 2: 100, 3: 124, 4: 166}
_GCODE_TEMP = re.compile(r"^\s*(M104|M109|M140|M190|M141)\b.*?\bS(-?\d+(?:\.\d+)?)", re.IGNORECASE)

_AMS_COLOURS: Final = ("FFFFFFFF", "000000FF", "F95959FF", "2850E0FF")
_AMS_MATERIALS: Final = ("PLA", "PLA", "PETG", "ABS")


@dataclass(slots=True)
class PrintJob:
    """A scripted print, advanced one tick at a time."""

    file: str
    plate: int = 1
    layers: int = 50
    prepare_ticks: int = 3
    print_ticks: int = 10
    minutes: int = 90
    tick: int = 0
    task_id: str = "0"


def _tray(index: int, profile: ModelProfile) -> dict[str, Any]:
    colour = _AMS_COLOURS[index % 4]
    material = _AMS_MATERIALS[index % 4]
    return {
        "id": str(index),
        "remain": 100 - 15 * index,
        "tag_uid": "0000000000000000",
        "tray_id_name": "",
        "tray_info_idx": f"GF{'A' if material == 'PLA' else 'G'}0{index}",
        "tray_type": material,
        "tray_sub_brands": "",
        "tray_color": colour,
        "tray_weight": "1000",
        "tray_diameter": "1.75",
        "bed_temp_type": "0",
        "bed_temp": "0",
        "nozzle_temp_max": "240" if material == "PLA" else "270",
        "nozzle_temp_min": "190" if material == "PLA" else "230",
        "cols": [colour],
        "ctype": 0,
        "k": 0.02,
    }


def _ams(profile: ModelProfile) -> dict[str, Any]:
    units = []
    for unit in range(profile.ams_units):
        data: dict[str, Any] = {
            "id": str(unit),
            "humidity": "4",
            "temp": "0.0" if profile.ams_kind == "AMS lite" else "24.5",
            "tray": [_tray(i, profile) for i in range(4)],
        }
        if profile.ams_kind == "AMS 2 Pro":
            data |= {"humidity_raw": "28", "info": "1103", "dry_time": 0}
        units.append(data)
    exist = (1 << profile.ams_units) - 1
    return {
        "ams": units,
        "ams_exist_bits": f"{exist:x}",
        "tray_exist_bits": f"{(1 << (4 * profile.ams_units)) - 1:x}",
        "tray_is_bbl_bits": f"{(1 << (4 * profile.ams_units)) - 1:x}",
        "tray_now": "255",
        "tray_pre": "255",
        "tray_tar": "255",
        "tray_read_done_bits": f"{(1 << (4 * profile.ams_units)) - 1:x}",
        "tray_reading_bits": "0",
        "insert_flag": True,
        "power_on_flag": False,
        "version": 7,
    }


def _pack(target: float, current: float) -> int:
    """H2 packs a temperature as target << 16 | current (whole degrees)."""
    return (round(target) << 16) | (round(current) & 0xFFFF)


class SimulatedPrinter:
    """State and behaviour of one simulated printer."""

    def __init__(self, profile: ModelProfile, serial: str) -> None:
        """Start idle, cold, with lights on and AMS (if any) loaded."""
        self.profile = profile
        self.serial = serial
        self.job: PrintJob | None = None
        self.signed_commands_required = False
        self._push_sequence = itertools.count(1000)
        self._task_ids = itertools.count(100_000_001)
        self._rejections: dict[str, str] = {}
        self.state: dict[str, Any] = self._initial_state()
        self._sent: dict[str, Any] = {}

    # ------------------------------------------------------------------ state

    def _initial_state(self) -> dict[str, Any]:
        profile = self.profile
        state: dict[str, Any] = {
            "command": "push_status",
            "nozzle_temper": AMBIENT,
            "nozzle_target_temper": 0,
            "bed_temper": AMBIENT,
            "bed_target_temper": 0,
            "gcode_state": "IDLE",
            "gcode_file": "",
            "gcode_file_prepare_percent": "0",
            "subtask_name": "",
            "project_id": "0",
            "profile_id": "0",
            "task_id": "0",
            "subtask_id": "0",
            "job_id": "",
            "print_type": "idle",
            "mc_percent": 0,
            "mc_remaining_time": 0,
            "mc_print_stage": "1",
            "mc_print_sub_stage": 0,
            "layer_num": 0,
            "total_layer_num": 0,
            "stg": [],
            "stg_cur": profile.idle_stage,
            "print_error": 0,
            "hms": [],
            "spd_lvl": 2,
            "spd_mag": 100,
            "cooling_fan_speed": "0",
            "heatbreak_fan_speed": "0",
            "big_fan1_speed": "0",
            "big_fan2_speed": "0",
            "fan_gear": 0,
            "wifi_signal": "-52dBm",
            "sdcard": True,
            "home_flag": 0x0101_0000 if profile.door_sensor else 0,
            "hw_switch_state": 1,
            "nozzle_diameter": "0.4",
            "nozzle_type": "hardened_steel",
            "lights_report": [{"node": node, "mode": "on"} for node in profile.lights],
            "ipcam": {
                "ipcam_dev": "1",
                "ipcam_record": "enable",
                "timelapse": "disable",
                "resolution": "1080p",
                "tutk_server": "disable",
                "mode_bits": 2 if profile.camera == "rtsps" else 3,
            },
            "upload": {"status": "idle", "progress": 0, "message": ""},
            "online": {"ahb": False, "rfid": False, "version": 7},
            "upgrade_state": {"status": "IDLE", "progress": "", "new_version_state": 2},
            "vt_tray": {
                "id": "254",
                "tray_type": "PLA" if profile.ams_units == 0 else "",
                "tray_color": "161616FF" if profile.ams_units == 0 else "00000000",
                "tray_info_idx": "GFA00" if profile.ams_units == 0 else "",
                "nozzle_temp_min": "190",
                "nozzle_temp_max": "240",
                "remain": 0,
                "cols": ["161616FF"],
            },
            "s_obj": [],
            "queue_number": 0,
            "lifecycle": "product",
        }
        if profile.camera == "rtsps":
            state["ipcam"]["rtsp_url"] = "rtsps://127.0.0.1:322/streaming/live/1"
        if profile.chamber_temperature and profile.extruders == 1:
            state["chamber_temper"] = AMBIENT
        if profile.ams_units:
            state["ams"] = _ams(profile)
            state["ams_status"] = 0
            state["ams_rfid_status"] = 0
        if profile.extruders > 1:
            state["device"] = self._device_object(state)
            state["chamber_temper"] = AMBIENT
            # Dual-nozzle firmware lists both holders: 255 the right (main) one, 254 the left one.
            state["vir_slot"] = [
                {**state["vt_tray"], "id": "255"},
                {
                    "id": "254",
                    "tray_type": "PETG",
                    "tray_color": "FF6A13FF",
                    "tray_info_idx": "GFG99",
                    "nozzle_temp_min": "220",
                    "nozzle_temp_max": "260",
                    "remain": 0,
                },
            ]
        if profile.door_sensor:
            state["stat"] = "46258008"
        state.update(copy.deepcopy(profile.extra))
        return state

    def _device_object(self, state: dict[str, Any]) -> dict[str, Any]:
        """H2D: per-extruder temperatures and the chamber live in ``device``."""
        nozzle = _pack(state["nozzle_target_temper"], state["nozzle_temper"])
        return {
            "extruder": {
                "state": 2,
                "info": [
                    {"id": index, "temp": nozzle if index == 0 else _pack(0, AMBIENT), "hnow": 0}
                    for index in range(self.profile.extruders)
                ],
            },
            "bed": {"info": {"temp": _pack(state["bed_target_temper"], state["bed_temper"])}},
            "ctc": {"info": {"temp": _pack(0, state.get("chamber_temper", AMBIENT))}},
            "nozzle": {
                "exist": 3,
                "info": [
                    {"id": index, "diameter": 0.4, "type": "HS01"}
                    for index in range(self.profile.extruders)
                ],
            },
            "type": 1,
        }

    def full_report(self) -> dict[str, Any]:
        """Return the whole status as a ``pushall`` answer."""
        self._sent = copy.deepcopy(self.state)
        return {
            "print": {
                **copy.deepcopy(self.state),
                "msg": 0,
                "sequence_id": str(next(self._push_sequence)),
            }
        }

    def periodic_report(self, *, force: bool = False) -> dict[str, Any] | None:
        """Return the next periodic push: changed fields (P1/A1/H2) or everything (X1)."""
        if not self.profile.delta_pushes:
            return self.full_report()
        delta = {k: v for k, v in self.state.items() if self._sent.get(k) != v}
        if not delta and not force:
            return None
        self._sent = copy.deepcopy(self.state)
        # Deltas carry a few fields every time, as the real pushes do.
        delta |= {
            "command": "push_status",
            "msg": 1,
            "sequence_id": str(next(self._push_sequence)),
            "wifi_signal": self.state["wifi_signal"],
        }
        return {"print": copy.deepcopy(delta)}

    def version_report(self, sequence_id: str) -> dict[str, Any]:
        """Answer ``get_version``."""
        profile = self.profile
        ota: dict[str, Any] = {
            "name": "ota",
            "hw_ver": "OTA" if not profile.product_name_in_version else "N/A",
            "sw_ver": profile.firmware,
            "sn": self.serial,
            "loader_ver": "00.00.00.00",
        }
        modules = [ota]
        for index, (name, hw_ver, sw_ver) in enumerate(profile.modules):
            modules.append(
                {
                    "name": name,
                    "hw_ver": hw_ver,
                    "sw_ver": sw_ver,
                    "sn": f"{self.serial[:4]}SIM{index:05d}",
                    "loader_ver": "00.00.00.00",
                }
            )
        for module in modules:
            if profile.product_name_in_version:
                module["product_name"] = profile.product_name if module is ota else ""
            else:
                module["project_name"] = profile.project_name or ""
        return {
            "info": {
                "command": "get_version",
                "sequence_id": sequence_id,
                "module": modules,
                "result": "success",
                "reason": "",
            }
        }

    # ------------------------------------------------------------------ commands

    def reject_next(self, command: str, reason: str = "simulated rejection") -> None:
        """Make the next request with ``command`` fail with ``reason``."""
        self._rejections[command] = reason

    def handle(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        """Apply a request and return what the printer publishes in response."""
        if len(request) != 1:
            request = {k: v for k, v in request.items() if isinstance(v, dict)}
        if len(request) != 1:
            return []
        namespace, body = next(iter(request.items()))
        if not isinstance(body, dict):
            return []
        command = body.get("command")
        sequence_id = str(body.get("sequence_id", "0"))
        if namespace == "pushing":
            if command in ("pushall", "start"):
                return [self.full_report()]
            return []
        if namespace == "info" and command == "get_version":
            return [self.version_report(sequence_id)]
        if not isinstance(command, str):
            return []
        if command in self._rejections:
            return [self._ack(namespace, body, self._rejections.pop(command))]
        if self.signed_commands_required and namespace in ("print", "system"):
            ack = self._ack(namespace, body, "mqtt message verify failed")
            ack[namespace]["err_code"] = ERR_UNSIGNED
            return [ack]
        handler = {
            ("print", "pause"): self._cmd_pause,
            ("print", "resume"): self._cmd_resume,
            ("print", "stop"): self._cmd_stop,
            ("print", "print_speed"): self._cmd_speed,
            ("print", "gcode_line"): self._cmd_gcode,
            ("print", "project_file"): self._cmd_project_file,
            ("system", "ledctrl"): self._cmd_ledctrl,
        }.get((namespace, command))
        if handler is None:
            return [self._ack(namespace, body, None)]
        return [self._ack(namespace, body, handler(body))]

    @staticmethod
    def _ack(namespace: str, body: dict[str, Any], error: str | None) -> dict[str, Any]:
        """Echo the request with the outcome, as printers acknowledge commands."""
        return {
            namespace: {
                **body,
                "result": "success" if error is None else "failed",
                "reason": "success" if error is None else error,
            }
        }

    def _cmd_pause(self, _body: dict[str, Any]) -> str | None:
        if self.state["gcode_state"] not in ("RUNNING", "PREPARE"):
            return "printer is not printing"
        self.pause()
        return None

    def _cmd_resume(self, _body: dict[str, Any]) -> str | None:
        if self.state["gcode_state"] != "PAUSE":
            return "printer is not paused"
        self.resume()
        return None

    def _cmd_stop(self, _body: dict[str, Any]) -> str | None:
        if self.state["gcode_state"] not in ("RUNNING", "PREPARE", "PAUSE"):
            return "printer is not printing"
        self.cancel()
        return None

    def _cmd_speed(self, body: dict[str, Any]) -> str | None:
        try:
            level = int(str(body.get("param")))
        except ValueError:
            return "invalid speed level"
        if level not in SPEED_MAGNITUDE:
            return "invalid speed level"
        self.state["spd_lvl"] = level
        self.state["spd_mag"] = SPEED_MAGNITUDE[level]
        return None

    def _cmd_gcode(self, body: dict[str, Any]) -> str | None:
        for line in str(body.get("param", "")).splitlines():
            match = _GCODE_TEMP.match(line)
            if match is None:
                continue
            code, value = match.group(1).upper(), float(match.group(2))
            if code in ("M104", "M109"):
                self.state["nozzle_target_temper"] = value
            elif code in ("M140", "M190"):
                self.state["bed_target_temper"] = value
            elif "ctt" in self.state or self.profile.extruders > 1:
                self.state["ctt"] = value
        self._sync_device()
        return None

    def _cmd_ledctrl(self, body: dict[str, Any]) -> str | None:
        node, mode = body.get("led_node"), body.get("led_mode")
        if node not in self.profile.lights or mode not in ("on", "off", "flashing"):
            return "unsupported light"
        if any(
            key not in body
            for key in ("led_on_time", "led_off_time", "loop_times", "interval_time")
        ):
            return "missing led timing"
        self.state["lights_report"] = [
            {"node": entry["node"], "mode": mode if entry["node"] == node else entry["mode"]}
            for entry in self.state["lights_report"]
        ]
        return None

    def _cmd_project_file(self, body: dict[str, Any]) -> str | None:
        if self.state["gcode_state"] in ("RUNNING", "PREPARE", "PAUSE"):
            return "printer is busy"
        param = str(body.get("param", ""))
        plate_match = re.search(r"plate_(\d+)", param)
        file = str(body.get("file") or body.get("url", "").rsplit("/", 1)[-1] or "print.3mf")
        self.start_print(file, plate=int(plate_match.group(1)) if plate_match else 1)
        if name := body.get("subtask_name"):
            self.state["subtask_name"] = name
        return None

    # ------------------------------------------------------------------ scripted prints

    def start_print(
        self,
        file: str = "benchy.3mf",
        *,
        plate: int = 1,
        layers: int = 50,
        prepare_ticks: int = 3,
        print_ticks: int = 10,
        minutes: int = 90,
    ) -> PrintJob:
        """Begin a scripted print: PREPARE for a few ticks, then RUNNING, then FINISH."""
        job = PrintJob(
            file=file,
            plate=plate,
            layers=layers,
            prepare_ticks=max(prepare_ticks, 0),
            print_ticks=max(print_ticks, 1),
            minutes=minutes,
            task_id=str(next(self._task_ids)),
        )
        self.job = job
        name = file.rsplit("/", 1)[-1].removesuffix(".3mf").removesuffix(".gcode.3mf")
        self.state.update(
            {
                "gcode_state": "PREPARE",
                "gcode_file": f"/data/Metadata/plate_{plate}.gcode",
                "gcode_file_prepare_percent": "0",
                "subtask_name": name,
                "task_id": job.task_id,
                "subtask_id": job.task_id,
                "job_id": job.task_id,
                "print_type": "local",
                "mc_percent": 0,
                "mc_remaining_time": minutes,
                "layer_num": 0,
                "total_layer_num": layers,
                "stg": [STAGE_HEATBED, 14, 13],
                "stg_cur": STAGE_HEATBED,
                "print_error": 0,
                "hms": [],
                "nozzle_target_temper": 220,
                "bed_target_temper": 60,
                "mc_print_stage": "2",
            }
        )
        self._sync_device()
        if job.prepare_ticks == 0:
            self._enter_running()
        return job

    def _enter_running(self) -> None:
        self.state.update(
            {
                "gcode_state": "RUNNING",
                "gcode_file_prepare_percent": "100",
                "stg_cur": STAGE_PRINTING,
            }
        )

    def pause(self) -> None:
        """Pause like a user pause (stage 16)."""
        self.state["gcode_state"] = "PAUSE"
        self.state["stg_cur"] = STAGE_PAUSED_USER

    def resume(self) -> None:
        """Continue a paused print."""
        self.state["gcode_state"] = "RUNNING"
        self.state["stg_cur"] = STAGE_PRINTING

    def cancel(self) -> None:
        """End the print as a user cancel: FAILED with print_error 0300400C."""
        self._end("FAILED", print_error=PRINT_ERROR_CANCELLED)

    def fail(self, print_error: int = PRINT_ERROR_FAILED, *, hms: bool = True) -> None:
        """End the print with an error (and an HMS entry unless ``hms`` is False)."""
        self._end("FAILED", print_error=print_error)
        if hms:
            self.state["hms"] = [dict(HMS_FAILED)]

    def finish(self) -> None:
        """End the print successfully."""
        self.state.update({"mc_percent": 100, "layer_num": self.state["total_layer_num"]})
        self._end("FINISH", print_error=0)

    def _end(self, gcode_state: str, *, print_error: int) -> None:
        self.job = None
        self.state.update(
            {
                "gcode_state": gcode_state,
                "print_error": print_error,
                "mc_remaining_time": 0,
                "stg": [],
                "stg_cur": self.profile.idle_stage,
                "nozzle_target_temper": 0,
                "bed_target_temper": 0,
                "mc_print_stage": "1",
            }
        )
        self._sync_device()

    def set_signed_commands_required(self, required: bool) -> None:
        """Simulate authorization firmware (unsigned commands refused, ``fun`` bit set)."""
        self.signed_commands_required = required
        fun = int(str(self.state.get("fun", "0")), 16)
        fun = fun | SIGNED_COMMANDS_FUN_BIT if required else fun & ~SIGNED_COMMANDS_FUN_BIT
        self.state["fun"] = f"{fun:X}"

    def tick(self) -> None:
        """Advance time by one push interval: temperatures and the scripted print."""
        self._heat()
        job = self.job
        if job is None or self.state["gcode_state"] == "PAUSE":
            return
        job.tick += 1
        if job.tick <= job.prepare_ticks:
            percent = min(100, round(100 * job.tick / job.prepare_ticks))
            self.state["gcode_file_prepare_percent"] = str(percent)
            if job.tick == job.prepare_ticks:
                self._enter_running()
            return
        done = min(1.0, (job.tick - job.prepare_ticks) / job.print_ticks)
        self.state["gcode_state"] = "RUNNING"
        self.state["mc_percent"] = round(100 * done)
        self.state["layer_num"] = max(1, math.ceil(job.layers * done))
        self.state["mc_remaining_time"] = round(job.minutes * (1 - done))
        self.state["cooling_fan_speed"] = "15"
        if done >= 1.0:
            self.finish()

    def _heat(self) -> None:
        for current, target in (
            ("nozzle_temper", "nozzle_target_temper"),
            ("bed_temper", "bed_target_temper"),
        ):
            goal = self.state[target] or AMBIENT
            value = self.state[current] + (goal - self.state[current]) * 0.5
            self.state[current] = round(goal if abs(goal - value) < 0.5 else value, 1)
        self._sync_device()

    def _sync_device(self) -> None:
        if self.profile.extruders > 1:
            self.state["device"] = self._device_object(self.state)
