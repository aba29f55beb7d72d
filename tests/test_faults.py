"""Faults over real sockets: Home Assistant keeps running, entities go and come back, logs stay quiet.

Every test here also passes Home Assistant's own checks of the test harness: no lingering
tasks, timers or threads after the test.
"""

from __future__ import annotations

from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.printernizer.const import DOMAIN
from tests import entity_id_of, setup_printer, wait_for, wait_for_state
from tests.simulators.bambu.simulator import BambuSimulator
from tests.simulators.prusa.server import PrusaLinkSimulator


def _problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return warnings and errors logged by the integration and its clients."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING and record.name.startswith("custom_components")
    ]


async def test_printer_restart_mid_print(
    hass: HomeAssistant, bambu_printer: BambuSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """The printer (its broker) goes away mid-print and comes back still printing."""
    entry = await setup_printer(hass, bambu_printer)
    status = entity_id_of(hass, "sensor", bambu_printer, "status")
    bambu_printer.start_print("long.3mf", print_ticks=10_000)
    await wait_for_state(hass, status, "printing")
    await bambu_printer.go_offline()
    await wait_for_state(hass, status, STATE_UNAVAILABLE)
    await bambu_printer.go_online()
    await wait_for_state(hass, status, "printing", timeout=20)
    assert entry.runtime_data.client.stats.reconnects >= 1
    assert caplog.text.count("is unavailable") == 1
    assert _problems(caplog) == []


async def test_network_drop(
    hass: HomeAssistant, bambu_printer: BambuSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A dropped connection is re-established; the print is followed again."""
    entry = await setup_printer(hass, bambu_printer)
    progress = entity_id_of(hass, "sensor", bambu_printer, "progress")
    bambu_printer.start_print("drop.3mf", print_ticks=200)
    await wait_for(hass, lambda: hass.states.get(progress).state not in ("0", "unknown"))
    await bambu_printer.drop()
    await wait_for(hass, lambda: entry.runtime_data.client.stats.reconnects >= 1, timeout=20)
    before = hass.states.get(progress).state
    await wait_for(hass, lambda: hass.states.get(progress).state != before, timeout=20)
    assert _problems(caplog) == []


async def test_stalled_printer_is_nudged_then_reconnected(
    hass: HomeAssistant, bambu_printer: BambuSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Silence triggers pushing.start, then a reconnect (which wakes a stuck printer)."""
    monkeypatch.setattr("custom_components.printernizer.bambu_coordinator.WATCHDOG_TIMEOUT", 0.5)
    entry = await setup_printer(hass, bambu_printer)
    bambu_printer.stall(until_reconnect=True)
    await bambu_printer.wait_for_request("start", timeout=10)
    await wait_for(
        hass, lambda: entry.runtime_data.client.stats.watchdog_reconnects >= 1, timeout=20
    )
    await wait_for(hass, lambda: not bambu_printer.stalled, timeout=20)
    status = entity_id_of(hass, "sensor", bambu_printer, "status")
    await wait_for_state(hass, status, "idle", timeout=20)


async def test_garbage_and_oversized_payloads(
    hass: HomeAssistant, bambu_printer: BambuSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Invalid JSON, JSON that is not an object, and a 2 MB payload change nothing and log no error."""
    entry = await setup_printer(hass, bambu_printer)
    status = entity_id_of(hass, "sensor", bambu_printer, "status")
    stats = entry.runtime_data.client.stats
    await bambu_printer.push_raw(b"{not json")
    await bambu_printer.push_raw(b"[1, 2, 3]")
    await bambu_printer.push_raw(
        '{"print": {"gcode_state": "RUNNING", "mc_percent": "x\u0000"}'.encode()
    )
    await bambu_printer.push_oversized()
    await bambu_printer.push({"print": {"command": "push_status", "msg": 1, "mc_percent": "lots"}})
    await bambu_printer.push({"print": {"command": "push_status", "msg": 1, "nozzle_temper": 1e9}})
    await wait_for(hass, lambda: stats.decode_errors >= 3, what="payloads seen")
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(status).state == "idle"
    nozzle = entity_id_of(hass, "sensor", bambu_printer, "nozzle_temperature")
    assert float(hass.states.get(nozzle).state) < 400
    assert _problems(caplog) == []


async def test_mqtt_garbage_breaks_only_the_session(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """Bytes that are not MQTT end the session; the client reconnects."""
    entry = await setup_printer(hass, bambu_printer)
    await bambu_printer.send_garbage()
    await wait_for(hass, lambda: entry.runtime_data.client.stats.reconnects >= 1, timeout=20)
    assert entry.state is ConfigEntryState.LOADED


async def test_access_code_changed_while_running(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """A new access code on the printer: entities go unavailable and reauth starts."""
    await setup_printer(hass, bambu_printer)
    status = entity_id_of(hass, "sensor", bambu_printer, "status")
    bambu_printer.broker.access_code = "newcode1"
    await bambu_printer.drop()
    await wait_for_state(hass, status, STATE_UNAVAILABLE)

    def reauth_started() -> bool:
        return any(
            flow["context"]["source"] == "reauth"
            for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        )

    await wait_for(hass, reauth_started, timeout=20, what="reauth flow")


async def _poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize(
    "fault", ["garbage", "drop", "500", "503"], ids=lambda fault: f"prusa-{fault}"
)
async def test_prusa_transient_faults(
    hass: HomeAssistant,
    prusa_printer: PrusaLinkSimulator,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    """One bad answer is bridged; a printer that keeps failing goes unavailable, once logged."""
    await setup_printer(hass, prusa_printer)
    status = entity_id_of(hass, "sensor", prusa_printer, "status")

    def inject(count: int | None) -> None:
        match fault:
            case "garbage":
                prusa_printer.garbage_next(count=count, path="/api/v1/status")
            case "drop":
                prusa_printer.drop_next(count=count, path="/api/v1/status")
            case _:
                prusa_printer.fail_next(int(fault), count=count, path="/api/v1/status")

    inject(1)
    await _poll(hass, freezer, 31)
    assert hass.states.get(status).state == "idle"
    await _poll(hass, freezer, 31)
    assert hass.states.get(status).state == "idle"

    inject(None)
    for _ in range(4):
        await _poll(hass, freezer, 301)
    assert hass.states.get(status).state == STATE_UNAVAILABLE
    prusa_printer.clear_faults()
    await _poll(hass, freezer, 301)
    assert hass.states.get(status).state == "idle"
    assert caplog.text.count("is unavailable") == 1
    assert caplog.text.count("is back online") == 1


async def test_prusa_slow_answers_time_out(
    hass: HomeAssistant, prusa_printer: PrusaLinkSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Answers slower than the request timeout count as failures; fast ones recover."""
    monkeypatch.setattr("custom_components.printernizer.prusa_coordinator.REQUEST_TIMEOUT", 0.3)
    entry = await setup_printer(hass, prusa_printer)
    coordinator = entry.runtime_data
    status = entity_id_of(hass, "sensor", prusa_printer, "status")
    prusa_printer.slow_next(1.0, count=None, path="/api/v1/status")
    for _ in range(4):
        await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(status).state == STATE_UNAVAILABLE
    prusa_printer.clear_faults()
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(status).state == "idle"
