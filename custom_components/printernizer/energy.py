"""Energy, electricity price and cost of print jobs, from Home Assistant's entities and recorder.

When a job ends, :class:`JobCosts` works out its energy and cost (arithmetic in ``analytics``):

- With a linked power or energy sensor (a smart plug), the energy is measured over the job window:
  from the recorder's history when the recorder runs (covers jobs that began before a restart),
  merged with the states this run saw live (the recorder writes with a delay; without the
  recorder the live states alone are used). Too few readings: the energy is estimated.
- Otherwise (or then) it is estimated from the printer's watts (option, else the model's
  default) x the job's duration, and marked estimated.
- The electricity price is the price entity's time-weighted average over the job window (same
  sources), else the fixed price option.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
import math
from typing import Any, Final

from homeassistant.components.recorder import get_instance, history
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_UNIT_OF_MEASUREMENT,
    UnitOfEnergy,
    UnitOfPower,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util.unit_conversion import EnergyConverter, PowerConverter

from .analytics import (
    DEFAULT_WATTS,
    PRUSA_WATTS,
    FilamentPrices,
    Sample,
    estimated_energy,
    job_cost,
    measured_energy,
    time_weighted_average,
)
from .const import (
    CONF_ELECTRICITY_PRICE,
    CONF_ELECTRICITY_PRICE_ENTITY,
    CONF_FILAMENT_PRICE,
    CONF_FILAMENT_PRICES,
    CONF_POWER,
    CONF_POWER_ENTITY,
    DOMAIN,
    LOGGER,
)
from .jobs import Job
from .printers.bambu.models import MODELS_BY_ID
from .printers.model import PrinterInfo, Vendor

RECORDER: Final = "recorder"


def signal_totals(serial: str) -> str:
    """Return the dispatcher signal sent when a printer's totals may have changed."""
    return f"{DOMAIN}_totals_{serial}"


def default_watts(info: PrinterInfo) -> float:
    """Return the average draw assumed for the printer's model."""
    if info.vendor is Vendor.BAMBU and (spec := MODELS_BY_ID.get(info.model_id or "")):
        return float(spec.power_w)
    if info.vendor is Vendor.PRUSA and (watts := PRUSA_WATTS.get(info.model or "")):
        return watts
    return DEFAULT_WATTS


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class CostSettings:
    """A printer's price and energy options, with the defaults applied."""

    watts: float
    power_entity: str | None = None
    price: float | None = None
    price_entity: str | None = None
    filament: FilamentPrices = field(default_factory=FilamentPrices)

    @classmethod
    def from_options(cls, options: Mapping[str, Any], info: PrinterInfo) -> CostSettings:
        """Read the options of a printer's config entry."""
        prices = options.get(CONF_FILAMENT_PRICES)
        by_material = {
            str(material).upper(): price
            for material, raw in (prices.items() if isinstance(prices, Mapping) else ())
            if (price := _number(raw)) is not None
        }
        return cls(
            watts=_number(options.get(CONF_POWER)) or default_watts(info),
            power_entity=options.get(CONF_POWER_ENTITY) or None,
            price=_number(options.get(CONF_ELECTRICITY_PRICE)),
            price_entity=options.get(CONF_ELECTRICITY_PRICE_ENTITY) or None,
            filament=FilamentPrices(
                default=_number(options.get(CONF_FILAMENT_PRICE)), by_material=by_material
            ),
        )


# ---------------------------------------------------------------------------------- readings


def _is_counter(states: Sequence[State]) -> bool:
    """Return True for an energy sensor (a counter), False for a power sensor."""
    for state in reversed(states):
        device_class = state.attributes.get(ATTR_DEVICE_CLASS)
        if device_class == SensorDeviceClass.ENERGY:
            return True
        if device_class == SensorDeviceClass.POWER:
            return False
        unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
        if unit in EnergyConverter.VALID_UNITS:
            return True
        if unit in PowerConverter.VALID_UNITS:
            return False
    return False


def _reading(state: State, *, counter: bool) -> float | None:
    """Return a power reading in W or an energy reading in kWh (None: unknown)."""
    value = _number(state.state)
    if value is None:
        return None
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
    converter = EnergyConverter if counter else PowerConverter
    target = UnitOfEnergy.KILO_WATT_HOUR if counter else UnitOfPower.WATT
    if unit is None or unit == target:
        return value
    if unit not in converter.VALID_UNITS:
        return None
    return converter.convert(value, unit, target)


def _samples(states: Iterable[State], reading: Any) -> list[Sample]:
    return [(state.last_changed, reading(state)) for state in states]


def _merge(*sources: Iterable[State]) -> list[State]:
    """Return the states of both sources once each, oldest first."""
    seen: dict[tuple[datetime, str], State] = {}
    for source in sources:
        for state in source:
            seen.setdefault((state.last_changed, state.state), state)
    return sorted(seen.values(), key=lambda state: state.last_changed)


class LiveStates:
    """The states of linked entities seen by this run, kept back to the open job's start."""

    def __init__(self, hass: HomeAssistant, entity_ids: Iterable[str]) -> None:
        """Follow ``entity_ids`` once started."""
        self.hass = hass
        self._states: dict[str, list[State]] = {entity_id: [] for entity_id in entity_ids}
        self.keep_since: datetime | None = None
        """Start of the open job; older states are dropped (but the one in force then)."""

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Record the current states and every change; return the function that stops it."""
        for entity_id, states in self._states.items():
            if (state := self.hass.states.get(entity_id)) is not None:
                states.append(state)
        if not self._states:
            return lambda: None
        return async_track_state_change_event(self.hass, list(self._states), self._handle)

    @callback
    def _handle(self, event: Event[EventStateChangedData]) -> None:
        state = event.data["new_state"]
        if state is None:
            return
        states = self._states[event.data["entity_id"]]
        states.append(state)
        self._prune(states)

    def _prune(self, states: list[State]) -> None:
        since = self.keep_since
        keep = len(states) - 1
        if since is not None:
            # The last state at or before the start is the one in force when the job began.
            while keep > 0 and states[keep].last_changed > since:
                keep -= 1
        del states[:keep]

    @property
    def entity_ids(self) -> list[str]:
        """Return the entities followed."""
        return list(self._states)

    def states(self, entity_id: str) -> list[State]:
        """Return the states seen of ``entity_id`` (a copy)."""
        return list(self._states.get(entity_id, ()))


type Snapshot = Mapping[str, Sequence[State]]
"""The live states of the linked entities at one moment (see :meth:`JobCosts.snapshot`)."""
_REMEMBERED_PRICES: Final = 8


class JobCosts:
    """Energy and cost of the jobs of one printer."""

    def __init__(self, hass: HomeAssistant, settings: CostSettings) -> None:
        """Use the printer's ``settings``."""
        self.hass = hass
        self.settings = settings
        self.live = LiveStates(
            hass, [e for e in (settings.power_entity, settings.price_entity) if e is not None]
        )
        self._prices: dict[str, float | None] = {}
        """Electricity price each recently completed job paid (to cost it again)."""

    def snapshot(self) -> Snapshot:
        """Return the live states now; a job that just ended is measured with them."""
        return {entity_id: self.live.states(entity_id) for entity_id in self.live.entity_ids}

    async def async_complete(self, job: Job, live: Snapshot) -> Job:
        """Return the ended ``job`` with its energy and cost (never raises)."""
        energy, estimated = await self._async_energy(job, live)
        price = await self._async_price(job, live)
        self._prices[job.id] = price
        while len(self._prices) > _REMEMBERED_PRICES:
            del self._prices[next(iter(self._prices))]
        return self._with_cost(replace(job, energy_kwh=energy, energy_estimated=estimated), price)

    def recost(self, job: Job) -> Job:
        """Return the ended ``job`` costed again (its filament changed; energy and price not)."""
        return self._with_cost(job, self._prices.get(job.id, self.settings.price))

    def _with_cost(self, job: Job, price: float | None) -> Job:
        cost = job_cost(
            filament_g=job.filament_g,
            material=job.material,
            energy_kwh=job.energy_kwh,
            filament_prices=self.settings.filament,
            energy_price=price,
        )
        return replace(
            job, cost=cost, currency=self.hass.config.currency if cost is not None else None
        )

    async def _async_energy(self, job: Job, live: Snapshot) -> tuple[float, bool]:
        assert job.ended is not None
        entity_id = self.settings.power_entity
        if entity_id is not None:
            recorded = await self._async_history(entity_id, job.started, job.ended)
            states = _merge(recorded, live.get(entity_id, ()))
            counter = _is_counter(states)
            samples = _samples(states, lambda state: _reading(state, counter=counter))
            kwh = measured_energy(samples, job.started, job.ended, counter=counter)
            if kwh is not None:
                return round(kwh, 4), False
            LOGGER.debug("%s has too few readings for job %s; estimating", entity_id, job.id)
        seconds = job.duration or 0.0
        return round(estimated_energy(self.settings.watts, seconds), 4), True

    async def _async_price(self, job: Job, live: Snapshot) -> float | None:
        assert job.ended is not None
        entity_id = self.settings.price_entity
        if entity_id is not None:
            recorded = await self._async_history(entity_id, job.started, job.ended)
            states = _merge(recorded, live.get(entity_id, ()))
            price = time_weighted_average(
                _samples(states, lambda state: _number(state.state)), job.started, job.ended
            )
            if price is not None:
                return price
        return self.settings.price

    async def _async_history(self, entity_id: str, start: datetime, end: datetime) -> list[State]:
        """Return the recorded states of ``entity_id`` in the window (with the one at start)."""
        if RECORDER not in self.hass.config.components:
            return []
        try:
            found = await get_instance(self.hass).async_add_executor_job(
                history.state_changes_during_period, self.hass, start, end, entity_id
            )
        except Exception as err:  # noqa: BLE001 - a history problem must not lose the job
            LOGGER.warning("Cannot read the history of %s: %s", entity_id, err)
            return []
        return list(found.get(entity_id, ()))
