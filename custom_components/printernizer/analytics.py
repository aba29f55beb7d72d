"""Print-farm analytics: the arithmetic of energy, prices, costs and statistics (no Home Assistant).

Energy of a job, measured (see :func:`measured_energy`):

- A *power* sensor (W) is a step function: each reading holds until the next one (Home Assistant
  records a state when it changes). Energy is its time integral over the job window.
- An *energy* counter (kWh, a smart plug's meter) gives the energy as the sum of its increases
  within the window. A drop of more than 10 % is a meter reset (as Home Assistant's
  ``total_increasing`` treats it): the new reading counts from zero; a smaller dip is noise.
- Readings that are unknown or unavailable leave gaps. When readings cover at least
  :data:`MIN_COVERAGE` of the window, the energy is scaled up to the whole window; less than that
  is not a measurement and the energy is estimated instead (printer watts x duration).

The electricity price of a job is the *time-weighted* average of the price over the job window.
A printer draws a nearly constant power while it prints (the heat-up peak is minutes of hours),
so weighting the price by time equals weighting it by consumption to within a few percent; it is
also the only weighting that works for every source of energy: an energy counter only gives the
total, and an estimate assumes constant power anyway.

Cost of a job = filament grams / 1000 x price per kg (of the job's material, else the default)
+ kWh x electricity price. Parts whose inputs are unknown are left out; without any part the cost
is unknown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
import re
from typing import Any, Final

from .jobs import END_STATUSES, Job, JobStatus

type Sample = tuple[datetime, float | None]
"""A reading at a time; ``None`` when the entity was unknown or unavailable."""

MIN_COVERAGE: Final = 0.5
"""Share of a job window that readings must cover to count as measured."""
RESET_RATIO: Final = 0.9
"""An energy counter falling below this share of its last reading was reset."""
DEFAULT_WATTS: Final = 100.0
"""Average draw assumed for a printer model without a known value."""
PRUSA_WATTS: Final[Mapping[str, float]] = {
    # Prusa's published averages for PLA (bed 60 °C, nozzle 215 °C), rounded.
    "MINI": 50.0,
    "MK2.5": 80.0,
    "MK2.5S": 80.0,
    "MK3": 80.0,
    "MK3S": 80.0,
    "MK3.5": 80.0,
    "MK3.5S": 80.0,
    "MK3.9": 80.0,
    "MK3.9S": 80.0,
    "MK4": 80.0,
    "MK4S": 80.0,
    "CORE One": 100.0,
    "XL": 150.0,
}
_MATERIAL_SPLIT: Final = re.compile(r"[\s\-_+/]+")


# ---------------------------------------------------------------------------------- energy


def _sorted(samples: Iterable[Sample]) -> list[Sample]:
    return sorted(samples, key=lambda sample: sample[0])


def step_integral(samples: Iterable[Sample], start: datetime, end: datetime) -> tuple[float, float]:
    """Integrate a step function over ``[start, end]``.

    Return ``(integral in value x seconds, seconds with a known value)``. Each reading holds
    until the next one; the reading in force at ``start`` is the last one at or before it.
    """
    total = covered = 0.0
    current: float | None = None
    since = start
    for when, value in _sorted(samples):
        if when <= start:
            current = value
            continue
        if when >= end:
            break
        if current is not None:
            seconds = (when - since).total_seconds()
            total += current * seconds
            covered += seconds
        current, since = value, when
    if current is not None and end > since:
        seconds = (end - since).total_seconds()
        total += current * seconds
        covered += seconds
    return total, covered


def power_energy(samples: Iterable[Sample], start: datetime, end: datetime) -> tuple[float, float]:
    """Return ``(kWh, seconds covered)`` of power readings in W over the window."""
    watt_seconds, covered = step_integral(samples, start, end)
    return watt_seconds / 3_600_000, covered


def counter_energy(
    samples: Iterable[Sample], start: datetime, end: datetime
) -> tuple[float, float]:
    """Return ``(kWh, seconds covered)`` of an energy counter in kWh over the window."""
    energy = 0.0
    last: float | None = None
    covered_from: datetime | None = None
    for when, value in _sorted(samples):
        if value is None:
            continue  # the meter keeps counting while Home Assistant cannot read it
        if when > end:
            break
        if when <= start:
            last, covered_from = value, start
            continue
        if last is None:
            last, covered_from = value, when
            continue
        if value < last * RESET_RATIO:
            energy += value  # reset: counting started again from zero
        elif value > last:
            energy += value - last
        else:
            continue  # a small dip is noise; keep the higher reading
        last = value
    if covered_from is None:
        return 0.0, 0.0
    return energy, (end - covered_from).total_seconds()


def measured_energy(
    samples: Iterable[Sample], start: datetime, end: datetime, *, counter: bool
) -> float | None:
    """Return the kWh the readings show for the window, or None when they cover too little."""
    window = (end - start).total_seconds()
    if window <= 0:
        return 0.0
    kwh, covered = (counter_energy if counter else power_energy)(samples, start, end)
    if covered < window * MIN_COVERAGE:
        return None
    return kwh * window / covered


def estimated_energy(watts: float, seconds: float) -> float:
    """Return the kWh a constant draw of ``watts`` uses in ``seconds``."""
    return watts * seconds / 3_600_000


def time_weighted_average(
    samples: Iterable[Sample], start: datetime, end: datetime
) -> float | None:
    """Return the average of a step function over the window (known readings only)."""
    samples = list(samples)
    if end <= start:
        # A job without duration pays the price in force when it ended.
        known = [value for when, value in _sorted(samples) if when <= end and value is not None]
        return known[-1] if known else None
    total, covered = step_integral(samples, start, end)
    return total / covered if covered > 0 else None


# ---------------------------------------------------------------------------------- prices


def material_key(material: str | None) -> str | None:
    """Return the base material of a filament name (``PLA Basic`` and ``PLA-CF`` are ``PLA``)."""
    if not material:
        return None
    parts = [part for part in _MATERIAL_SPLIT.split(material.strip().upper()) if part]
    return parts[0] if parts else None


@dataclass(frozen=True, slots=True, kw_only=True)
class FilamentPrices:
    """Price per kg of filament: by material, else the default."""

    default: float | None = None
    by_material: Mapping[str, float] = field(default_factory=dict)

    def price(self, material: str | None) -> float | None:
        """Return the price per kg of ``material`` (exact name first, then its base material)."""
        if material:
            name = material.strip().upper()
            for key in (name, material_key(name)):
                if key is not None and key in self.by_material:
                    return self.by_material[key]
        return self.default


def job_cost(
    *,
    filament_g: float | None,
    material: str | None,
    energy_kwh: float | None,
    filament_prices: FilamentPrices,
    energy_price: float | None,
) -> float | None:
    """Return filament cost + energy cost (the known parts), or None when nothing is known."""
    parts: list[float] = []
    filament_price = filament_prices.price(material)
    if filament_g is not None and filament_price is not None:
        parts.append(filament_g / 1000 * filament_price)
    if energy_kwh is not None and energy_price is not None:
        parts.append(energy_kwh * energy_price)
    return round(sum(parts), 4) if parts else None


# ---------------------------------------------------------------------------------- totals


@dataclass(frozen=True, slots=True, kw_only=True)
class Totals:
    """What one printer did since its statistics were last reset (the total_* sensors)."""

    jobs: int = 0
    """Ended jobs."""
    finished: int = 0
    print_seconds: float = 0.0
    """Time spent printing (pauses excluded)."""
    filament_g: float = 0.0
    energy_kwh: float = 0.0
    cost: float = 0.0
    last_reset: datetime | None = None

    @property
    def success_rate(self) -> float | None:
        """Return the share of ended jobs that finished, in percent."""
        return None if not self.jobs else self.finished / self.jobs * 100


# ---------------------------------------------------------------------------------- statistics

STATUS_ORDER: Final = (
    JobStatus.FINISHED,
    JobStatus.FAILED,
    JobStatus.CANCELLED,
    JobStatus.INTERRUPTED,
    JobStatus.PRINTING,
    JobStatus.PAUSED,
)
UNKNOWN_MATERIAL: Final = "unknown"


def _overlap(job: Job, start: datetime, end: datetime, now: datetime) -> float:
    """Return the seconds ``job`` occupied its printer within ``[start, end]``."""
    job_end = job.ended if job.ended is not None else now
    seconds = (min(job_end, end) - max(job.started, start)).total_seconds()
    return max(0.0, seconds)


def summarize(
    jobs: Sequence[Job],
    *,
    start: datetime | None,
    end: datetime,
    now: datetime,
    printers: int,
) -> dict[str, Any]:
    """Return the statistics of ``jobs`` for the period ``[start, end)``.

    Jobs count in the period in which they started (as ``get_jobs`` filters them); sums cover the
    jobs that ended. Utilization is the share of the period the printers were occupied by a job
    (running, paused or ended; jobs that started earlier count with the part inside the period).
    ``jobs`` may include jobs that started before ``start``; they only count for utilization.
    ``start`` None means since the first job.
    """
    in_period = [
        job for job in jobs if (start is None or job.started >= start) and job.started < end
    ]
    ended = [job for job in in_period if job.status in END_STATUSES]
    statuses = Counter(job.status for job in in_period)
    finished = statuses[JobStatus.FINISHED]
    print_seconds = sum(job.print_seconds or 0.0 for job in ended)
    durations = [job.duration or 0.0 for job in ended]
    by_material: dict[str, float] = {}
    for job in ended:
        if job.filament_g is not None:
            key = job.material or UNKNOWN_MATERIAL
            by_material[key] = by_material.get(key, 0.0) + job.filament_g
    energy = sum(job.energy_kwh or 0.0 for job in ended)
    estimated = sum(job.energy_kwh or 0.0 for job in ended if job.energy_estimated)
    costs = [job.cost for job in ended if job.cost is not None]
    period_start = start if start is not None else min((j.started for j in jobs), default=None)
    utilization: float | None = None
    if period_start is not None and printers > 0 and end > period_start:
        occupied = sum(_overlap(job, period_start, end, now) for job in jobs)
        utilization = round(occupied / ((end - period_start).total_seconds() * printers) * 100, 1)
    return {
        "jobs": len(in_period),
        "jobs_by_status": {status.value: statuses[status] for status in STATUS_ORDER},
        "success_rate": round(finished / len(ended) * 100, 1) if ended else None,
        "print_hours": round(print_seconds / 3600, 2),
        "average_job_minutes": round(sum(durations) / len(durations) / 60, 1)
        if durations
        else None,
        "filament_g": round(sum(by_material.values()), 1),
        "filament_by_material": {
            material: round(grams, 1) for material, grams in sorted(by_material.items())
        },
        "energy_kwh": round(energy, 3),
        "energy_estimated_kwh": round(estimated, 3),
        "cost": round(sum(costs), 2),
        "utilization": utilization,
    }
