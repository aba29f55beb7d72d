"""Analytics arithmetic with exact numbers: energy integration, prices, costs, statistics, totals."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from custom_components.printernizer.analytics import (
    FilamentPrices,
    Totals,
    counter_energy,
    estimated_energy,
    job_cost,
    material_key,
    measured_energy,
    power_energy,
    step_integral,
    summarize,
    time_weighted_average,
)
from custom_components.printernizer.database import DATABASE_NAME, JobDatabase
from custom_components.printernizer.jobs import Job, JobStatus

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """Return T0 plus ``minutes``."""
    return T0 + timedelta(minutes=minutes)


# ---------------------------------------------------------------------------------- energy


def test_step_integral_holds_each_reading_until_the_next() -> None:
    """The reading in force at the start counts from the start; later ones from their time."""
    samples = [(at(-5), 100.0), (at(30), 200.0), (at(45), None), (at(50), 50.0), (at(70), 1.0)]
    # 100 x 30 min + 200 x 15 min + (unknown 5 min) + 50 x 10 min, in value x seconds.
    assert step_integral(samples, at(0), at(60)) == (
        (100 * 30 + 200 * 15 + 50 * 10) * 60,
        55 * 60,
    )
    # Out of order input is sorted; nothing before the first reading.
    assert step_integral(list(reversed(samples)), at(0), at(60))[1] == 55 * 60
    assert step_integral([(at(30), 10.0)], at(0), at(60)) == (10 * 30 * 60, 30 * 60)
    assert step_integral([], at(0), at(60)) == (0.0, 0.0)


def test_power_energy_in_kwh() -> None:
    """150 W for 30 min and 200 W for 30 min are 0.175 kWh."""
    samples = [(at(0), 150.0), (at(30), 200.0)]
    assert power_energy(samples, at(0), at(60)) == pytest.approx((0.175, 3600.0))


def test_counter_energy_sums_increases_and_survives_resets() -> None:
    """Increases add up; a reset counts from zero; a small dip is noise; after the end is ignored."""
    samples = [
        (at(-10), 100.0),
        (at(10), 100.3),
        (at(20), None),  # unavailable: the meter keeps counting
        (at(25), 100.29),  # noise
        (at(30), 0.1),  # the plug was reset
        (at(40), 0.25),
        (at(70), 9.0),  # after the job
    ]
    kwh, covered = counter_energy(samples, at(0), at(60))
    assert kwh == pytest.approx(0.3 + 0.1 + 0.15)
    assert covered == 3600.0
    # The first reading inside the window starts the coverage.
    kwh, covered = counter_energy([(at(15), 5.0), (at(45), 5.5)], at(0), at(60))
    assert (kwh, covered) == (pytest.approx(0.5), 45 * 60)
    assert counter_energy([(at(0), None)], at(0), at(60)) == (0.0, 0.0)


def test_measured_energy_scales_partial_coverage_and_rejects_little() -> None:
    """75 % covered is scaled to the window; 40 % is no measurement; no window is no energy."""
    partial = [(at(15), 200.0)]  # 200 W for the last 45 of 60 minutes
    assert measured_energy(partial, at(0), at(60), counter=False) == pytest.approx(0.2)
    little = [(at(36), 200.0)]
    assert measured_energy(little, at(0), at(60), counter=False) is None
    assert measured_energy(partial, at(10), at(10), counter=False) == 0.0
    counter = [(at(-1), 2.0), (at(60), 2.25)]
    assert measured_energy(counter, at(0), at(60), counter=True) == pytest.approx(0.25)


def test_estimated_energy() -> None:
    """80 W for 45 minutes is 0.06 kWh."""
    assert estimated_energy(80, 2700) == pytest.approx(0.06)


def test_time_weighted_price() -> None:
    """0.30 for 45 min and 0.42 for 15 min average 0.33; unknown time is left out."""
    prices = [(at(-60), 0.30), (at(45), 0.42)]
    assert time_weighted_average(prices, at(0), at(60)) == pytest.approx(0.33)
    with_gap = [(at(0), 0.30), (at(30), None), (at(40), 0.42)]
    # 0.30 x 30 + 0.42 x 20 over 50 minutes.
    assert time_weighted_average(with_gap, at(0), at(60)) == pytest.approx(0.348)
    assert time_weighted_average([(at(0), None)], at(0), at(60)) is None
    # A job without duration pays the last known price.
    assert time_weighted_average([(at(-1), 0.2), (at(0), None)], at(0), at(0)) == 0.2
    assert time_weighted_average([], at(0), at(0)) is None


# ---------------------------------------------------------------------------------- prices


def test_material_prices() -> None:
    """An exact material name wins over its base material, which wins over the default."""
    prices = FilamentPrices(default=20.0, by_material={"PLA": 25.0, "PLA-CF": 40.0})
    assert prices.price("PLA-CF") == 40.0
    assert prices.price("pla basic") == 25.0
    assert prices.price("PLA Matte") == 25.0
    assert prices.price("PETG") == 20.0
    assert prices.price(None) == 20.0
    assert FilamentPrices().price("PLA") is None
    assert material_key(" petg-hf ") == "PETG"
    assert material_key("--") is None
    assert material_key("") is None


def test_job_cost() -> None:
    """Filament and energy parts; unknown parts are left out; nothing known is no cost."""
    prices = FilamentPrices(default=20.0, by_material={"PLA": 25.0})
    cost = job_cost(
        filament_g=25.0,
        material="PLA",
        energy_kwh=0.175,
        filament_prices=prices,
        energy_price=0.36,
    )
    assert cost == 0.688  # 25 g x 25/kg + 0.175 kWh x 0.36
    only_energy = job_cost(
        filament_g=None,
        material=None,
        energy_kwh=0.06,
        filament_prices=prices,
        energy_price=0.42,
    )
    assert only_energy == 0.0252
    nothing = job_cost(
        filament_g=None,
        material=None,
        energy_kwh=0.06,
        filament_prices=FilamentPrices(),
        energy_price=None,
    )
    assert nothing is None


# ---------------------------------------------------------------------------------- statistics


def _job(
    number: int,
    *,
    printer: str = "P1",
    status: JobStatus = JobStatus.FINISHED,
    start: float,
    minutes: float | None,
    paused: float = 0.0,
    **values: object,
) -> Job:
    return Job(
        id=f"job{number}",
        printer=printer,
        status=status,
        started=at(start),
        ended=None if minutes is None else at(start + minutes),
        paused_seconds=paused * 60,
        **values,  # type: ignore[arg-type]
    )


JOBS = [
    _job(
        1,
        start=-30,  # started before the period: counts for utilization only
        minutes=60,
        filament_g=10.0,
        material="PLA",
        energy_kwh=0.1,
        cost=1.0,
    ),
    _job(
        2,
        start=60,
        minutes=90,
        paused=30,
        filament_g=25.0,
        material="PLA",
        energy_kwh=0.175,
        energy_estimated=False,
        cost=0.688,
    ),
    _job(
        3,
        status=JobStatus.FAILED,
        start=180,
        minutes=45,
        filament_g=9.0,
        material="PETG",
        energy_kwh=0.06,
        cost=0.2502,
    ),
    _job(4, status=JobStatus.CANCELLED, start=240, minutes=15, filament_g=None, energy_kwh=0.02),
    _job(5, printer="P2", start=0, minutes=120, filament_g=4.5, energy_kwh=0.3, cost=0.2475),
    _job(6, printer="P2", status=JobStatus.PRINTING, start=300, minutes=None),
]


def test_summarize_one_printer() -> None:
    """Counts, sums and averages of one printer's jobs in a 6-hour period."""
    jobs = [job for job in JOBS if job.printer == "P1"]
    stats = summarize(jobs, start=at(0), end=at(360), now=at(330), printers=1)
    assert stats == {
        "jobs": 3,
        "jobs_by_status": {
            "finished": 1,
            "failed": 1,
            "cancelled": 1,
            "interrupted": 0,
            "printing": 0,
            "paused": 0,
        },
        "success_rate": 33.3,
        "print_hours": 2.0,  # 60 + 45 + 15 minutes (job 2 paused 30 of its 90)
        "average_job_minutes": 50.0,  # (90 + 45 + 15) / 3
        "filament_g": 34.0,
        "filament_by_material": {"PETG": 9.0, "PLA": 25.0},
        "energy_kwh": 0.255,
        "energy_estimated_kwh": 0.08,
        "cost": 0.94,
        # Occupied 30 (job 1 inside the period) + 90 + 45 + 15 = 180 of 360 minutes.
        "utilization": 50.0,
    }


def test_summarize_farm_and_empty() -> None:
    """The farm divides the occupied time by the printers; no jobs, no averages."""
    stats = summarize(JOBS, start=at(0), end=at(360), now=at(330), printers=2)
    assert stats["jobs"] == 5
    assert stats["jobs_by_status"]["printing"] == 1
    assert stats["success_rate"] == 50.0  # 2 finished of 4 ended
    assert stats["filament_by_material"] == {"PETG": 9.0, "PLA": 25.0, "unknown": 4.5}
    # P1 180 min + P2 120 min + the running job's 30 min so far, over 2 x 360 minutes.
    assert stats["utilization"] == 45.8
    since_first = summarize(JOBS, start=None, end=at(360), now=at(330), printers=2)
    assert since_first["jobs"] == 6
    empty = summarize([], start=None, end=at(360), now=at(330), printers=2)
    assert (empty["jobs"], empty["success_rate"], empty["average_job_minutes"]) == (0, None, None)
    assert (empty["utilization"], empty["cost"], empty["filament_by_material"]) == (None, 0, {})


def test_totals() -> None:
    """The success rate of totals; none without ended jobs."""
    assert Totals(jobs=4, finished=3).success_rate == 75.0
    assert Totals().success_rate is None


# ---------------------------------------------------------------------------------- store


def test_store_totals_survive_retention_and_reset(tmp_path: Path) -> None:
    """Totals count ended jobs; retention keeps what it removed; a reset starts from zero."""
    database = JobDatabase.open(tmp_path / DATABASE_NAME)
    database.save_jobs(JOBS)
    totals = database.totals("P1")
    assert totals == Totals(
        jobs=4,
        finished=2,
        print_seconds=(60 + 60 + 45 + 15) * 60,
        filament_g=44.0,
        energy_kwh=pytest.approx(0.355),
        cost=pytest.approx(1.9382),
        last_reset=None,
    )
    # Retention removes jobs 1 and 2; the totals stay (to the last bit of float addition).
    kept = replace(totals, energy_kwh=pytest.approx(0.355), cost=pytest.approx(1.9382))
    assert database.purge("P1", at(120)) == 2
    assert database.totals("P1") == kept
    assert [job.id for job in database.jobs_in_window(["P1"], None, at(600))] == ["job3", "job4"]
    database.purge("P1", at(120))  # nothing more to remove: nothing is counted twice
    assert database.totals("P1") == kept
    # A reset counts jobs that end after it; the history stays.
    database.reset_totals("P1", at(230))
    assert database.totals("P1") == Totals(
        jobs=1, print_seconds=900.0, energy_kwh=0.02, last_reset=at(230)
    )
    database.purge("P1", at(1000))
    assert database.totals("P1").jobs == 1
    database.reset_totals("P1", at(1000))
    assert database.totals("P1") == Totals(last_reset=at(1000))
    assert database.totals("P2").jobs == 1  # the open job does not count
    database.close()


def test_store_jobs_in_window(tmp_path: Path) -> None:
    """Jobs that occupied a printer in a period: started before its end, ended after its start."""
    database = JobDatabase.open(tmp_path / DATABASE_NAME)
    database.save_jobs(JOBS)
    window = database.jobs_in_window(None, at(100), at(200))
    assert [job.id for job in window] == ["job5", "job2", "job3"]
    assert [job.id for job in database.jobs_in_window(None, at(290), at(400))] == ["job6"]
    assert [job.id for job in database.jobs_in_window(["P2"], None, at(400))] == ["job5", "job6"]
    database.close()
