"""AMS units as child devices: added when reported, removed when gone, deletable once stale."""

from __future__ import annotations

import copy
from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.printernizer.ams_devices import STALE_AFTER
from custom_components.printernizer.const import DOMAIN
from tests import setup_printer, wait_for
from tests.simulators.bambu.simulator import BambuSimulator


def _ams_device(hass: HomeAssistant, printer: BambuSimulator) -> dr.DeviceEntry | None:
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    return dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"{printer.serial}_ams_0"), entry.entry_id
    )


def _ams_entities(hass: HomeAssistant, device: dr.DeviceEntry) -> list[er.RegistryEntry]:
    return er.async_entries_for_device(er.async_get(hass), device.id)


async def _set_units(hass: HomeAssistant, printer: BambuSimulator, units: list[object]) -> None:
    printer.printer.state["ams"]["ams"] = units
    printer.push_full()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    await wait_for(
        hass,
        lambda: len(entry.runtime_data.data.ams_units) == len(units),
        what="AMS units reported",
    )


async def _remove_device(
    hass_ws_client: WebSocketGenerator, hass: HomeAssistant, device_id: str, entry_id: str
) -> bool:
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry_id,
            "device_id": device_id,
        }
    )
    response = await client.receive_json()
    return bool(response["success"])


async def test_unit_removed_after_it_stays_away(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """An unplugged AMS unit's device and sensors go after a while; they return with the unit."""
    await setup_printer(hass, bambu_printer)
    device = _ams_device(hass, bambu_printer)
    assert device is not None
    entities = _ams_entities(hass, device)
    assert len(entities) >= 5  # four trays, humidity, ...
    units = copy.deepcopy(bambu_printer.printer.state["ams"]["ams"])

    await _set_units(hass, bambu_printer, [])
    # A short absence (a broken report, a unit re-seated) changes nothing.
    async_fire_time_changed(hass, dt_util.utcnow() + STALE_AFTER / 2)
    await hass.async_block_till_done()
    assert _ams_device(hass, bambu_printer) is not None

    async_fire_time_changed(hass, dt_util.utcnow() + STALE_AFTER + timedelta(seconds=1))
    await hass.async_block_till_done()
    assert _ams_device(hass, bambu_printer) is None
    for entity in entities:
        assert er.async_get(hass).async_get(entity.entity_id) is None
        assert hass.states.get(entity.entity_id) is None

    await _set_units(hass, bambu_printer, units)
    await hass.async_block_till_done()
    device = _ams_device(hass, bambu_printer)
    assert device is not None
    assert {entity.unique_id for entity in _ams_entities(hass, device)} == {
        entity.unique_id for entity in entities
    }


async def test_unit_back_in_time_keeps_its_device(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """A unit that returns before the delay ends keeps its device (the removal is called off)."""
    await setup_printer(hass, bambu_printer)
    units = copy.deepcopy(bambu_printer.printer.state["ams"]["ams"])
    await _set_units(hass, bambu_printer, [])
    await _set_units(hass, bambu_printer, units)
    async_fire_time_changed(hass, dt_util.utcnow() + STALE_AFTER * 2)
    await hass.async_block_till_done()
    assert _ams_device(hass, bambu_printer) is not None


async def test_stale_unit_can_be_deleted_by_hand(
    hass: HomeAssistant, bambu_printer: BambuSimulator, hass_ws_client: WebSocketGenerator
) -> None:
    """Only the device of a unit the printer no longer reports can be deleted from the UI."""
    assert await async_setup_component(hass, "config", {})
    entry = await setup_printer(hass, bambu_printer)
    printer_device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, bambu_printer.serial), entry.entry_id
    )
    assert printer_device is not None
    device = _ams_device(hass, bambu_printer)
    assert device is not None

    assert not await _remove_device(hass_ws_client, hass, printer_device.id, entry.entry_id)
    assert not await _remove_device(hass_ws_client, hass, device.id, entry.entry_id)

    await _set_units(hass, bambu_printer, [])
    assert await _remove_device(hass_ws_client, hass, device.id, entry.entry_id)
    assert _ams_device(hass, bambu_printer) is None
    # The pending automatic removal finds nothing left to do.
    async_fire_time_changed(hass, dt_util.utcnow() + STALE_AFTER * 2)
    await hass.async_block_till_done()
    assert _ams_device(hass, bambu_printer) is None
