"""What the sensors of a printer show, and where each value comes from in the printer state."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    REVOLUTIONS_PER_MINUTE,
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    UnitOfTemperature,
    UnitOfTime,
)

from .coordinator import PrinternizerCoordinator
from .printers.model import (
    Capability,
    FilamentSlot,
    PrinterState,
    PrinterStatus,
    SpeedProfile,
    Vendor,
)

type StateValue = str | int | float | datetime | None


@dataclass(frozen=True, kw_only=True)
class PrinternizerSensorEntityDescription(SensorEntityDescription):
    """Describes a printer sensor."""

    value_fn: Callable[[PrinterState], StateValue]
    fields: frozenset[str] | None = None
    """The state fields the value and attributes come from."""
    attributes_fn: Callable[[PrinterState], Mapping[str, Any]] | None = None
    exists_fn: Callable[[PrinternizerCoordinator], bool] = lambda _: True


def whole(value: float | None) -> int | None:
    """Quantize a noisy reading to the whole degrees that are displayed."""
    return None if value is None else round(value)


def _has(capability: Capability) -> Callable[[PrinternizerCoordinator], bool]:
    return lambda coordinator: coordinator.supports(capability)


def _reported(
    value_fn: Callable[[PrinterState], object],
) -> Callable[[PrinternizerCoordinator], bool]:
    """Create the entity only for printers that report the value."""
    return lambda coordinator: value_fn(coordinator.data) is not None


def slot_attributes(slot: FilamentSlot | None) -> dict[str, Any]:
    """Return the details of a filament slot as state attributes."""
    if slot is None:
        return {}
    return {
        "slot": slot.key,
        "color": slot.color,
        "name": slot.name,
        "remaining": slot.remaining,
        "empty": slot.empty,
        "active": slot.active,
        "nozzle_temperature_min": slot.nozzle_temp_min,
        "nozzle_temperature_max": slot.nozzle_temp_max,
    }


def slot_value(slot: FilamentSlot | None) -> str | None:
    """Return the material in a slot (None when empty or unknown)."""
    if slot is None or slot.empty:
        return None
    return slot.material


def _error_attributes(state: PrinterState) -> dict[str, Any]:
    error = state.error
    if error is None:
        return {"count": 0}
    return {
        "code": error.code,
        "severity": error.severity.value,
        "module": error.module,
        "text": error.text,
        "url": error.url,
        "count": len(state.errors),
        "errors": [
            {"code": err.code, "severity": err.severity.value, "text": err.text}
            for err in state.errors
        ],
    }


SENSORS: tuple[PrinternizerSensorEntityDescription, ...] = (
    PrinternizerSensorEntityDescription(
        key="status",
        fields=frozenset({"status", "stage"}),
        translation_key="status",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in PrinterStatus],
        value_fn=lambda state: state.status.value,
        attributes_fn=lambda state: {"stage": state.stage},
    ),
    PrinternizerSensorEntityDescription(
        key="progress",
        fields=frozenset({"progress"}),
        translation_key="progress",
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=lambda state: None if state.progress is None else round(state.progress),
    ),
    PrinternizerSensorEntityDescription(
        key="remaining_time",
        fields=frozenset({"remaining_time"}),
        translation_key="remaining_time",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        value_fn=lambda state: state.remaining_time,
    ),
    PrinternizerSensorEntityDescription(
        key="start_time",
        fields=frozenset({"job_start"}),
        translation_key="start_time",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda state: state.job_start,
    ),
    PrinternizerSensorEntityDescription(
        key="end_time",
        fields=frozenset({"job_end"}),
        translation_key="end_time",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda state: state.job_end,
    ),
    PrinternizerSensorEntityDescription(
        key="current_file",
        fields=frozenset({"file"}),
        translation_key="current_file",
        value_fn=lambda state: state.file,
    ),
    PrinternizerSensorEntityDescription(
        key="current_layer",
        fields=frozenset({"current_layer"}),
        translation_key="current_layer",
        value_fn=lambda state: state.current_layer,
        exists_fn=_has(Capability.LAYERS),
    ),
    PrinternizerSensorEntityDescription(
        key="total_layers",
        fields=frozenset({"total_layers"}),
        translation_key="total_layers",
        value_fn=lambda state: state.total_layers,
        exists_fn=_has(Capability.LAYERS),
    ),
    PrinternizerSensorEntityDescription(
        key="nozzle_temperature",
        fields=frozenset({"nozzle_temperature"}),
        translation_key="nozzle_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=0,
        value_fn=lambda state: whole(state.nozzle_temperature),
    ),
    PrinternizerSensorEntityDescription(
        key="nozzle_target_temperature",
        fields=frozenset({"nozzle_target_temperature"}),
        translation_key="nozzle_target_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=0,
        value_fn=lambda state: whole(state.nozzle_target_temperature),
    ),
    PrinternizerSensorEntityDescription(
        key="bed_temperature",
        fields=frozenset({"bed_temperature"}),
        translation_key="bed_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=0,
        value_fn=lambda state: whole(state.bed_temperature),
    ),
    PrinternizerSensorEntityDescription(
        key="bed_target_temperature",
        fields=frozenset({"bed_target_temperature"}),
        translation_key="bed_target_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=0,
        value_fn=lambda state: whole(state.bed_target_temperature),
    ),
    PrinternizerSensorEntityDescription(
        key="chamber_temperature",
        fields=frozenset({"chamber_temperature"}),
        translation_key="chamber_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=0,
        value_fn=lambda state: whole(state.chamber_temperature),
        exists_fn=_has(Capability.CHAMBER_TEMPERATURE),
    ),
    PrinternizerSensorEntityDescription(
        key="speed_profile",
        fields=frozenset({"speed_profile"}),
        translation_key="speed_profile",
        device_class=SensorDeviceClass.ENUM,
        options=[profile.value for profile in SpeedProfile],
        value_fn=lambda state: state.speed_profile.value if state.speed_profile else None,
        exists_fn=_has(Capability.SPEED_PROFILE),
    ),
    PrinternizerSensorEntityDescription(
        key="print_speed",
        fields=frozenset({"print_speed"}),
        translation_key="print_speed",
        native_unit_of_measurement=PERCENTAGE,
        value_fn=lambda state: state.print_speed,
        exists_fn=_reported(lambda state: state.print_speed),
    ),
    PrinternizerSensorEntityDescription(
        key="part_fan_speed",
        fields=frozenset({"part_fan_speed"}),
        translation_key="part_fan_speed",
        native_unit_of_measurement=PERCENTAGE,
        value_fn=lambda state: state.part_fan_speed,
        exists_fn=_has(Capability.FANS_PERCENT),
    ),
    PrinternizerSensorEntityDescription(
        key="aux_fan_speed",
        fields=frozenset({"aux_fan_speed"}),
        translation_key="aux_fan_speed",
        native_unit_of_measurement=PERCENTAGE,
        value_fn=lambda state: state.aux_fan_speed,
        exists_fn=_reported(lambda state: state.aux_fan_speed),
    ),
    PrinternizerSensorEntityDescription(
        key="chamber_fan_speed",
        fields=frozenset({"chamber_fan_speed"}),
        translation_key="chamber_fan_speed",
        native_unit_of_measurement=PERCENTAGE,
        value_fn=lambda state: state.chamber_fan_speed,
        exists_fn=_reported(lambda state: state.chamber_fan_speed),
    ),
    PrinternizerSensorEntityDescription(
        key="hotend_fan_speed",
        fields=frozenset({"hotend_fan_rpm"}),
        translation_key="hotend_fan_speed",
        native_unit_of_measurement=REVOLUTIONS_PER_MINUTE,
        entity_registry_enabled_default=False,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.hotend_fan_rpm,
        exists_fn=_has(Capability.FANS_RPM),
    ),
    PrinternizerSensorEntityDescription(
        key="print_fan_speed",
        fields=frozenset({"print_fan_rpm"}),
        translation_key="print_fan_speed",
        native_unit_of_measurement=REVOLUTIONS_PER_MINUTE,
        entity_registry_enabled_default=False,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.print_fan_rpm,
        exists_fn=_has(Capability.FANS_RPM),
    ),
    PrinternizerSensorEntityDescription(
        key="active_filament",
        fields=frozenset({"active_slot", "ams_units", "external_spool", "external_left_spool"}),
        translation_key="active_filament",
        value_fn=lambda state: slot_value(state.active_filament),
        attributes_fn=lambda state: slot_attributes(state.active_filament),
        exists_fn=_reported(lambda state: state.slots or None),
    ),
    PrinternizerSensorEntityDescription(
        key="external_spool",
        fields=frozenset({"external_spool"}),
        translation_key="external_spool",
        value_fn=lambda state: slot_value(state.external_spool),
        attributes_fn=lambda state: slot_attributes(state.external_spool),
        # Prusa printers have one filament path; only Bambu Lab has a spool holder beside the AMS.
        exists_fn=lambda coordinator: (
            coordinator.vendor is Vendor.BAMBU and coordinator.data.external_spool is not None
        ),
    ),
    PrinternizerSensorEntityDescription(
        key="external_left_spool",
        fields=frozenset({"external_left_spool"}),
        translation_key="external_left_spool",
        value_fn=lambda state: slot_value(state.external_left_spool),
        attributes_fn=lambda state: slot_attributes(state.external_left_spool),
        # Dual-nozzle printers (H2D, H2C) have a second holder for the left extruder.
        exists_fn=lambda coordinator: coordinator.data.external_left_spool is not None,
    ),
    PrinternizerSensorEntityDescription(
        key="error",
        fields=frozenset({"errors"}),
        translation_key="error",
        value_fn=lambda state: state.error.code if state.error else "none",
        attributes_fn=_error_attributes,
    ),
    PrinternizerSensorEntityDescription(
        key="wifi_signal",
        fields=frozenset({"wifi_signal"}),
        translation_key="wifi_signal",
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.wifi_signal,
        exists_fn=_has(Capability.WIFI_SIGNAL),
    ),
)
