"""Every entity of a Bambu Lab and a Prusa printer: registry entry and state, as snapshots.

Only what the integration decides is kept (ids, translation keys, classes, units, states and
attributes), so the same snapshot holds on every supported Home Assistant version; the printers
have fixed serials and per-request tokens are left out.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from syrupy.assertion import SnapshotAssertion

from tests import setup_printer
from tests.simulators.bambu.simulator import BambuSimulator
from tests.simulators.prusa.server import PrusaLinkSimulator

_VOLATILE_ATTRIBUTES = frozenset({"access_token", "entity_picture"})


def _entities(hass: HomeAssistant, entry: ConfigEntry) -> dict[str, Any]:
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    devices = dr.async_get(hass)
    result: dict[str, Any] = {}
    for entity in sorted(entities, key=lambda item: item.entity_id):
        state = hass.states.get(entity.entity_id)
        device = devices.async_get(entity.device_id) if entity.device_id else None
        result[entity.entity_id] = {
            "unique_id": entity.unique_id,
            "device": device.name if device is not None else None,
            "translation_key": entity.translation_key,
            "device_class": _plain(entity.original_device_class),
            "entity_category": _plain(entity.entity_category),
            "unit": entity.unit_of_measurement,
            "disabled_by": _plain(entity.disabled_by),
            "state": state.state if state is not None else None,
            "attributes": (
                {
                    str(key): _plain(value)
                    for key, value in sorted(state.attributes.items())
                    if key not in _VOLATILE_ATTRIBUTES
                }
                if state is not None
                else None
            ),
        }
    return result


def _plain(value: Any) -> Any:
    """Return enum members as their values (states keep whichever the entity set)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


@pytest.mark.parametrize(
    "bambu_printer",
    [{"model": "X1C", "interval": 3600, "serial": "00M09A9A2700472"}],
    indirect=True,
)
async def test_bambu_x1c_entities(
    hass: HomeAssistant, bambu_printer: BambuSimulator, snapshot: SnapshotAssertion
) -> None:
    """An idle X1 Carbon with an AMS: every entity it gets."""
    entry = await setup_printer(hass, bambu_printer)
    assert _entities(hass, entry) == snapshot


@pytest.mark.parametrize(
    "bambu_printer", [{"model": "A1", "interval": 3600, "serial": "03919A3A2200009"}], indirect=True
)
async def test_bambu_a1_entities(
    hass: HomeAssistant, bambu_printer: BambuSimulator, snapshot: SnapshotAssertion
) -> None:
    """An idle A1 (AMS lite, JPEG camera, no door sensor, no chamber temperature): its entities."""
    entry = await setup_printer(hass, bambu_printer)
    assert _entities(hass, entry) == snapshot


async def test_prusa_entities(
    hass: HomeAssistant, prusa_printer: PrusaLinkSimulator, snapshot: SnapshotAssertion
) -> None:
    """An idle Prusa MK4: every entity it gets."""
    entry = await setup_printer(hass, prusa_printer)
    assert _entities(hass, entry) == snapshot
