"""Sensors of AMS units: one child device per unit with its trays, humidity and temperature."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    UnitOfTemperature,
)
from homeassistant.helpers.device_registry import DeviceInfo

from .ams_devices import ams_identifier
from .const import DOMAIN
from .coordinator import PrinternizerCoordinator
from .printers.model import (
    AmsUnit,
    FilamentSlot,
    PrinterState,
)
from .sensor_descriptions import (
    PrinternizerSensorEntityDescription,
    StateValue,
    slot_attributes,
    slot_value,
    whole,
)

_AMS_FIELDS: frozenset[str] = frozenset({"ams_units"})


def tray_number(unit: int, index: int) -> int:
    """Return the 1-based slot number Bambu uses for tray ``index`` of AMS ``unit``."""
    return unit * 4 + index + 1


def ams_device_info(coordinator: PrinternizerCoordinator, unit: AmsUnit) -> DeviceInfo:
    """Return the child device of an AMS unit."""
    device = DeviceInfo(
        identifiers={(DOMAIN, ams_identifier(coordinator.serial, unit.unit))},
        manufacturer=coordinator.device_info.get("manufacturer"),
        model=unit.model,
        name=f"{coordinator.printer_name} {unit.model} {_unit_label(unit.unit)}",
        serial_number=unit.serial,
        sw_version=unit.firmware,
    )
    if coordinator.device_id is not None:
        device["via_device_id"] = coordinator.device_id
    return device


def _unit_label(unit: int) -> str:
    # AMS HT units are numbered from 128 on; Bambu Studio labels units A, B, C, ...
    return chr(ord("A") + (unit - 128 if unit >= 128 else unit) % 26)


def _find_slot(state: PrinterState, unit: int, index: int) -> FilamentSlot | None:
    for ams in state.ams_units:
        if ams.unit == unit:
            for slot in ams.slots:
                if slot.index == index:
                    return slot
    return None


def _find_unit(state: PrinterState, unit: int) -> AmsUnit | None:
    for ams in state.ams_units:
        if ams.unit == unit:
            return ams
    return None


def ams_descriptions(unit: AmsUnit) -> list[tuple[str, PrinternizerSensorEntityDescription]]:
    """Return (unique key, description) of the sensors of one AMS unit."""
    number = unit.unit

    def unit_value(
        getter: Callable[[AmsUnit], StateValue],
    ) -> Callable[[PrinterState], StateValue]:
        return lambda state: getter(found) if (found := _find_unit(state, number)) else None

    out: list[tuple[str, PrinternizerSensorEntityDescription]] = [
        (
            f"ams_{number}_humidity",
            PrinternizerSensorEntityDescription(
                key="ams_humidity",
                fields=_AMS_FIELDS,
                translation_key="ams_humidity",
                device_class=SensorDeviceClass.HUMIDITY,
                state_class=SensorStateClass.MEASUREMENT,
                native_unit_of_measurement=PERCENTAGE,
                value_fn=unit_value(lambda ams: ams.humidity),
            ),
        ),
        (
            f"ams_{number}_humidity_level",
            PrinternizerSensorEntityDescription(
                key="ams_humidity_level",
                fields=_AMS_FIELDS,
                translation_key="ams_humidity_level",
                value_fn=unit_value(lambda ams: ams.humidity_level),
            ),
        ),
        (
            f"ams_{number}_temperature",
            PrinternizerSensorEntityDescription(
                key="ams_temperature",
                fields=_AMS_FIELDS,
                translation_key="ams_temperature",
                device_class=SensorDeviceClass.TEMPERATURE,
                state_class=SensorStateClass.MEASUREMENT,
                native_unit_of_measurement=UnitOfTemperature.CELSIUS,
                suggested_display_precision=0,
                value_fn=unit_value(lambda ams: whole(ams.temperature)),
            ),
        ),
    ]
    out = [
        (key, description)
        for key, description in out
        if description.value_fn(PrinterState(ams_units=(unit,))) is not None
    ]
    for slot in unit.slots:
        if slot.index is None:
            continue
        key = f"tray_{tray_number(number, slot.index)}"
        out.append((key, _tray_description(key, number, slot.index)))
    return out


def _tray_description(key: str, unit: int, index: int) -> PrinternizerSensorEntityDescription:
    def slot(state: PrinterState) -> FilamentSlot | None:
        return _find_slot(state, unit, index)

    return PrinternizerSensorEntityDescription(
        key=key,
        fields=frozenset({"ams_units", "active_slot"}),
        translation_key="tray",
        translation_placeholders={"tray": str(index + 1)},
        value_fn=lambda state: slot_value(slot(state)),
        attributes_fn=lambda state: slot_attributes(slot(state)),
    )
