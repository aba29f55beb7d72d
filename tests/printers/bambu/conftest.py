"""Fixtures of the Bambu client tests."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import pytest

from custom_components.printernizer.printers.bambu.client import BambuClient
from tests.printers.bambu.test_client import ClientFactory
from tests.simulators.bambu.simulator import BambuSimulator


@pytest.fixture
async def make_client() -> AsyncGenerator[ClientFactory]:
    """Build clients with fast timings; stop them all after the test."""
    clients: list[BambuClient] = []

    def factory(printer: BambuSimulator, **options: Any) -> BambuClient:
        options.setdefault("pin", printer.pin)
        options.setdefault("connect_timeout", 3.0)
        options.setdefault("command_timeout", 2.0)
        options.setdefault("reconnect_min_delay", 0.01)
        options.setdefault("reconnect_max_delay", 0.05)
        client = BambuClient(
            printer.host,
            options.pop("serial", printer.serial),
            options.pop("access_code", printer.access_code),
            port=options.pop("port", printer.port),
            **options,
        )
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.stop()
