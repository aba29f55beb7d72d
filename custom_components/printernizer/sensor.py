"""Sensors of a printer: job, temperatures, fans, filament, errors."""

from __future__ import annotations

from typing import override

from homeassistant.components.sensor import (
    SensorEntity,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .ams_devices import AmsDevices
from .ams_sensors import ams_descriptions, ams_device_info
from .analytics_sensor import async_analytics_sensors
from .coordinator import PrinternizerConfigEntry
from .entity import PrinternizerEntity
from .job_recorder import recorder_for
from .job_sensor import job_sensors
from .printers.model import AmsUnit
from .sensor_descriptions import SENSORS, PrinternizerSensorEntityDescription

# One coordinator per printer serves every entity; nothing to limit.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors of a printer, and of AMS units as they appear."""
    coordinator = entry.runtime_data
    async_add_entities(
        PrinternizerSensor(coordinator, description)
        for description in SENSORS
        if description.exists_fn(coordinator)
    )
    async_add_entities(job_sensors(recorder_for(hass, entry)))
    async_add_entities(await async_analytics_sensors(recorder_for(hass, entry)))

    @callback
    def add_unit(unit: AmsUnit) -> None:
        device = ams_device_info(coordinator, unit)
        async_add_entities(
            PrinternizerSensor(coordinator, description, device_info=device, unique_key=key)
            for key, description in ams_descriptions(unit)
        )

    AmsDevices(hass, entry, add_unit).async_start()


class PrinternizerSensor(PrinternizerEntity, SensorEntity):
    """A sensor of a printer."""

    entity_description: PrinternizerSensorEntityDescription
    # Filament and error details change rarely but are bulky; the state carries what matters.
    _unrecorded_attributes = frozenset(
        {
            "color",
            "name",
            "remaining",
            "empty",
            "active",
            "slot",
            "nozzle_temperature_min",
            "nozzle_temperature_max",
            "errors",
            "text",
            "url",
            "module",
            "stage",
        }
    )

    @override
    def _update_from_state(self) -> object:
        state = self.coordinator.data
        description = self.entity_description
        self._attr_native_value = description.value_fn(state)
        attributes = description.attributes_fn(state) if description.attributes_fn else None
        self._attr_extra_state_attributes = dict(attributes) if attributes else {}
        return (self._attr_native_value, attributes)
