"""Analytics with Home Assistant's recorder: energy from the history, and long-term statistics.

The printer's integration is reloaded in the middle of a job, so the states it saw live no
longer cover the job; the recorder's history does, and gives the exact energy. The total
sensors' five-minute statistics then show the job's energy, cost and time with the right units.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.components.recorder.statistics import get_metadata
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
    statistics_during_period,
)

from custom_components.printernizer.const import CONF_ELECTRICITY_PRICE, CONF_POWER_ENTITY
from custom_components.printernizer.database import JobQuery
from custom_components.printernizer.job_recorder import DATA_JOBS
from tests import entity_id_of, setup_printer
from tests.simulators.prusa.server import PrusaLinkSimulator

PLUG_POWER = "sensor.printer_plug_power"
POWER = {ATTR_UNIT_OF_MEASUREMENT: "W", "device_class": "power"}


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """Prepare the recorder's database before Home Assistant starts (as core's tests do)."""


async def _poll_after(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_energy_from_history_and_statistics(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    prusa_printer: PrusaLinkSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The history gives the energy of a job begun before a reload; statistics follow."""
    base = (dt_util.utcnow() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    freezer.move_to(base)
    hass.states.async_set(PLUG_POWER, "150", POWER)
    entry = await setup_printer(
        hass,
        prusa_printer,
        options={CONF_POWER_ENTITY: PLUG_POWER, CONF_ELECTRICITY_PRICE: 0.3},
    )
    prusa_printer.machine.start()  # the benchy: 9 g of PLA (no filament price is set)
    await _poll_after(hass, freezer, 30)
    freezer.tick(timedelta(minutes=10))
    hass.states.async_set(PLUG_POWER, "200", POWER)
    await _poll_after(hass, freezer, 60)
    # The integration restarts: what it saw live is gone; the recorder keeps the 150 W.
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    await _poll_after(hass, freezer, 1194)
    prusa_printer.machine.finish()
    await _poll_after(hass, freezer, 6)

    [job] = await hass.data[DATA_JOBS].store.async_jobs(JobQuery())
    assert (job.started, job.ended) == (
        base + timedelta(seconds=30),
        base + timedelta(minutes=31, seconds=30),
    )
    # 150 W for 10 minutes and 200 W for 21 minutes: 0.095 kWh (the live states alone, 200 W
    # from 10:30 on, would have made it 0.1033); at 0.30 EUR/kWh.
    assert (job.energy_kwh, job.energy_estimated, job.cost, job.currency) == (
        0.095,
        False,
        0.0285,
        "EUR",
    )

    # Statistics of the five minutes before and of the five minutes in which the job ended.
    await _poll_after(hass, freezer, 300)
    await async_wait_recording_done(hass)
    before, during = base + timedelta(minutes=25), base + timedelta(minutes=30)
    for start in (before, during):
        do_adhoc_statistics(hass, start=start)
        await async_wait_recording_done(hass)
    ids = {
        key: entity_id_of(hass, "sensor", prusa_printer, key)
        for key in ("total_jobs", "total_print_time", "total_energy", "total_cost")
    }
    stats: dict[str, list[dict[str, Any]]] = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        before,
        during + timedelta(minutes=5),
        set(ids.values()),
        "5minute",
        None,
        {"state", "sum"},
    )

    def rows(key: str) -> list[tuple[datetime, float, float]]:
        return [
            (dt_util.utc_from_timestamp(row["start"]), row["state"], row["sum"])
            for row in stats[ids[key]]
        ]

    assert rows("total_energy") == [(before, 0.0, 0.0), (during, 0.095, 0.095)]
    assert rows("total_cost") == [(before, 0.0, 0.0), (during, 0.0285, 0.0285)]
    assert rows("total_jobs") == [(before, 0.0, 0.0), (during, 1.0, 1.0)]
    assert rows("total_print_time") == [(before, 0.0, 0.0), (during, 0.517, 0.517)]

    metadata = await get_instance(hass).async_add_executor_job(
        partial(get_metadata, hass, statistic_ids=set(ids.values()))
    )
    units = {key: metadata[entity_id][1]["unit_of_measurement"] for key, entity_id in ids.items()}
    assert units == {
        "total_jobs": None,
        "total_print_time": "h",
        "total_energy": "kWh",
        "total_cost": "EUR",
    }
    assert all(meta["has_sum"] for _, meta in metadata.values())
