"""AMS units as child devices of their printer: added when they appear, removed once gone.

A Bambu printer reports every AMS unit attached to it in each full report, and its deltas merge into
that by unit id. A unit missing from the report has been unplugged (or the printer sent a broken
report), so its device is removed only after it stayed away for :data:`STALE_AFTER`; a unit that
comes back gets its device and sensors again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_call_later

from .const import DOMAIN
from .coordinator import PrinternizerConfigEntry
from .printers.model import AmsUnit

STALE_AFTER: Final = timedelta(minutes=10)

_FIELDS: Final = frozenset({"ams_units"})


def ams_identifier(serial: str, unit: int) -> str:
    """Return the device identifier of AMS ``unit`` of the printer ``serial``."""
    return f"{serial}_ams_{unit}"


class AmsDevices:
    """Follows the AMS units a printer reports."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrinternizerConfigEntry,
        add_unit: Callable[[AmsUnit], None],
    ) -> None:
        """Call ``add_unit`` for each unit that appears."""
        self._hass = hass
        self._entry = entry
        self._add_unit = add_unit
        self._known: set[int] = set()
        self._removals: dict[int, CALLBACK_TYPE] = {}

    @callback
    def async_start(self) -> None:
        """Add the units reported so far and follow the printer's reports."""
        coordinator = self._entry.runtime_data
        self._update()
        self._entry.async_on_unload(coordinator.async_add_field_listener(_FIELDS, self._update))
        self._entry.async_on_unload(self._cancel_removals)

    @callback
    def _update(self) -> None:
        reported = {unit.unit: unit for unit in self._entry.runtime_data.data.ams_units}
        for number, unit in reported.items():
            if (cancel := self._removals.pop(number, None)) is not None:
                cancel()
            if number not in self._known:
                self._known.add(number)
                self._add_unit(unit)
        for number in self._known - reported.keys():
            if number not in self._removals:
                self._removals[number] = async_call_later(
                    self._hass, STALE_AFTER, self._remover(number)
                )

    def _remover(self, number: int) -> Callable[[datetime], None]:
        @callback
        def remove(_now: datetime) -> None:
            del self._removals[number]
            self._known.discard(number)
            registry = dr.async_get(self._hass)
            serial = self._entry.runtime_data.serial
            device = registry.async_get_device_by_identifier(
                (DOMAIN, ams_identifier(serial, number)), self._entry.entry_id
            )
            if device is not None:
                registry.async_update_device(device.id, remove_config_entry_id=self._entry.entry_id)

        return remove

    @callback
    def _cancel_removals(self) -> None:
        while self._removals:
            self._removals.popitem()[1]()
