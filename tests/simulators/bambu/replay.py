"""Replay a realistic print on many simulated Bambu printers at once (used by scripts/bench).

Each printer starts from a real full report (a published capture of a running P2S, when
``../shared/protocol`` is beside the clone; else the simulator's own X1C report) and then pushes
one delta a second, shaped like the deltas real P1/A1/P2S printers send: temperatures that hover
around their targets, the G-code line counter, and now and then the layer, progress, remaining
time, fan speeds and Wi-Fi signal. The print goes prepare → running → finish.

Protocol on stdin/stdout (one JSON object per line): on start it prints
``{"printers": [{"serial", "data"}...]}`` (``data``: the config entry data); then it reads commands:
``go <seconds>`` replays for that long and answers ``{"messages": N}``; ``quit`` stops.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
from pathlib import Path
import random
import sys
from typing import Any

from .simulator import BambuSimulator

CAPTURE = (
    Path(__file__).resolve().parents[4]
    / "shared/protocol/bambu/report/p2s_running__ha-bambulab_MOCK-P2S.json"
)


def initial_report(simulator: BambuSimulator) -> dict[str, Any]:
    """Return the full report a replayed printer starts from."""
    if CAPTURE.is_file():
        report: dict[str, Any] = json.loads(CAPTURE.read_text(encoding="utf-8"))
        body = copy.deepcopy(report["print"])
    else:
        body = copy.deepcopy(simulator.printer.full_report()["print"])
    body.update(
        {
            "command": "push_status",
            "msg": 0,
            "gcode_state": "PREPARE",
            "mc_percent": 0,
            "layer_num": 0,
            "total_layer_num": 300,
            "mc_remaining_time": 300,
            "subtask_name": "replayed-print",
            "gcode_file": "replayed-print.gcode.3mf",
        }
    )
    return {"print": body}


class Replay:
    """The timeline of one printer's print, one delta per call."""

    def __init__(self, seconds: int, rng: random.Random) -> None:
        """Plan a print that lasts ``seconds`` (the first tenth is preparation)."""
        self.seconds = max(seconds, 20)
        self.tick = 0
        self.rng = rng
        self.line = 1000

    def delta(self) -> dict[str, Any]:
        """Return the next report."""
        self.tick += 1
        rng = self.rng
        prepare = self.seconds // 10
        body: dict[str, Any] = {"command": "push_status", "msg": 1}
        self.line += rng.randint(3, 40)
        if self.tick < prepare:
            self._temperatures(body, 30 + 190 * self.tick / prepare, 25 + 35 * self.tick / prepare)
            body["stg_cur"] = 2 if self.tick < prepare // 2 else 7
        elif self.tick == prepare:
            body.update({"gcode_state": "RUNNING", "stg_cur": 0, "cooling_fan_speed": "15"})
        elif self.tick >= self.seconds:
            body.update({"gcode_state": "FINISH", "mc_percent": 100, "mc_remaining_time": 0})
            self.tick = 0
        else:
            done = (self.tick - prepare) / (self.seconds - prepare)
            self._temperatures(
                body, 220 + rng.choice((-1, 0, 0, 0, 0, 1)), 60 + rng.choice((-1, 0, 0, 0, 1))
            )
            body["mc_print_line_number"] = str(self.line)
            if self.tick % 5 == 0:
                body["layer_num"] = int(done * 300)
            if self.tick % 3 == 0:
                body["mc_percent"] = int(done * 100)
                body["mc_remaining_time"] = int((1 - done) * 300)
            if self.tick % 30 == 0:
                body["big_fan1_speed"] = str(rng.choice((0, 5, 10)))
            if self.tick % 10 == 0:
                body["wifi_signal"] = f"-{rng.randint(48, 53)}dBm"
        return {"print": body}

    @staticmethod
    def _temperatures(body: dict[str, Any], nozzle: float, bed: float) -> None:
        """Set both the legacy keys and the packed ones P2S/H2 firmware reports (target<<16|now)."""
        body["nozzle_temper"] = float(round(nozzle))
        body["bed_temper"] = float(round(bed))
        body["device"] = {
            "extruder": {"info": [{"id": 0, "temp": (220 << 16) | round(nozzle)}]},
            "bed": {"info": {"temp": (60 << 16) | round(bed)}},
        }


async def main() -> None:
    """Start the printers and serve the stdin protocol."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--printers", type=int, default=10)
    parser.add_argument("--print-seconds", type=int, default=300)
    args = parser.parse_args()
    simulators = [
        BambuSimulator("X1C", host="127.0.0.1", interval=3600, max_clients=2)
        for _ in range(args.printers)
    ]
    for simulator in simulators:
        await simulator.start()
    from tests import printer_entry_data

    entries = [{"serial": s.serial, "data": await printer_entry_data(s)} for s in simulators]
    print(json.dumps({"printers": entries}), flush=True)
    rng = random.Random(4711)
    replays = [Replay(args.print_seconds, rng) for _ in simulators]
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        if line == "quit":
            break
        if line == "full":
            for simulator in simulators:
                await simulator.push(initial_report(simulator))
            print(json.dumps({"ok": True}), flush=True)
            continue
        seconds = float(line.split()[1])
        messages = 0
        start = loop.time()
        # Spread the printers over the second, as independent printers would be.
        while loop.time() - start < seconds:
            second = loop.time()
            for index, (simulator, replay) in enumerate(zip(simulators, replays, strict=True)):
                target = second + index / len(simulators)
                await asyncio.sleep(max(0.0, target - loop.time()))
                await simulator.push(replay.delta())
                messages += 1
            await asyncio.sleep(max(0.0, second + 1 - loop.time()))
        print(json.dumps({"messages": messages}), flush=True)
    for simulator in simulators:
        await simulator.stop()


if __name__ == "__main__":
    asyncio.run(main())
