"""Energy and cost of jobs from Home Assistant entities: units, fallbacks and late file details."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.printernizer import energy
from custom_components.printernizer.analytics import FilamentPrices
from custom_components.printernizer.const import (
    CONF_ELECTRICITY_PRICE,
    CONF_FILAMENT_PRICE,
    CONF_FILAMENT_PRICES,
    CONF_POWER,
)
from custom_components.printernizer.coordinator import PrinternizerCoordinator
from custom_components.printernizer.database import JobQuery
from custom_components.printernizer.energy import CostSettings, JobCosts
from custom_components.printernizer.job_recorder import DATA_JOBS
from custom_components.printernizer.jobs import Job, JobStatus
from custom_components.printernizer.printers.model import PrinterInfo, Vendor
from tests import entity_id_of, setup_printer
from tests.simulators.prusa.server import PrusaLinkSimulator

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PLUG = "sensor.plug"
PRICE = "sensor.price"


def _job(number: int, minutes: float = 60, start: float = 0, **values: Any) -> Job:
    return Job(
        id=f"job{number}",
        printer="P1",
        status=JobStatus.FINISHED,
        started=T0 + timedelta(minutes=start),
        ended=T0 + timedelta(minutes=start + minutes),
        **values,
    )


def test_settings_from_options() -> None:
    """Default watts per model, the power option, and only usable prices."""
    bambu = PrinterInfo(vendor=Vendor.BAMBU, serial="00M1", model_id="X1C")
    prusa = PrinterInfo(vendor=Vendor.PRUSA, serial="P1", model="MK4")
    unknown = PrinterInfo(vendor=Vendor.PRUSA, serial="P2", model="Original Prusa i2")
    assert [CostSettings.from_options({}, info).watts for info in (bambu, prusa, unknown)] == [
        110.0,
        80.0,
        100.0,
    ]
    settings = CostSettings.from_options(
        {
            CONF_POWER: 55,
            CONF_FILAMENT_PRICE: "18.5",
            CONF_FILAMENT_PRICES: {"pla": "25", "bad": "x", "abs": True, "pc": float("nan")},
            CONF_ELECTRICITY_PRICE: [0.3],
        },
        prusa,
    )
    assert settings == CostSettings(
        watts=55.0, filament=FilamentPrices(default=18.5, by_material={"PLA": 25.0})
    )
    assert CostSettings.from_options({CONF_FILAMENT_PRICES: "PLA=3"}, prusa).filament == (
        FilamentPrices()
    )


async def test_units_and_fallbacks(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """KW and Wh by unit alone; unknown units and too few readings estimate; no price entity value."""
    freezer.move_to(T0 - timedelta(minutes=1))
    hass.states.async_set(PLUG, "0.15", {ATTR_UNIT_OF_MEASUREMENT: "kW"})
    hass.states.async_set(PRICE, STATE_UNKNOWN)
    costs = JobCosts(hass, CostSettings(watts=80, power_entity=PLUG, price=0.5, price_entity=PRICE))
    stop = costs.live.async_start()
    costs.live.keep_since = T0  # a job runs since T0 (the job recorder says so)
    freezer.move_to(T0 + timedelta(minutes=30))
    hass.states.async_set(PLUG, "0.2", {ATTR_UNIT_OF_MEASUREMENT: "kW"})
    job = await costs.async_complete(_job(1), costs.snapshot())
    # 150 W and 200 W for half an hour each; the price entity never had a value: 0.5.
    assert (job.energy_kwh, job.energy_estimated, job.cost) == (0.175, False, 0.0875)

    # An energy meter in Wh, known by its unit.
    stop()
    hass.states.async_set(PLUG, "1000", {ATTR_UNIT_OF_MEASUREMENT: "Wh"})
    costs = JobCosts(hass, CostSettings(watts=80, power_entity=PLUG))
    stop = costs.live.async_start()
    costs.live.keep_since = T0 + timedelta(minutes=30)
    freezer.move_to(T0 + timedelta(minutes=60))
    hass.states.async_set(PLUG, "1250", {ATTR_UNIT_OF_MEASUREMENT: "Wh"})
    job = await costs.async_complete(_job(2, minutes=30, start=30), costs.snapshot())
    assert (job.energy_kwh, job.energy_estimated, job.cost, job.currency) == (
        0.25,
        False,
        None,
        None,
    )

    # A unit that is neither power nor energy: no readings, so 80 W x 30 min is estimated.
    hass.states.async_set(PLUG, "7", {ATTR_UNIT_OF_MEASUREMENT: "%"})
    freezer.move_to(T0 + timedelta(minutes=61))
    hass.states.async_remove(PLUG)  # a removed entity is no reading
    await hass.async_block_till_done()
    job = await costs.async_complete(_job(3, minutes=30), costs.snapshot())
    assert (job.energy_kwh, job.energy_estimated) == (0.04, True)
    stop()

    # The recorder's history cannot be read: the live states are used, and it is logged.
    def broken(_hass: HomeAssistant) -> Any:
        raise RuntimeError("database is gone")

    hass.config.components.add("recorder")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(energy, "get_instance", broken)
        job = await costs.async_complete(_job(4, minutes=30), {})
    hass.config.components.remove("recorder")
    assert (job.energy_kwh, job.energy_estimated) == (0.04, True)
    assert "Cannot read the history of sensor.plug: database is gone" in caplog.text


async def test_recost_uses_the_price_the_job_paid(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A job costed again keeps its price; the oldest remembered prices are forgotten."""
    freezer.move_to(T0)
    hass.states.async_set(PRICE, "0.4")
    costs = JobCosts(
        hass,
        CostSettings(
            watts=100,
            price=0.2,
            price_entity=PRICE,
            filament=FilamentPrices(default=20.0),
        ),
    )
    stop = costs.live.async_start()
    jobs = [await costs.async_complete(_job(n), costs.snapshot()) for n in range(1, 11)]
    stop()
    # 100 W x 1 h = 0.1 kWh x 0.4 EUR/kWh.
    assert {job.cost for job in jobs} == {0.04}
    heavier = costs.recost(jobs[-1].__class__(**{**_fields(jobs[-1]), "filament_g": 10.0}))
    assert heavier.cost == 0.24  # 10 g x 20 EUR/kg + 0.04
    forgotten = costs.recost(jobs[0].__class__(**{**_fields(jobs[0]), "filament_g": 10.0}))
    assert forgotten.cost == 0.22  # the fixed price: 0.1 kWh x 0.2 EUR/kWh + 0.2


def _fields(job: Job) -> dict[str, Any]:
    return {name: getattr(job, name) for name in job.__dataclass_fields__}


async def test_file_details_after_the_end(
    hass: HomeAssistant,
    prusa_printer: PrusaLinkSimulator,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The file's grams arrive after a short job ended: its cost and the totals grow.

    First while the job's energy is still being worked out (the grams are taken in then), then
    after it was stored (the job is costed again with the price it paid).
    """
    freezer.move_to(T0)
    file_info = PrinternizerCoordinator.async_job_file_info
    release_file = asyncio.Event()

    async def slow_file_info(self: PrinternizerCoordinator) -> Any:
        await release_file.wait()
        return await file_info(self)

    complete = JobCosts.async_complete
    release_costs = asyncio.Event()

    async def slow_complete(self: JobCosts, job: Job, live: Any) -> Job:
        await release_costs.wait()
        return await complete(self, job, live)

    monkeypatch.setattr(PrinternizerCoordinator, "async_job_file_info", slow_file_info)
    monkeypatch.setattr(JobCosts, "async_complete", slow_complete)
    entry = await setup_printer(
        hass,
        prusa_printer,
        options={CONF_FILAMENT_PRICE: 20.0, CONF_ELECTRICITY_PRICE: 0.3, CONF_POWER: 100},
    )
    cost = entity_id_of(hass, "sensor", prusa_printer, "total_cost")
    store = hass.data[DATA_JOBS].store

    coordinator = entry.runtime_data
    polls = [0]

    def polled() -> None:
        polls[0] += 1

    entry.async_on_unload(coordinator.async_add_listener(polled))

    async def poll() -> None:
        """Poll the printer once (the file reads may stay blocked meanwhile)."""
        seen = polls[0]
        freezer.tick(timedelta(seconds=60))
        async_fire_time_changed(hass)
        await spin(lambda: polls[0] > seen)

    async def spin(done: Callable[[], bool] = lambda: False) -> None:
        """Run the loop until ``done`` (and a little more); requests are real I/O.

        Time stands still, and block_till_done would wait for the blocked tasks.
        """
        for _ in range(200 if done() else 100_000):
            await asyncio.sleep(0)
            if done():
                break
        for _ in range(200):
            await asyncio.sleep(0)

    # Job 1 (benchy, 9 g): its grams arrive while its energy is being worked out.
    machine = prusa_printer.machine
    machine.start()
    await poll()
    machine.finish()
    await poll()
    recorder = hass.data[DATA_JOBS].recorders[entry.entry_id]
    release_file.set()
    await spin(lambda: getattr(recorder.tracker.last_closed, "filament_g", None) == 9.0)
    release_file.clear()
    machine.start("CALIBR~1.BGC")  # job 2 starts behind the pending end: it waits its turn
    await poll()
    assert [job.status for job in await store.async_jobs(JobQuery())] == [JobStatus.PRINTING]
    release_costs.set()
    await hass.async_block_till_done()
    jobs = await store.async_jobs(JobQuery())
    assert [(job.file, job.status) for job in jobs] == [
        ("calibration_cube_0.4n_0.2mm_PETG_MK4_12m.bgcode", JobStatus.PRINTING),
        ("benchy_0.4n_0.2mm_PLA_MK4_45m.bgcode", JobStatus.FINISHED),
    ]
    # 100 W x 1 minute = 0.0017 kWh x 0.3 EUR/kWh = 0.0005; 9 g x 20 EUR/kg = 0.18.
    assert (jobs[1].filament_g, jobs[1].energy_kwh, jobs[1].cost) == (9.0, 0.0017, 0.1805)
    assert hass.states.get(cost).state == "0.1805"

    # Job 2 (2.4 g of PETG) ends before its file is read: costed again when it is.
    machine.finish()
    await poll()
    second = (await store.async_jobs(JobQuery()))[0]
    assert (second.status, second.filament_g, second.cost) == (JobStatus.FINISHED, None, 0.0005)
    assert hass.states.get(cost).state == "0.181"
    release_file.set()
    await hass.async_block_till_done(wait_background_tasks=True)
    second = (await store.async_jobs(JobQuery()))[0]
    assert (second.filament_g, second.energy_kwh, second.cost) == (2.4, 0.0017, 0.0485)
    assert hass.states.get(cost).state == "0.229"
    assert recorder.last_job is not None
    assert (recorder.last_job.energy_kwh, recorder.last_job.cost) == (0.0017, 0.0485)
