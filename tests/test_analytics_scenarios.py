"""Analytics end to end: scripted jobs on both simulated printers, with exact energy and costs.

- Prusa (time frozen, so every second is known): a job measured with a smart plug's power sensor
  while the electricity price entity changes, then a job that spans a Home Assistant restart
  and is estimated from the printer's watts (the plug is unavailable). The totals survive the
  restart; ``get_statistics`` adds everything up.
- Bambu Lab (real time): a job measured with an energy counter, a fixed electricity price and
  the slicer's grams from the project file; ``reset_statistics`` starts the totals from zero.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant import loader
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID, ATTR_UNIT_OF_MEASUREMENT, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_test_home_assistant,
)

from custom_components.printernizer.const import (
    CONF_ELECTRICITY_PRICE,
    CONF_ELECTRICITY_PRICE_ENTITY,
    CONF_FILAMENT_PRICE,
    CONF_FILAMENT_PRICES,
    CONF_POWER_ENTITY,
    DOMAIN,
)
from custom_components.printernizer.job_recorder import DATA_JOBS
from tests import entity_id_of, printer_entry_data, setup_printer, wait_for
from tests.simulators.bambu.simulator import BambuSimulator
from tests.simulators.prusa.server import PrusaLinkSimulator
from tests.test_files import project_3mf

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PLUG_POWER = "sensor.printer_plug_power"
PLUG_ENERGY = "sensor.printer_plug_energy"
PRICE = "sensor.electricity_price"
POWER = {ATTR_UNIT_OF_MEASUREMENT: "W", "device_class": "power"}
ENERGY = {ATTR_UNIT_OF_MEASUREMENT: "kWh", "device_class": "energy"}
EURO_PER_KWH = {ATTR_UNIT_OF_MEASUREMENT: "EUR/kWh"}
TOTALS = (
    "total_jobs",
    "total_print_time",
    "total_filament_used",
    "total_energy",
    "total_cost",
    "success_rate",
)


class Ends:
    """The payloads of every job end event."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Start listening."""
        self.payloads: list[dict[str, Any]] = []

        @callback
        def collect(event: Event) -> None:
            self.payloads.append(dict(event.data))

        for kind in ("finished", "failed", "cancelled", "interrupted"):
            hass.bus.async_listen(f"{DOMAIN}_job_{kind}", collect)


def totals(hass: HomeAssistant, printer: Any) -> dict[str, str]:
    """Return the states of the printer's total sensors."""
    return {
        key: hass.states.get(entity_id_of(hass, "sensor", printer, key)).state for key in TOTALS
    }


def costs(payload: dict[str, Any]) -> tuple[Any, ...]:
    """Return what a job event says about filament, energy and cost."""
    return (
        payload["filament_g"],
        payload["material"],
        payload["energy_kwh"],
        payload["energy_estimated"],
        payload["cost"],
        payload["currency"],
    )


async def statistics(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Return the response of get_statistics."""
    response = await hass.services.async_call(
        DOMAIN, "get_statistics", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


# ---------------------------------------------------------------------------------- Prusa


@asynccontextmanager
async def _home_assistant(config_dir: str) -> AsyncIterator[HomeAssistant]:
    async with async_test_home_assistant(config_dir=config_dir) as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        yield hass
        for entry in hass.config_entries.async_entries(DOMAIN):
            await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_stop()


async def _add_prusa(hass: HomeAssistant, printer: PrusaLinkSimulator) -> ConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id="prusa_entry",
        title=f"Printer {printer.serial[-4:]}",
        unique_id=printer.serial,
        data=await printer_entry_data(printer),
        options={
            CONF_FILAMENT_PRICE: 20.0,
            CONF_FILAMENT_PRICES: {"PLA": 25.0},
            CONF_ELECTRICITY_PRICE: 0.5,  # only when the price entity has no value
            CONF_ELECTRICITY_PRICE_ENTITY: PRICE,
            CONF_POWER_ENTITY: PLUG_POWER,
        },
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Let ``seconds`` pass."""
    freezer.tick(timedelta(seconds=seconds))
    await hass.async_block_till_done()


async def _poll(hass: HomeAssistant) -> None:
    """Let the printer be polled now."""
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_prusa_measured_estimated_and_restart(
    hass_tmp_config_dir: str, prusa_printer: PrusaLinkSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Measured energy with a changing price; an estimated job across a restart; the totals."""
    freezer.move_to(T0)
    machine = prusa_printer.machine
    async with _home_assistant(hass_tmp_config_dir) as hass:
        hass.states.async_set(PLUG_POWER, "5", POWER)
        hass.states.async_set(PRICE, "0.30", EURO_PER_KWH)
        await _add_prusa(hass, prusa_printer)
        ends = Ends(hass)
        assert totals(hass, prusa_printer) == {
            "total_jobs": "0",
            "total_print_time": "0.0",
            "total_filament_used": "0.0",
            "total_energy": "0.0",
            "total_cost": "0.0",
            "success_rate": "unknown",
        }
        cost_entity = entity_id_of(hass, "sensor", prusa_printer, "total_cost")
        assert hass.states.get(cost_entity).attributes[ATTR_UNIT_OF_MEASUREMENT] == "EUR"

        # Job 1, 10:00:30-11:00:30: 150 W, then 200 W from 10:30:30, when the price goes
        # from 0.30 to 0.42 EUR/kWh.
        await _tick(hass, freezer, 30)
        machine.start("VASE_S~1.BGC")  # 25 g of PLA, says the file
        hass.states.async_set(PLUG_POWER, "150", POWER)
        await _poll(hass)
        await _tick(hass, freezer, 1800)
        hass.states.async_set(PLUG_POWER, "200", POWER)
        hass.states.async_set(PRICE, "0.42", EURO_PER_KWH)
        await _poll(hass)
        await _tick(hass, freezer, 1800)
        machine.finish()
        await _poll(hass)
        assert len(ends.payloads) == 1
        first = ends.payloads[0]
        assert (first["started"], first["ended"]) == (
            "2026-03-02T10:00:30+00:00",
            "2026-03-02T11:00:30+00:00",
        )
        # 150 W x 30 min + 200 W x 30 min = 0.175 kWh at an average 0.36 EUR/kWh = 0.063;
        # 25 g x 25 EUR/kg = 0.625.
        assert costs(first) == (25.0, "PLA", 0.175, False, 0.688, "EUR")
        assert totals(hass, prusa_printer) == {
            "total_jobs": "1",
            "total_print_time": "1.0",
            "total_filament_used": "25.0",
            "total_energy": "0.175",
            "total_cost": "0.688",
            "success_rate": "100.0",
        }

        # Job 2 starts at 11:01:00 while the plug is unavailable; Home Assistant restarts.
        await _tick(hass, freezer, 30)
        hass.states.async_set(PLUG_POWER, STATE_UNAVAILABLE, POWER)
        machine.start("BENCHY~1.BGC")  # 9 g of PLA
        await _poll(hass)

    async with _home_assistant(hass_tmp_config_dir) as hass:
        hass.states.async_set(PLUG_POWER, STATE_UNAVAILABLE, POWER)
        hass.states.async_set(PRICE, "0.42", EURO_PER_KWH)
        await _add_prusa(hass, prusa_printer)
        ends = Ends(hass)
        # The totals come from the job history: the restart changes nothing.
        assert totals(hass, prusa_printer)["total_energy"] == "0.175"
        await _tick(hass, freezer, 5)
        await _poll(hass)
        await _tick(hass, freezer, 2695)
        machine.finish()
        await _poll(hass)
        assert len(ends.payloads) == 1
        second = ends.payloads[0]
        assert (second["started"], second["ended"], second["duration"]) == (
            "2026-03-02T11:01:00+00:00",
            "2026-03-02T11:46:00+00:00",
            2700,
        )
        # Estimated: 80 W (an MK4) x 45 min = 0.06 kWh x 0.42 = 0.0252; 9 g x 25 EUR/kg = 0.225.
        assert costs(second) == (9.0, "PLA", 0.06, True, 0.2502, "EUR")
        assert totals(hass, prusa_printer) == {
            "total_jobs": "2",
            "total_print_time": "1.75",
            "total_filament_used": "34.0",
            "total_energy": "0.235",
            "total_cost": "0.9382",
            "success_rate": "100.0",
        }

        response = await statistics(hass)
        assert response["start"] == "2026-03-02T10:00:30+00:00"
        assert response["end"] == "2026-03-02T11:46:00+00:00"
        assert response["currency"] == "EUR"
        farm = response["farm"]
        assert farm == {
            "printers": 1,
            "jobs": 2,
            "jobs_by_status": {
                "finished": 2,
                "failed": 0,
                "cancelled": 0,
                "interrupted": 0,
                "printing": 0,
                "paused": 0,
            },
            "success_rate": 100.0,
            "print_hours": 1.75,
            "average_job_minutes": 52.5,
            "filament_g": 34.0,
            "filament_by_material": {"PLA": 34.0},
            "energy_kwh": 0.235,
            "energy_estimated_kwh": 0.06,
            "cost": 0.94,
            # Printing 105 of the 105.5 minutes since the first job started.
            "utilization": 99.5,
        }
        [printer] = response["printers"]
        device = dr.async_get(hass).async_get_devices(identifiers={(DOMAIN, prusa_printer.serial)})[
            0
        ]
        assert device is not None
        assert (printer["device_id"], printer["serial"]) == (device.id, prusa_printer.serial)
        assert {key: printer[key] for key in farm if key != "printers"} == {
            key: value for key, value in farm.items() if key != "printers"
        }
        # From 11:00 on: job 2 only (jobs count where they started); occupied are the last
        # 30 seconds of job 1 and the 45 minutes of job 2, of 46 minutes.
        recent = await statistics(hass, **{"from": "2026-03-02T11:00:00+00:00"})
        assert (recent["farm"]["jobs"], recent["farm"]["utilization"]) == (1, 98.9)
        assert recent["farm"]["cost"] == 0.25


# ---------------------------------------------------------------------------------- Bambu Lab


async def test_bambu_energy_counter_and_reset(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """An energy counter measures the job; the file gives the grams; a reset zeroes the totals."""
    ftps = bambu_printer.ftps
    assert ftps is not None
    ftps.put("/cache/benchy.3mf", project_3mf(minutes=12, grams=4.5))
    hass.states.async_set(PLUG_ENERGY, "100.0", ENERGY)
    await asyncio.sleep(1.1)  # the reading clearly precedes the printer's start (whole seconds)
    entry = await setup_printer(
        hass,
        bambu_printer,
        options={
            CONF_FILAMENT_PRICE: 20.0,
            CONF_FILAMENT_PRICES: {"PETG": 30.0},
            CONF_ELECTRICITY_PRICE: 0.25,
            CONF_POWER_ENTITY: PLUG_ENERGY,
        },
    )
    ends = Ends(hass)
    bambu_printer.start_print("benchy.3mf", prepare_ticks=1, print_ticks=100_000)

    def has_grams() -> bool:
        job = hass.data[DATA_JOBS].recorders[entry.entry_id].tracker.job
        return job is not None and job.filament_g == 4.5

    await wait_for(hass, has_grams, timeout=20, what="the job's grams from the project file")
    hass.states.async_set(PLUG_ENERGY, "100.3", ENERGY)
    hass.states.async_set(PLUG_ENERGY, "100.45", ENERGY)
    bambu_printer.finish()
    await wait_for(hass, lambda: len(ends.payloads) == 1, timeout=20, what="the job's end")
    payload = ends.payloads[0]
    # 0.45 kWh x 0.25 EUR/kWh = 0.1125; 4.5 g of PETG x 30 EUR/kg = 0.135.
    assert costs(payload) == (4.5, "PETG", 0.45, False, 0.2475, "EUR")
    state = totals(hass, bambu_printer)
    assert state == {
        "total_jobs": "1",
        "total_print_time": state["total_print_time"],
        "total_filament_used": "4.5",
        "total_energy": "0.45",
        "total_cost": "0.2475",
        "success_rate": "100.0",
    }
    assert float(state["total_print_time"]) == pytest.approx(
        payload["print_time"] / 3600, abs=0.0006
    )
    energy = hass.states.get(entity_id_of(hass, "sensor", bambu_printer, "total_energy"))
    assert energy.attributes["state_class"] == "total_increasing"
    assert energy.attributes["device_class"] == "energy"
    filament = entity_id_of(hass, "sensor", bambu_printer, "total_filament_used")
    assert hass.states.get(filament).attributes["state_class"] == "total"
    assert "last_reset" not in hass.states.get(filament).attributes  # never reset

    device = dr.async_get(hass).async_get_devices(identifiers={(DOMAIN, bambu_printer.serial)})[0]
    assert device is not None
    per_printer = await statistics(hass, device_id=device.id, period="today")
    assert per_printer["farm"]["cost"] == 0.25
    assert [p["serial"] for p in per_printer["printers"]] == [bambu_printer.serial]

    await hass.services.async_call(
        DOMAIN, "reset_statistics", {ATTR_DEVICE_ID: device.id}, blocking=True
    )
    await hass.async_block_till_done()
    state = totals(hass, bambu_printer)
    assert state == {
        "total_jobs": "0",
        "total_print_time": "0.0",
        "total_filament_used": "0.0",
        "total_energy": "0.0",
        "total_cost": "0.0",
        "success_rate": "unknown",
    }
    last_reset = hass.states.get(filament).attributes["last_reset"]
    assert datetime.fromisoformat(last_reset) <= datetime.now(UTC)
    # The history is kept: the statistics still count the job.
    assert (await statistics(hass, period="all"))["farm"]["jobs"] == 1


async def test_statistics_periods_and_errors(
    hass: HomeAssistant, prusa_printer: PrusaLinkSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Named periods, a removed printer's jobs, and the mistakes users can make."""
    freezer.move_to(datetime(2026, 7, 15, 12, 0, tzinfo=UTC))
    entry = await setup_printer(hass, prusa_printer)
    assert hass.config.time_zone == "US/Pacific"  # today and year start at local midnight
    for period, start in (
        ("today", "2026-07-15T07:00:00+00:00"),
        ("7d", "2026-07-08T12:00:00+00:00"),
        ("30d", "2026-06-15T12:00:00+00:00"),
        ("year", "2026-01-01T08:00:00+00:00"),
        ("all", None),
    ):
        response = await statistics(hass, period=period)
        assert (response["start"], response["end"]) == (start, "2026-07-15T12:00:00+00:00")
        assert response["farm"]["jobs"] == 0
        assert response["farm"]["utilization"] == (None if start is None else 0.0)
    until = await statistics(hass, to="2026-07-15T11:00:00+00:00")
    assert (until["start"], until["end"]) == (None, "2026-07-15T11:00:00+00:00")

    with pytest.raises(ServiceValidationError) as err:
        await statistics(hass, period="today", **{"from": "2026-07-01T00:00:00"})
    assert err.value.translation_key == "period_with_range"
    with pytest.raises(ServiceValidationError) as err:
        await statistics(hass, **{"from": "2026-07-02T00:00:00", "to": "2026-07-01T00:00:00"})
    assert err.value.translation_key == "invalid_time_range"
    with pytest.raises(ServiceValidationError) as err:
        await statistics(hass, device_id="nope")
    assert err.value.translation_key == "device_not_found"
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN, "reset_statistics", {ATTR_DEVICE_ID: "nope"}, blocking=True
        )

    # A printer's job, then the printer is removed: its history still counts, by serial.
    prusa_printer.machine.start()
    freezer.tick(timedelta(seconds=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    prusa_printer.machine.finish()
    freezer.tick(timedelta(seconds=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    device = dr.async_get(hass).async_get_devices(identifiers={(DOMAIN, prusa_printer.serial)})[0]
    assert device is not None
    both = await statistics(hass, device_id=[device.id, device.id])
    assert [p["serial"] for p in both["printers"]] == [prusa_printer.serial]
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    orphan = await statistics(hass)
    assert [(p["device_id"], p["printer"], p["jobs"]) for p in orphan["printers"]] == [
        (None, prusa_printer.serial, 1)
    ]
    # Resetting every printer with none configured does nothing.
    await hass.services.async_call(DOMAIN, "reset_statistics", {}, blocking=True)
