"""Pytest fixtures for the simulated Bambu printer (loaded as a plugin from tests/conftest.py).

``bambu_printer`` yields a started :class:`~tests.simulators.bambu.simulator.BambuSimulator`
listening on 127.0.0.1 with a fresh self-signed certificate whose CN is its serial. Choose the
model indirectly::

    @pytest.mark.parametrize("bambu_printer", ["A1"], indirect=True)
    async def test_something(bambu_printer: BambuSimulator) -> None: ...

The parameter may also be a dict of :class:`BambuSimulator` keyword arguments
(e.g. ``{"model": "P1S", "interval": 0.05}``). Default: X1C, pushes every 0.1 s.
The fixture depends on ``socket_enabled`` because the Home Assistant test plugin blocks sockets.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import pytest
import pytest_asyncio

from .simulator import BambuSimulator

DEFAULT_TEST_INTERVAL = 0.1


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    param = getattr(request, "param", None)
    if param is None:
        return {"model": "X1C"}
    if isinstance(param, str):
        return {"model": param}
    if isinstance(param, dict):
        return {"model": "X1C", **param}
    raise TypeError(f"bambu_printer parameter must be a model name or a dict, not {param!r}")


@pytest_asyncio.fixture
async def bambu_printer(
    request: pytest.FixtureRequest, socket_enabled: None
) -> AsyncGenerator[BambuSimulator]:
    """Start a simulated Bambu printer on 127.0.0.1 and stop it after the test."""
    options = _options(request)
    options.setdefault("interval", DEFAULT_TEST_INTERVAL)
    simulator = BambuSimulator(host="127.0.0.1", **options)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest_asyncio.fixture
async def bambu_printer_factory(
    socket_enabled: None,
) -> AsyncGenerator[Any]:
    """Return an async factory starting extra simulators (all stopped after the test)."""
    started: list[BambuSimulator] = []

    async def factory(model: str = "X1C", **options: Any) -> BambuSimulator:
        options.setdefault("interval", DEFAULT_TEST_INTERVAL)
        simulator = BambuSimulator(model, host="127.0.0.1", **options)
        await simulator.start()
        started.append(simulator)
        return simulator

    try:
        yield factory
    finally:
        for simulator in started:
            await simulator.stop()
