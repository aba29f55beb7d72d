"""Diagnostics downloads carry the printer's state but nothing that identifies or unlocks it."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from tests import setup_printer
from tests.simulators.bambu.simulator import BambuSimulator
from tests.simulators.prusa.server import PrusaLinkSimulator


async def test_bambu_diagnostics(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, bambu_printer: BambuSimulator
) -> None:
    """Merged raw state, versions and counters; no access code, serial, pin or address."""
    entry = await setup_printer(hass, bambu_printer)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["entry"]["data"]["access_code"] == "**REDACTED**"
    assert diagnostics["info"]["model"]
    assert diagnostics["vendor"]["raw"]["gcode_state"] == "IDLE"
    assert diagnostics["vendor"]["connection"]["connected"] is True
    dump = json.dumps(diagnostics)
    for secret in (bambu_printer.access_code, bambu_printer.serial, bambu_printer.pin, "127.0.0.1"):
        assert secret not in dump


async def test_prusa_diagnostics(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, prusa_printer: PrusaLinkSimulator
) -> None:
    """PrusaLink answers and request counts; no password, serial or address."""
    entry = await setup_printer(hass, prusa_printer)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["vendor"]["requests"] > 0
    assert diagnostics["state"]["status"] == "idle"
    dump = json.dumps(diagnostics)
    for secret in (prusa_printer.password, prusa_printer.serial, "127.0.0.1"):
        assert secret not in dump
