"""Target temperatures a printer accepts from Home Assistant."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import UnitOfTemperature
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import PrinternizerConfigEntry, PrinternizerCoordinator
from .entity import PrinternizerEntity
from .printers.model import Capability, PrinterState

# Commands go to one printer at a time.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class PrinternizerNumberEntityDescription(NumberEntityDescription):
    """Describes a target temperature."""

    capability: Capability
    value_fn: Callable[[PrinterState], float | None]
    set_fn: Callable[[PrinternizerCoordinator, float], Awaitable[None]]
    fields: frozenset[str]


NUMBERS: tuple[PrinternizerNumberEntityDescription, ...] = (
    PrinternizerNumberEntityDescription(
        key="nozzle_target_temperature",
        translation_key="nozzle_target_temperature",
        device_class=NumberDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        native_min_value=0,
        native_max_value=300,
        native_step=1,
        mode=NumberMode.BOX,
        capability=Capability.SET_NOZZLE_TEMPERATURE,
        fields=frozenset({"nozzle_target_temperature", "signed_commands_required"}),
        value_fn=lambda state: state.nozzle_target_temperature,
        set_fn=lambda coordinator, value: coordinator.async_set_nozzle_target(value),
    ),
    PrinternizerNumberEntityDescription(
        key="bed_target_temperature",
        translation_key="bed_target_temperature",
        device_class=NumberDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        native_min_value=0,
        native_max_value=120,
        native_step=1,
        mode=NumberMode.BOX,
        capability=Capability.SET_BED_TEMPERATURE,
        fields=frozenset({"bed_target_temperature", "signed_commands_required"}),
        value_fn=lambda state: state.bed_target_temperature,
        set_fn=lambda coordinator, value: coordinator.async_set_bed_target(value),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the target temperatures a printer accepts."""
    coordinator = entry.runtime_data
    async_add_entities(
        TargetTemperature(coordinator, description)
        for description in NUMBERS
        if coordinator.supports(description.capability)
    )


class TargetTemperature(PrinternizerEntity, NumberEntity):
    """A target temperature."""

    entity_description: PrinternizerNumberEntityDescription

    @property
    @override
    def available(self) -> bool:
        return super().available and not self.coordinator.data.signed_commands_required

    @override
    def _update_from_state(self) -> object:
        value = self.entity_description.value_fn(self.coordinator.data)
        self._attr_native_value = None if value is None else round(value)
        return (self._attr_native_value, self.coordinator.data.signed_commands_required)

    @override
    async def async_set_native_value(self, value: float) -> None:
        await self.entity_description.set_fn(self.coordinator, value)
