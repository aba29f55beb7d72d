"""Analytics totals of a printer as sensors with long-term statistics.

The values come from the job store (ended jobs since the last ``reset_statistics``, plus what
retention removed since then), so they survive restarts and never decrease but for a reset. They
change when a job ends (and when a just-ended job's filament weight arrives).

State classes: counters that only grow (jobs, print time, energy) are ``total_increasing``; a
reset starts them from zero, which the recorder takes as a new meter cycle. Filament and cost are
``total`` with ``last_reset`` at the last reset (a job's estimated grams can be replaced by the
slicer's smaller figure; ``total`` records that correction as such). ``total_energy`` is an
energy sensor in kWh, so it can be added to the Energy dashboard as an individual device.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, UnitOfEnergy, UnitOfMass, UnitOfTime
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .analytics import Totals
from .const import DOMAIN
from .energy import signal_totals
from .entity import PrinternizerEntity
from .job_recorder import JobRecorder
from .store import JobStore

type TotalValue = int | float | None


@dataclass(frozen=True, kw_only=True)
class AnalyticsSensorEntityDescription(SensorEntityDescription):
    """Describes a sensor of a printer's totals."""

    value_fn: Callable[[Totals], TotalValue]
    fields: frozenset[str] = frozenset()
    """No printer state field: only a job's end changes these."""


ANALYTICS_SENSORS: tuple[AnalyticsSensorEntityDescription, ...] = (
    AnalyticsSensorEntityDescription(
        key="total_jobs",
        translation_key="total_jobs",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda totals: totals.jobs,
    ),
    AnalyticsSensorEntityDescription(
        key="total_print_time",
        translation_key="total_print_time",
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfTime.HOURS,
        suggested_display_precision=1,
        value_fn=lambda totals: round(totals.print_seconds / 3600, 3),
    ),
    AnalyticsSensorEntityDescription(
        key="total_filament_used",
        translation_key="total_filament_used",
        device_class=SensorDeviceClass.WEIGHT,
        state_class=SensorStateClass.TOTAL,
        native_unit_of_measurement=UnitOfMass.GRAMS,
        suggested_display_precision=0,
        value_fn=lambda totals: round(totals.filament_g, 1),
    ),
    AnalyticsSensorEntityDescription(
        key="total_energy",
        translation_key="total_energy",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda totals: round(totals.energy_kwh, 4),
    ),
    AnalyticsSensorEntityDescription(
        key="total_cost",
        translation_key="total_cost",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        value_fn=lambda totals: round(totals.cost, 4),
    ),
    AnalyticsSensorEntityDescription(
        key="success_rate",
        translation_key="success_rate",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=lambda totals: (
            None if totals.success_rate is None else round(totals.success_rate, 1)
        ),
    ),
)


class PrinterTotals:
    """The totals of one printer, read from the store once for all its sensors."""

    def __init__(self, hass: HomeAssistant, store: JobStore, serial: str) -> None:
        """Follow the totals of ``serial``."""
        self.hass = hass
        self.store = store
        self.serial = serial
        self.totals = Totals()
        self._listeners: list[CALLBACK_TYPE] = []
        self._unsubscribe: CALLBACK_TYPE | None = None

    async def async_refresh(self) -> None:
        """Read the totals again; tell the sensors when they changed."""
        totals = await self.store.async_totals(self.serial)
        if totals != self.totals:
            self.totals = totals
            for listener in list(self._listeners):
                listener()

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` when the totals change; return the function that stops it."""
        if not self._listeners:
            self._unsubscribe = async_dispatcher_connect(
                self.hass, signal_totals(self.serial), self._changed
            )
        self._listeners.append(listener)

        @callback
        def remove() -> None:
            self._listeners.remove(listener)
            if not self._listeners and self._unsubscribe is not None:
                self._unsubscribe()
                self._unsubscribe = None

        return remove

    @callback
    def _changed(self) -> None:
        self.hass.async_create_task(self.async_refresh(), f"{DOMAIN} totals {self.serial}")


async def async_analytics_sensors(recorder: JobRecorder) -> list[AnalyticsSensor]:
    """Return the totals sensors of a printer (with the totals already read)."""
    totals = PrinterTotals(recorder.hass, recorder.store, recorder.coordinator.serial)
    await totals.async_refresh()
    return [AnalyticsSensor(recorder, totals, description) for description in ANALYTICS_SENSORS]


class AnalyticsSensor(PrinternizerEntity, SensorEntity):
    """A total of a printer's jobs; known from the history whether the printer is there or not."""

    entity_description: AnalyticsSensorEntityDescription

    def __init__(
        self,
        recorder: JobRecorder,
        totals: PrinterTotals,
        description: AnalyticsSensorEntityDescription,
    ) -> None:
        """Initialize for the printer of ``recorder``."""
        super().__init__(recorder.coordinator, description)
        self._totals = totals
        if description.device_class is SensorDeviceClass.MONETARY:
            self._attr_native_unit_of_measurement = recorder.hass.config.currency

    @property
    @override
    def available(self) -> bool:
        """Return True: totals come from the job history."""
        return True

    @property
    @override
    def last_reset(self) -> datetime | None:
        """Return when the totals were last reset (``total`` sensors only)."""
        if self.entity_description.state_class is SensorStateClass.TOTAL:
            return self._totals.totals.last_reset
        return None

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self._totals.async_add_listener(self._handle_coordinator_update))

    @override
    def _update_from_state(self) -> object:
        totals = self._totals.totals
        self._attr_native_value = self.entity_description.value_fn(totals)
        return (self._attr_native_value, totals.last_reset)
