"""Speed profile select of Bambu Lab printers."""

from __future__ import annotations

from typing import override

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import PrinternizerConfigEntry
from .entity import PrinternizerEntity
from .printers.model import Capability, SpeedProfile

# Commands go to one printer at a time.
PARALLEL_UPDATES = 1

SPEED_PROFILE = SelectEntityDescription(
    key="speed_profile",
    translation_key="speed_profile",
    options=[profile.value for profile in SpeedProfile],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the speed profile select of a printer that has speed levels."""
    coordinator = entry.runtime_data
    if coordinator.supports(Capability.SPEED_PROFILE):
        async_add_entities([SpeedProfileSelect(coordinator, SPEED_PROFILE)])


class SpeedProfileSelect(PrinternizerEntity, SelectEntity):
    """The speed profile; the printer takes a new one only while a job runs."""

    _state_fields = frozenset({"speed_profile", "status", "signed_commands_required"})

    @property
    @override
    def available(self) -> bool:
        state = self.coordinator.data
        return super().available and state.job_active and not state.signed_commands_required

    @override
    def _update_from_state(self) -> object:
        profile = self.coordinator.data.speed_profile
        self._attr_current_option = profile.value if profile else None
        return self._attr_current_option

    @override
    async def async_select_option(self, option: str) -> None:
        await self.coordinator.async_set_speed_profile(SpeedProfile(option))
