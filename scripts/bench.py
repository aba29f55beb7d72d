"""Benchmark Printernizer inside Home Assistant against simulated printers.

Bambu: N simulated printers (a separate process, so its CPU is not counted) replay a realistic
print at one report per printer per second; Home Assistant (pytest-homeassistant-custom-component's
test instance, in this process) runs the integration. Measured: CPU per Bambu message in Home
Assistant (parse + merge + entity updates; the idle baseline subtracted), state_changed events
per message, event-loop lag, memory per printer. Prusa: requests per minute idle and printing.
Prints a table, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
from pathlib import Path
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from homeassistant import loader  # noqa: E402
from homeassistant.const import EVENT_STATE_CHANGED  # noqa: E402
from homeassistant.core import Event, HomeAssistant, callback  # noqa: E402
from homeassistant.setup import async_setup_component  # noqa: E402
from pytest_homeassistant_custom_component.common import (  # noqa: E402
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.printernizer.const import DOMAIN  # noqa: E402
from tests import printer_entry_data  # noqa: E402
from tests.simulators.prusa.server import PrusaLinkSimulator  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    """Return this process's resident memory in MiB."""
    with Path("/proc/self/statm").open() as statm:
        return int(statm.read().split()[1]) * PAGE / 2**20


LAG_PERIOD = 0.2
"""How often the loop lag is sampled: each sample wakes the loop, and that CPU counts too."""


class LoopLag:
    """Measures how late the event loop runs a timer (one every LAG_PERIOD seconds)."""

    def __init__(self) -> None:
        """Start empty."""
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(LAG_PERIOD)
            self.samples.append((loop.time() - start - LAG_PERIOD) * 1000)

    def start(self) -> None:
        """Start sampling."""
        self.samples.clear()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> float:
        """Stop sampling; return the p99 lag in ms."""
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        return statistics.quantiles(self.samples, n=100)[98] if len(self.samples) > 2 else 0.0


class Replay:
    """The simulator process."""

    def __init__(self, printers: int, print_seconds: int) -> None:
        """Start it."""
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.simulators.bambu.replay",
                "--printers",
                str(printers),
                "--print-seconds",
                str(print_seconds),
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    async def read(self) -> dict[str, Any]:
        """Read the next JSON line without blocking the loop."""
        assert self.proc.stdout is not None
        line = await asyncio.get_running_loop().run_in_executor(None, self.proc.stdout.readline)
        return dict(json.loads(line))

    async def command(self, text: str) -> dict[str, Any]:
        """Send a command and read its answer."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return await self.read()

    def close(self) -> None:
        """Stop it."""
        with contextlib.suppress(Exception):
            assert self.proc.stdin is not None
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def add_entry(
    hass: HomeAssistant, serial: str, data: dict[str, Any], title: str
) -> MockConfigEntry:
    """Add and set up the entry of a simulated printer."""
    entry = MockConfigEntry(domain=DOMAIN, title=title, unique_id=serial, data=data)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id), title
    return entry


async def bench_bambu(hass: HomeAssistant, args: argparse.Namespace) -> dict[str, Any]:
    """Replay prints on N Bambu printers and measure Home Assistant."""
    replay = Replay(args.printers, args.print_seconds)
    try:
        started = await replay.read()
        memory_before = rss_mb()
        entries = []
        for index, printer in enumerate(started["printers"]):
            entries.append(
                await add_entry(hass, printer["serial"], printer["data"], f"Bench {index:02d}")
            )
        await hass.async_block_till_done()
        await replay.command("full")
        await asyncio.sleep(2)
        await hass.async_block_till_done()
        memory = (rss_mb() - memory_before) / args.printers

        # What Home Assistant costs with the printers connected but silent.
        idle_wall, cpu0 = 5.0, time.process_time()
        await asyncio.sleep(idle_wall)
        idle_cpu_rate = (time.process_time() - cpu0) / idle_wall

        writes = 0

        @callback
        def count(_: Event) -> None:
            nonlocal writes
            writes += 1

        unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, count)
        messages_before = sum(entry.runtime_data.client.stats.messages for entry in entries)
        lag = LoopLag()
        lag.start()
        profiler = cProfile.Profile() if args.profile else None
        wall0, cpu0, thread0 = time.monotonic(), time.process_time(), time.thread_time()
        if profiler:
            profiler.enable()
        sent = (await replay.command(f"go {args.seconds}"))["messages"]
        await asyncio.sleep(0.5)
        await hass.async_block_till_done()
        wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
        main_cpu = time.thread_time() - thread0
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        lag_p99 = await lag.stop()
        unsubscribe()
        received = (
            sum(entry.runtime_data.client.stats.messages for entry in entries) - messages_before
        )
        for entry in entries:
            await hass.config_entries.async_unload(entry.entry_id)
        work = max(cpu - idle_cpu_rate * wall, 0.0)
        return {
            "printers": args.printers,
            "messages": received,
            "messages_sent": sent,
            "us_per_message": round(work / max(received, 1) * 1e6, 1),
            "state_writes_per_message": round(writes / max(received, 1), 3),
            "cpu_percent_of_one_core": round(cpu / wall * 100, 2),
            "event_loop_cpu_percent": round(main_cpu / wall * 100, 2),
            "idle_cpu_percent_of_one_core": round(idle_cpu_rate * 100, 2),
            "loop_lag_p99_ms": round(lag_p99, 2),
            "memory_per_printer_mb": round(memory, 2),
        }
    finally:
        replay.close()


async def bench_prusa(hass: HomeAssistant, args: argparse.Namespace) -> dict[str, Any]:
    """Count the requests PrusaLink gets per minute, idle and printing."""
    simulator = PrusaLinkSimulator(host="127.0.0.1")
    await simulator.start()
    try:
        entry = await add_entry(
            hass, simulator.serial, await printer_entry_data(simulator), "Bench Prusa"
        )
        client = entry.runtime_data.client
        figures = {}
        for phase in ("idle", "printing"):
            if phase == "printing":
                simulator.machine.start()
            # Let the poll interval settle on the new state first.
            await asyncio.sleep(35)
            start = len(simulator.requests)
            await asyncio.sleep(args.prusa_seconds)
            per_minute = (len(simulator.requests) - start) * 60 / args.prusa_seconds
            figures[f"prusa_requests_per_min_{phase}"] = round(per_minute, 2)
        figures["prusa_client_requests_total"] = client.request_count
        await hass.config_entries.async_unload(entry.entry_id)
        return figures
    finally:
        await simulator.stop()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run every part inside one Home Assistant."""
    with tempfile.TemporaryDirectory() as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            # Home Assistant's shared HTTP session needs the network integration.
            assert await async_setup_component(hass, "network", {})
            results = await bench_bambu(hass, args)
            if not args.skip_prusa:
                results.update(await bench_prusa(hass, args))
            await hass.async_stop(force=True)
    return results


def main() -> int:
    """Parse the options, run, print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--printers", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="short runs (about 5 minutes)")
    parser.add_argument("--seconds", type=float, default=None, help="Bambu replay length")
    parser.add_argument("--fuzz", type=int, default=0, help="run N fuzz cases instead")
    parser.add_argument("--skip-prusa", action="store_true", help="only the Bambu part")
    parser.add_argument("--profile", help="write a cProfile of the Bambu replay to this file")
    args = parser.parse_args()
    if args.fuzz:
        return subprocess.call(
            [sys.executable, str(ROOT / "scripts" / "fuzz.py"), str(args.fuzz)], cwd=ROOT
        )
    args.seconds = args.seconds or (60 if args.quick else 300)
    args.print_seconds = 120 if args.quick else 600
    args.prusa_seconds = 60 if args.quick else 180
    results = asyncio.run(run(args))
    goals = {
        "state_writes_per_message": ("<=", 8),
        "cpu_percent_of_one_core": ("<", 2),
        "loop_lag_p99_ms": ("<", 50),
        "prusa_requests_per_min_idle": ("<=", 2),
        "prusa_requests_per_min_printing": ("<=", 12),
    }
    print(f"{'figure':38} {'value':>12}  goal")
    for key, value in results.items():
        goal = goals.get(key)
        print(f"{key:38} {value!s:>12}  {' '.join(map(str, goal)) if goal else ''}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
