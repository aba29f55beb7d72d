"""Print what one wake-up of an idle asyncio event loop costs in CPU on this machine.

A farm's reports arrive at independent moments; reading each on its own wake-up costs this much on
top of handling the report (see printers/bambu/batch.py). Run: .venv/bin/python scripts/bench_wakeups.py
"""

from __future__ import annotations

import asyncio
import time


async def _cost(gap: float, wakeups: int) -> float:
    start = time.process_time()
    for _ in range(wakeups):
        await asyncio.sleep(gap)
    return (time.process_time() - start) / wakeups


def main() -> None:
    """Sleep in a loop with growing gaps; print the CPU per wake-up."""
    for gap, wakeups in ((0.0, 2000), (0.001, 1000), (0.02, 250), (0.2, 25)):
        cost = asyncio.run(_cost(gap, wakeups))
        print(f"gap {gap * 1000:6.1f} ms: {cost * 1e6:7.1f} µs CPU per wake-up")


if __name__ == "__main__":
    main()
