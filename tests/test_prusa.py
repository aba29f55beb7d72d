"""A simulated Prusa printer (PrusaLink with digest auth) in Home Assistant, over real HTTP."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.printernizer.const import DOMAIN
from tests import entity_id_of, setup_printer
from tests.simulators.prusa.server import PrusaLinkSimulator


async def _poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = 31) -> None:
    """Let the coordinator's next poll run (the request itself crosses a real socket)."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_setup_idle(hass: HomeAssistant, prusa_printer: PrusaLinkSimulator) -> None:
    """An idle printer: device, status and temperatures."""
    entry = await setup_printer(hass, prusa_printer)
    assert entry.unique_id == prusa_printer.serial
    status = entity_id_of(hass, "sensor", prusa_printer, "status")
    assert hass.states.get(status).state == "idle"
    nozzle = hass.states.get(entity_id_of(hass, "sensor", prusa_printer, "nozzle_temperature"))
    assert nozzle.attributes["unit_of_measurement"] == "°C"
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, prusa_printer.serial), entry.entry_id
    )
    assert device is not None
    assert device.manufacturer == "Prusa Research"
    assert device.configuration_url.startswith("http://127.0.0.1:")


async def test_job_and_controls(
    hass: HomeAssistant, prusa_printer: PrusaLinkSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A job shows up with its file; pause, resume and stop go to PrusaLink by job id."""
    await setup_printer(hass, prusa_printer)
    status = entity_id_of(hass, "sensor", prusa_printer, "status")
    prusa_printer.machine.start()
    await _poll(hass, freezer)
    assert hass.states.get(status).state == "printing"
    assert hass.states.get(entity_id_of(hass, "sensor", prusa_printer, "current_file")).state
    printing = entity_id_of(hass, "binary_sensor", prusa_printer, "printing")
    assert hass.states.get(printing).state == STATE_ON

    pause = entity_id_of(hass, BUTTON_DOMAIN, prusa_printer, "pause")
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: pause}, blocking=True
    )
    await _poll(hass, freezer, 11)
    assert hass.states.get(status).state == "paused"
    assert any(
        path.endswith("/pause") for method, path in prusa_printer.requests if method == "PUT"
    )

    resume = entity_id_of(hass, BUTTON_DOMAIN, prusa_printer, "resume")
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: resume}, blocking=True
    )
    await _poll(hass, freezer, 11)
    assert hass.states.get(status).state == "printing"

    stop = entity_id_of(hass, BUTTON_DOMAIN, prusa_printer, "stop")
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: stop}, blocking=True
    )
    await _poll(hass, freezer, 11)
    assert hass.states.get(status).state == "cancelled"
    assert hass.states.get(printing).state == STATE_OFF


async def test_problem_states(
    hass: HomeAssistant, prusa_printer: PrusaLinkSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """ATTENTION and ERROR show as a problem."""
    await setup_printer(hass, prusa_printer)
    problem = entity_id_of(hass, "binary_sensor", prusa_printer, "problem")
    assert hass.states.get(problem).state == STATE_OFF
    prusa_printer.machine.start()
    prusa_printer.machine.attention()
    await _poll(hass, freezer)
    assert (
        hass.states.get(entity_id_of(hass, "sensor", prusa_printer, "status")).state == "attention"
    )
    assert hass.states.get(problem).state == STATE_ON
    prusa_printer.machine.error()
    await _poll(hass, freezer)
    assert hass.states.get(entity_id_of(hass, "sensor", prusa_printer, "status")).state == "error"


async def test_conflict_is_a_validation_error(
    hass: HomeAssistant, prusa_printer: PrusaLinkSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A 409 from PrusaLink ("not in this state") is a translated validation error."""
    await setup_printer(hass, prusa_printer)
    prusa_printer.machine.start()
    await _poll(hass, freezer)
    prusa_printer.machine.pause()  # paused on the printer's screen; HA has not polled yet
    pause = entity_id_of(hass, BUTTON_DOMAIN, prusa_printer, "pause")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: pause}, blocking=True
        )
    assert err.value.translation_key == "not_possible_now"


async def test_unreachable_after_grace(
    hass: HomeAssistant, prusa_printer: PrusaLinkSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Single failed polls are bridged; a printer that stays away becomes unavailable."""
    await setup_printer(hass, prusa_printer)
    status = entity_id_of(hass, "sensor", prusa_printer, "status")
    prusa_printer.fail_next(503, count=None)
    await _poll(hass, freezer)
    assert hass.states.get(status).state == "idle"
    for _ in range(3):
        await _poll(hass, freezer, 301)
    assert hass.states.get(status).state == STATE_UNAVAILABLE
    prusa_printer.clear_faults()
    await _poll(hass, freezer, 301)
    assert hass.states.get(status).state == "idle"


async def test_wrong_password_starts_reauth(
    hass: HomeAssistant, prusa_printer: PrusaLinkSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A 401 during polling asks the user for a new login."""
    entry = await setup_printer(hass, prusa_printer)
    prusa_printer.password = prusa_printer.api_key = "changed-on-the-printer"
    await _poll(hass, freezer)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert entry.state is ConfigEntryState.LOADED


async def test_gcode_not_supported(hass: HomeAssistant, prusa_printer: PrusaLinkSimulator) -> None:
    """PrusaLink has no G-code API: send_gcode says so clearly."""
    entry = await setup_printer(hass, prusa_printer)
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, prusa_printer.serial), entry.entry_id
    )
    assert device is not None
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "send_gcode", {"device_id": device.id, "gcode": "G28"}, blocking=True
        )
    assert err.value.translation_key == "not_supported"


async def test_not_ready_when_unreachable(
    hass: HomeAssistant, prusa_printer: PrusaLinkSimulator
) -> None:
    """A printer that does not answer at start-up is retried later."""
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests import printer_entry_data

    data = await printer_entry_data(prusa_printer)
    await prusa_printer.stop()
    entry = MockConfigEntry(domain=DOMAIN, data=data, unique_id=prusa_printer.serial)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_legacy_firmware_repair(
    hass: HomeAssistant, prusa_simulator_factory, freezer: FrozenDateTimeFactory
) -> None:
    """Firmware with only the legacy API works, and a repair issue suggests an update."""
    from homeassistant.helpers import issue_registry as ir

    printer: PrusaLinkSimulator = await prusa_simulator_factory(variant="legacy")
    entry = await setup_printer(hass, printer)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"firmware_too_old_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "firmware_too_old"
    # Without /api/v1/info the printer is known by its host name.
    from types import SimpleNamespace

    identity = SimpleNamespace(serial=entry.runtime_data.serial)
    assert identity.serial != printer.serial
    status = entity_id_of(hass, "sensor", identity, "status")
    assert hass.states.get(status).state == "idle"
    printer.machine.start()
    await _poll(hass, freezer)
    assert hass.states.get(status).state == "printing"
