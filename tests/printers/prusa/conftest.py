"""Fixtures for the PrusaLink client tests (real sockets against the simulator)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from custom_components.printernizer.printers.prusa.client import PrusaLinkClient
from tests.simulators.prusa.server import PrusaLinkSimulator


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """Return a plain aiohttp session (Home Assistant would pass its shared one)."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def client(session: aiohttp.ClientSession, prusa_printer: PrusaLinkSimulator) -> PrusaLinkClient:
    """Return a client for the default (Buddy) simulator."""
    return PrusaLinkClient(
        session,
        prusa_printer.host,
        prusa_printer.username,
        prusa_printer.password,
        port=prusa_printer.port,
        timeout=2.0,
    )
