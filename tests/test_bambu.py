"""A simulated Bambu Lab printer in Home Assistant, over real MQTT/TLS sockets."""

from __future__ import annotations

import asyncio

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.light import DOMAIN as LIGHT_DOMAIN
from homeassistant.components.number import (
    ATTR_VALUE,
    DOMAIN as NUMBER_DOMAIN,
    SERVICE_SET_VALUE,
)
from homeassistant.components.select import (
    ATTR_OPTION,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    EVENT_STATE_CHANGED,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
import pytest

from custom_components.printernizer.const import DOMAIN
from tests import entity_id_of, setup_printer, wait_for, wait_for_state
from tests.simulators.bambu.simulator import BambuSimulator


async def test_print_lifecycle_and_controls(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """A print runs, pauses, resumes and is cancelled from Home Assistant."""
    await setup_printer(hass, bambu_printer)
    status = entity_id_of(hass, "sensor", bambu_printer, "status")
    pause = entity_id_of(hass, BUTTON_DOMAIN, bambu_printer, "pause")
    resume = entity_id_of(hass, BUTTON_DOMAIN, bambu_printer, "resume")
    stop = entity_id_of(hass, BUTTON_DOMAIN, bambu_printer, "stop")
    assert hass.states.get(status).state == "idle"
    assert hass.states.get(pause).state == STATE_UNAVAILABLE

    bambu_printer.start_print("benchy.3mf")
    await wait_for_state(hass, status, "printing")
    file = entity_id_of(hass, "sensor", bambu_printer, "current_file")
    assert "benchy" in hass.states.get(file).state
    assert hass.states.get(pause).state != STATE_UNAVAILABLE
    assert hass.states.get(resume).state == STATE_UNAVAILABLE

    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: pause}, blocking=True
    )
    assert bambu_printer.requests("pause")
    await wait_for_state(hass, status, "paused")
    assert hass.states.get(resume).state != STATE_UNAVAILABLE

    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: resume}, blocking=True
    )
    await wait_for_state(hass, status, "printing")

    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: stop}, blocking=True
    )
    await wait_for_state(hass, status, "cancelled")


async def test_speed_light_temperatures_gcode(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """Every control entity sends the printer's command and follows its report."""
    entry = await setup_printer(hass, bambu_printer)
    light = entity_id_of(hass, LIGHT_DOMAIN, bambu_printer, "chamber_light")
    await hass.services.async_call(
        LIGHT_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: light}, blocking=True
    )
    request = await bambu_printer.wait_for_request("ledctrl")
    assert request["system"]["led_mode"] == "off"
    await wait_for_state(hass, light, STATE_OFF)
    await hass.services.async_call(
        LIGHT_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: light}, blocking=True
    )
    await wait_for_state(hass, light, STATE_ON)

    nozzle = entity_id_of(hass, NUMBER_DOMAIN, bambu_printer, "nozzle_target_temperature")
    await hass.services.async_call(
        NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: nozzle, ATTR_VALUE: 215}, blocking=True
    )
    assert "M104 S215" in (await bambu_printer.wait_for_request("gcode_line"))["print"]["param"]
    await wait_for_state(hass, nozzle, "215")
    bed = entity_id_of(hass, NUMBER_DOMAIN, bambu_printer, "bed_target_temperature")
    await hass.services.async_call(
        NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: bed, ATTR_VALUE: 60}, blocking=True
    )
    await wait_for_state(hass, bed, "60")

    speed = entity_id_of(hass, SELECT_DOMAIN, bambu_printer, "speed_profile")
    assert hass.states.get(speed).state == STATE_UNAVAILABLE
    bambu_printer.start_print("cube.3mf")
    await wait_for_state(hass, entity_id_of(hass, "sensor", bambu_printer, "status"), "printing")
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: speed, ATTR_OPTION: "sport"},
        blocking=True,
    )
    assert (await bambu_printer.wait_for_request("print_speed"))["print"]["param"] == "3"
    await wait_for_state(hass, speed, "sport")

    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, bambu_printer.serial), entry.entry_id
    )
    assert device is not None
    await hass.services.async_call(
        DOMAIN, "send_gcode", {"device_id": device.id, "gcode": "G28"}, blocking=True
    )
    assert any(
        "G28" in request["print"]["param"] for request in bambu_printer.requests("gcode_line")
    )


async def test_rejected_command_is_a_translated_error(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """A command the printer refuses raises a translated HomeAssistantError."""
    await setup_printer(hass, bambu_printer)
    light = entity_id_of(hass, LIGHT_DOMAIN, bambu_printer, "chamber_light")
    bambu_printer.reject_next("ledctrl", "busy")
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            LIGHT_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: light}, blocking=True
        )
    assert err.value.translation_key == "command_rejected"


async def test_unavailable_while_disconnected(
    hass: HomeAssistant, bambu_printer: BambuSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Entities go unavailable when the printer is switched off and come back with it."""
    await setup_printer(hass, bambu_printer)
    status = entity_id_of(hass, "sensor", bambu_printer, "status")
    online = entity_id_of(hass, "binary_sensor", bambu_printer, "online")
    await bambu_printer.go_offline()
    await wait_for_state(hass, status, STATE_UNAVAILABLE)
    assert hass.states.get(online).state == STATE_OFF
    await bambu_printer.go_online()
    await wait_for_state(hass, status, "idle", timeout=20)
    assert hass.states.get(online).state == STATE_ON
    assert caplog.text.count("is unavailable") == 1
    assert caplog.text.count("is back online") == 1


async def test_state_writes_only_for_changes(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """A report that changes one value writes one entity, not all of them."""
    await setup_printer(hass, bambu_printer)
    bambu_printer.stall(until_reconnect=False)
    await asyncio.sleep(0.3)
    await hass.async_block_till_done()
    writes: list[Event] = []
    hass.bus.async_listen(EVENT_STATE_CHANGED, writes.append)
    await bambu_printer.push(
        {"print": {"command": "push_status", "msg": 1, "wifi_signal": "-61dBm"}}
    )
    await bambu_printer.push({"print": {"command": "push_status", "msg": 1, "mc_percent": 0}})
    await bambu_printer.push({"print": {"command": "push_status", "msg": 1, "bed_temper": 48.2}})
    await wait_for(hass, lambda: len(writes) >= 1, what="a state write")
    await hass.async_block_till_done()
    bed = entity_id_of(hass, "sensor", bambu_printer, "bed_temperature")
    assert [event.data["entity_id"] for event in writes] == [bed]


async def test_signed_command_firmware(hass: HomeAssistant, bambu_printer: BambuSimulator) -> None:
    """Authorization firmware: controls stay but are unavailable, and a repair issue explains."""
    entry = await setup_printer(hass, bambu_printer)
    light = entity_id_of(hass, LIGHT_DOMAIN, bambu_printer, "chamber_light")
    bambu_printer.set_signed_commands_required(True)
    bambu_printer.push_full()
    await wait_for_state(hass, light, STATE_UNAVAILABLE)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"signed_commands_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "signed_commands_required"
    bambu_printer.set_signed_commands_required(False)
    bambu_printer.push_full()
    await wait_for(
        hass,
        lambda: hass.states.get(light).state != STATE_UNAVAILABLE,
        what="light available again",
    )
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"signed_commands_{entry.entry_id}") is None


async def test_unload(hass: HomeAssistant, bambu_printer: BambuSimulator) -> None:
    """Unloading closes the MQTT connection."""
    entry = await setup_printer(hass, bambu_printer)
    await bambu_printer.wait_for_clients(1)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    await wait_for(hass, lambda: bambu_printer.clients == 0, what="client gone")


async def test_send_gcode_errors(hass: HomeAssistant, bambu_printer: BambuSimulator) -> None:
    """send_gcode names a printer by device id; other devices are a validation error."""
    entry = await setup_printer(hass, bambu_printer)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "send_gcode", {"device_id": "nope", "gcode": "G28"}, blocking=True
        )
    assert err.value.translation_key == "device_not_found"
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, bambu_printer.serial), entry.entry_id
    )
    assert device is not None
    await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "send_gcode", {"device_id": device.id, "gcode": "G28"}, blocking=True
        )
    assert err.value.translation_key == "printer_not_loaded"


@pytest.mark.parametrize("bambu_printer", ["A1", "P1S", "P1P", "A1MINI", "H2D"], indirect=True)
async def test_models_set_up(hass: HomeAssistant, bambu_printer: BambuSimulator) -> None:
    """Each simulated model sets up; models without a chamber sensor have no such entity."""
    entry = await setup_printer(hass, bambu_printer)
    from homeassistant.helpers import entity_registry as er

    chamber = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{bambu_printer.serial}_chamber_temperature"
    )
    has_chamber = bambu_printer.model in {"H2D", "X1C"}
    assert (chamber is not None) is has_chamber
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, bambu_printer.serial), entry.entry_id
    )
    assert device is not None
    assert device.manufacturer == "Bambu Lab"
    assert device.sw_version


@pytest.mark.parametrize("bambu_printer", ["H2D"], indirect=True)
async def test_dual_nozzle_left_external_spool(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """An H2D shows the spool on the left extruder's holder beside the main one."""
    await setup_printer(hass, bambu_printer)
    left = hass.states.get(entity_id_of(hass, "sensor", bambu_printer, "external_left_spool"))
    assert left is not None
    assert left.state == "PETG"
    assert left.attributes["color"] == "#FF6A13"
    assert hass.states.get(entity_id_of(hass, "sensor", bambu_printer, "external_spool"))
