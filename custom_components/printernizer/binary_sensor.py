"""Binary sensors of a printer: online, printing, problem, door."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import PrinternizerConfigEntry, PrinternizerCoordinator
from .entity import PrinternizerEntity
from .printers.model import Capability, PrinterState, PrinterStatus

# One coordinator per printer serves every entity; nothing to limit.
PARALLEL_UPDATES = 0

_PROBLEM_STATUSES = frozenset({PrinterStatus.ERROR, PrinterStatus.ATTENTION, PrinterStatus.FAILED})


@dataclass(frozen=True, kw_only=True)
class PrinternizerBinarySensorEntityDescription(BinarySensorEntityDescription):
    """Describes a printer binary sensor."""

    value_fn: Callable[[PrinterState], bool | None]
    fields: frozenset[str] | None = None
    exists_fn: Callable[[PrinternizerCoordinator], bool] = lambda _: True


BINARY_SENSORS: tuple[PrinternizerBinarySensorEntityDescription, ...] = (
    PrinternizerBinarySensorEntityDescription(
        key="printing",
        fields=frozenset({"status"}),
        translation_key="printing",
        device_class=BinarySensorDeviceClass.RUNNING,
        value_fn=lambda state: state.status is PrinterStatus.PRINTING,
    ),
    PrinternizerBinarySensorEntityDescription(
        key="problem",
        fields=frozenset({"errors", "status"}),
        translation_key="problem",
        device_class=BinarySensorDeviceClass.PROBLEM,
        value_fn=lambda state: bool(state.errors) or state.status in _PROBLEM_STATUSES,
    ),
    PrinternizerBinarySensorEntityDescription(
        key="door_open",
        fields=frozenset({"door_open"}),
        translation_key="door_open",
        device_class=BinarySensorDeviceClass.DOOR,
        value_fn=lambda state: state.door_open,
        exists_fn=lambda coordinator: coordinator.supports(Capability.DOOR_SENSOR),
    ),
)

ONLINE = BinarySensorEntityDescription(
    key="online",
    translation_key="online",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the binary sensors of a printer."""
    coordinator = entry.runtime_data
    entities: list[PrinternizerEntity] = [OnlineBinarySensor(coordinator, ONLINE)]
    entities.extend(
        PrinternizerBinarySensor(coordinator, description)
        for description in BINARY_SENSORS
        if description.exists_fn(coordinator)
    )
    async_add_entities(entities)


class PrinternizerBinarySensor(PrinternizerEntity, BinarySensorEntity):
    """A binary sensor of a printer."""

    entity_description: PrinternizerBinarySensorEntityDescription

    @override
    def _update_from_state(self) -> object:
        self._attr_is_on = self.entity_description.value_fn(self.coordinator.data)
        return self._attr_is_on


class OnlineBinarySensor(PrinternizerEntity, BinarySensorEntity):
    """Whether Home Assistant can reach the printer; always available itself."""

    _state_fields = frozenset()  # changes with availability only

    @property
    @override
    def available(self) -> bool:
        return True

    @override
    def _update_from_state(self) -> object:
        self._attr_is_on = self.coordinator.last_update_success
        return self._attr_is_on
