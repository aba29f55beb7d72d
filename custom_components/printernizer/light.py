"""Chamber light of Bambu Lab printers."""

from __future__ import annotations

from typing import Any, override

from homeassistant.components.light import ColorMode, LightEntity, LightEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import PrinternizerConfigEntry
from .entity import PrinternizerEntity
from .printers.model import Capability

# Commands go to one printer at a time.
PARALLEL_UPDATES = 1

CHAMBER_LIGHT = LightEntityDescription(key="chamber_light", translation_key="chamber_light")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the chamber light of a printer that has one."""
    coordinator = entry.runtime_data
    if coordinator.supports(Capability.CHAMBER_LIGHT):
        async_add_entities([ChamberLight(coordinator, CHAMBER_LIGHT)])


class ChamberLight(PrinternizerEntity, LightEntity):
    """The chamber light; unavailable on firmware that refuses unsigned commands."""

    _attr_color_mode = ColorMode.ONOFF
    _attr_supported_color_modes = {ColorMode.ONOFF}  # noqa: RUF012
    _state_fields = frozenset({"chamber_light", "signed_commands_required"})

    @property
    @override
    def available(self) -> bool:
        return super().available and not self.coordinator.data.signed_commands_required

    @override
    def _update_from_state(self) -> object:
        self._attr_is_on = self.coordinator.data.chamber_light
        return (self._attr_is_on, self.coordinator.data.signed_commands_required)

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        await self.coordinator.async_set_chamber_light(True)

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        await self.coordinator.async_set_chamber_light(False)
