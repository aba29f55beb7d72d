"""Bambu error texts: downloaded once, cached, and shown on the error sensor."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from aiohttp import web
from homeassistant.core import HomeAssistant
import pytest

from tests import entity_id_of, setup_printer, wait_for
from tests.simulators.bambu.simulator import BambuSimulator

# Our own reply in the shape of Bambu's public query.php (code 0C00_0300_0003_0007).
REPLY = {
    "result": 0,
    "data": {
        "device_hms": {
            "en": [{"ecode": "0C00030000030007", "intro": "Possible first layer  defects."}]
        },
        "device_error": {"en": [{"ecode": "07FF8012", "intro": "Failed to get AMS mapping."}]},
    },
}
HMS_PUSH = {
    "print": {"command": "push_status", "msg": 1, "hms": [{"attr": 201327360, "code": 196615}]}
}


@pytest.fixture
async def text_server(
    monkeypatch: pytest.MonkeyPatch, socket_enabled: None
) -> AsyncGenerator[list[dict[str, str]]]:
    """Serve the lookup on 127.0.0.1 and record the queries."""
    queries: list[dict[str, str]] = []

    async def query(request: web.Request) -> web.Response:
        queries.append(dict(request.query))
        return web.json_response(REPLY)

    app = web.Application()
    app.router.add_get("/query.php", query)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    monkeypatch.setattr(
        "custom_components.printernizer.bambu_coordinator.hms_text_url",
        f"http://127.0.0.1:{port}/query.php",
    )
    yield queries
    await runner.cleanup()


async def test_error_text_from_lookup(
    hass: HomeAssistant, bambu_printer: BambuSimulator, text_server: list[dict[str, str]]
) -> None:
    """An HMS code gets Bambu's text, and the second start uses the cache."""
    entry = await setup_printer(hass, bambu_printer)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert text_server == [{"lang": "en", "d": bambu_printer.serial[:3]}]
    error = entity_id_of(hass, "sensor", bambu_printer, "error")
    bambu_printer.stall(until_reconnect=False)
    await bambu_printer.push(HMS_PUSH)
    await wait_for(hass, lambda: hass.states.get(error).state != "none", what="error shown")
    state = hass.states.get(error)
    assert state.state == "0C00_0300_0003_0007"
    assert state.attributes["text"] == "Possible first layer defects."
    assert state.attributes["severity"] == "common"
    assert state.attributes["url"].endswith("0C00_0300_0003_0007")
    problem = entity_id_of(hass, "binary_sensor", bambu_printer, "problem")
    assert hass.states.get(problem).state == "on"

    bambu_printer.unstall()
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(text_server) == 1  # cached


async def test_without_network_codes_only(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """No lookup possible: the code, module and severity are still shown."""
    await setup_printer(hass, bambu_printer)
    await hass.async_block_till_done(wait_background_tasks=True)
    error = entity_id_of(hass, "sensor", bambu_printer, "error")
    bambu_printer.stall(until_reconnect=False)
    await bambu_printer.push(HMS_PUSH)
    await wait_for(hass, lambda: hass.states.get(error).state != "none", what="error shown")
    state = hass.states.get(error)
    assert state.attributes["text"] is None
    assert state.attributes["module"]
