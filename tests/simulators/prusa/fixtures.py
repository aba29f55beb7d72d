"""Pytest fixtures for the simulated Prusa printer (loaded as a plugin from tests/conftest.py).

`prusa_printer` yields a started Buddy-variant `PrusaLinkSimulator` on 127.0.0.1 with
``serial``, ``host``, ``port``, ``username``, ``password``, ``requests`` (list of
(method, path)), ``set_response(path, body, status=200)`` and the controls documented in
`tests.simulators.prusa.server` (``machine`` for the printer state, ``fail_next``,
``garbage_next``, ``drop_next``, ``slow_next``, ``reboot``, ...).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from .server import PrusaLinkSimulator


@pytest.fixture
async def prusa_printer(socket_enabled: None) -> AsyncIterator[PrusaLinkSimulator]:
    """Yield a started simulated PrusaLink printer (Buddy firmware, digest auth)."""
    sim = PrusaLinkSimulator(variant="buddy", host="127.0.0.1")
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
async def prusa_simulator_factory(
    socket_enabled: None,
) -> AsyncIterator[Callable[..., Awaitable[PrusaLinkSimulator]]]:
    """Return a factory for simulators of any variant (all stopped at teardown)."""
    started: list[PrusaLinkSimulator] = []

    async def factory(**kwargs: Any) -> PrusaLinkSimulator:
        sim = PrusaLinkSimulator(host="127.0.0.1", **kwargs)
        await sim.start()
        started.append(sim)
        return sim

    try:
        yield factory
    finally:
        for sim in started:
            await sim.stop()
