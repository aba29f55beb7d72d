"""Job history end to end: simulated printers → Home Assistant → store, events and entities.

Every scenario ends with exactly one row per real print (read back with ``get_jobs``), the right
status, times and progress, and each job event fired once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant import loader
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_test_home_assistant,
)

from custom_components.printernizer.const import CONF_JOB_RETENTION_DAYS, DOMAIN
from custom_components.printernizer.database import DATABASE_NAME, JobDatabase
from custom_components.printernizer.jobs import Job, JobStatus
from tests import entity_id_of, printer_entry_data, setup_printer, wait_for, wait_for_state
from tests.simulators.bambu.simulator import BambuSimulator
from tests.simulators.prusa.server import PrusaLinkSimulator

EVENT_TYPES = ("started", "paused", "resumed", "finished", "failed", "cancelled", "interrupted")
# Long enough that a scripted Bambu print only ends when the test ends it.
LONG = {"prepare_ticks": 2, "print_ticks": 100_000}


class JobEvents:
    """Every printernizer_job_* event fired on a Home Assistant."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Start listening."""
        self.events: list[Event] = []

        @callback
        def collect(event: Event) -> None:
            # A callback runs in the loop, in firing order (a plain function would not).
            self.events.append(event)

        for event_type in EVENT_TYPES:
            hass.bus.async_listen(f"{DOMAIN}_job_{event_type}", collect)

    @property
    def types(self) -> list[str]:
        """Return the event types (started, ...) in firing order."""
        return [event.event_type.removeprefix(f"{DOMAIN}_job_") for event in self.events]

    def count(self, event_type: str) -> int:
        """Return how often ``event_type`` fired."""
        return self.types.count(event_type)

    def last(self, event_type: str) -> dict[str, Any]:
        """Return the payload of the last ``event_type`` event."""
        return next(e.data for e in reversed(self.events) if e.event_type.endswith(event_type))


async def get_jobs(hass: HomeAssistant, **data: Any) -> list[dict[str, Any]]:
    """Return the job history through the get_jobs action."""
    response = await hass.services.async_call(
        DOMAIN, "get_jobs", data, blocking=True, return_response=True
    )
    assert response is not None
    jobs = response["jobs"]
    assert isinstance(jobs, list)
    return jobs


def _device_id(hass: HomeAssistant, printer: Any) -> str:
    devices = dr.async_get(hass).async_get_devices(identifiers={(DOMAIN, printer.serial)})
    assert len(devices) == 1
    return devices[0].id


def _assert_times(job: dict[str, Any]) -> None:
    started = datetime.fromisoformat(job["started"])
    ended = datetime.fromisoformat(job["ended"])
    assert ended >= started
    assert job["duration"] == round((ended - started).total_seconds())


async def _wait_jobs(
    hass: HomeAssistant, check: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """Wait until the stored jobs satisfy ``check``."""
    for _ in range(400):
        jobs = await get_jobs(hass)
        if check(jobs):
            return jobs
        await asyncio.sleep(0.05)
    raise AssertionError(f"jobs never matched: {jobs}")


# ---------------------------------------------------------------------------------- Bambu Lab


async def _bambu_wait(hass: HomeAssistant, events: JobEvents, event_type: str, count: int = 1):
    await wait_for(
        hass, lambda: events.count(event_type) >= count, timeout=20, what=f"{event_type} event"
    )


@pytest.mark.parametrize(
    ("action", "status"),
    [("finish", "finished"), ("fail", "failed"), ("cancel", "cancelled")],
)
async def test_bambu_job_ends(
    hass: HomeAssistant, bambu_printer: BambuSimulator, action: str, status: str
) -> None:
    """A print that finishes, fails or is cancelled: one row, two events, entities follow."""
    entry = await setup_printer(hass, bambu_printer)
    events = JobEvents(hass)
    event_entity = entity_id_of(hass, "event", bambu_printer, "print_job")
    last_status = entity_id_of(hass, "sensor", bambu_printer, "last_job_status")
    last_duration = entity_id_of(hass, "sensor", bambu_printer, "last_job_duration")
    assert hass.states.get(last_status).state == "unknown"

    bambu_printer.start_print("benchy.3mf", **LONG)
    await _bambu_wait(hass, events, "started")
    assert hass.states.get(event_entity).attributes["event_type"] == "started"
    await wait_for_state(
        hass, entity_id_of(hass, "sensor", bambu_printer, "status"), "printing", timeout=20
    )
    running = await get_jobs(hass)
    assert [job["status"] for job in running] == ["printing"]
    assert running[0]["ended"] is None

    getattr(bambu_printer, action)()
    await _bambu_wait(hass, events, status)
    await hass.async_block_till_done()

    assert events.types == ["started", status]
    payload = events.last(status)
    assert payload["device_id"] == _device_id(hass, bambu_printer)
    assert payload["config_entry_id"] == entry.entry_id
    assert payload["file"] == "benchy"
    assert payload["printer_job_id"] == bambu_printer.printer.state["subtask_id"]
    jobs = await get_jobs(hass)
    assert len(jobs) == 1
    job = jobs[0]
    assert job["status"] == status
    assert job["job_id"] == payload["job_id"] == events.last("started")["job_id"]
    assert job["device_id"] == payload["device_id"]
    _assert_times(job)
    if status == "finished":
        assert job["progress"] == 100
    state = hass.states.get(event_entity)
    assert state.attributes["event_type"] == status
    assert state.attributes["job_id"] == job["job_id"]
    assert hass.states.get(last_status).state == status
    assert hass.states.get(last_status).attributes["file"] == "benchy"
    assert float(hass.states.get(last_duration).state) == round(job["duration"] / 60, 1)


async def test_bambu_pause_resume(hass: HomeAssistant, bambu_printer: BambuSimulator) -> None:
    """Paused and resumed are announced once each; the job is still one row."""
    await setup_printer(hass, bambu_printer)
    events = JobEvents(hass)
    bambu_printer.start_print("cube.3mf", **LONG)
    await _bambu_wait(hass, events, "started")
    bambu_printer.pause()
    await _bambu_wait(hass, events, "paused")
    bambu_printer.resume()
    await _bambu_wait(hass, events, "resumed")
    bambu_printer.finish()
    await _bambu_wait(hass, events, "finished")
    assert events.types == ["started", "paused", "resumed", "finished"]
    jobs = await get_jobs(hass)
    assert [(job["file"], job["status"]) for job in jobs] == [("cube", "finished")]
    assert jobs[0]["print_time"] <= jobs[0]["duration"]


async def test_bambu_same_file_twice(hass: HomeAssistant, bambu_printer: BambuSimulator) -> None:
    """The same file printed twice in a row is two jobs."""
    await setup_printer(hass, bambu_printer)
    events = JobEvents(hass)
    for round_ in (1, 2):
        bambu_printer.start_print("benchy.3mf", prepare_ticks=1, print_ticks=3)
        await _bambu_wait(hass, events, "finished", round_)
    assert events.types == ["started", "finished", "started", "finished"]
    jobs = await get_jobs(hass)
    assert [(job["file"], job["status"], job["progress"]) for job in jobs] == [
        ("benchy", "finished", 100),
        ("benchy", "finished", 100),
    ]
    assert jobs[0]["job_id"] != jobs[1]["job_id"]
    assert jobs[0]["started"] > jobs[1]["started"]


async def test_bambu_duplicated_and_out_of_order_reports(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """Repeated and late reports neither start phantom jobs nor lower the progress reached."""
    await setup_printer(hass, bambu_printer)
    events = JobEvents(hass)
    job = bambu_printer.start_print("benchy.3mf", prepare_ticks=0, print_ticks=100_000)
    await _bambu_wait(hass, events, "started")
    job.tick = job.print_ticks * 6 // 10  # 60 %
    progress = entity_id_of(hass, "sensor", bambu_printer, "progress")
    await wait_for_state(hass, progress, "60")
    bambu_printer.stall(until_reconnect=False)
    late = {"print": {"command": "push_status", "msg": 1, "mc_percent": 40}}
    await bambu_printer.push(late)
    await wait_for_state(hass, progress, "40")
    await bambu_printer.push(late)
    bambu_printer.unstall()
    bambu_printer.cancel()
    await _bambu_wait(hass, events, "cancelled")
    task = bambu_printer.printer.state["subtask_id"]
    bambu_printer.stall(until_reconnect=False)
    stale = {
        "print": {
            "command": "push_status",
            "msg": 1,
            "gcode_state": "RUNNING",
            "print_error": 0,
            "mc_percent": 59,
            "subtask_id": task,
            "task_id": task,
        }
    }
    status = entity_id_of(hass, "sensor", bambu_printer, "status")
    await bambu_printer.push(stale)
    await wait_for_state(hass, status, "printing")
    await bambu_printer.push(stale)
    bambu_printer.unstall()
    bambu_printer.push_full()
    await wait_for_state(hass, status, "cancelled")
    bambu_printer.push_full()
    await hass.async_block_till_done()
    assert events.types == ["started", "cancelled"]
    jobs = await get_jobs(hass)
    assert [(job["status"], job["progress"]) for job in jobs] == [("cancelled", 60)]


async def test_bambu_unreachable_at_the_end(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """The printer is switched off mid-print and comes back finished: one finished job."""
    await setup_printer(hass, bambu_printer)
    events = JobEvents(hass)
    status = entity_id_of(hass, "sensor", bambu_printer, "status")
    bambu_printer.start_print("benchy.3mf", **LONG)
    await _bambu_wait(hass, events, "started")
    await wait_for_state(hass, status, "printing", timeout=20)
    await bambu_printer.go_offline()
    await wait_for_state(hass, status, STATE_UNAVAILABLE)
    bambu_printer.finish()
    await bambu_printer.go_online()
    await _bambu_wait(hass, events, "finished")
    assert events.types == ["started", "finished"]
    jobs = await get_jobs(hass)
    assert [(job["status"], job["progress"]) for job in jobs] == [("finished", 100)]
    _assert_times(jobs[0])


@asynccontextmanager
async def _home_assistant(config_dir: str) -> AsyncIterator[HomeAssistant]:
    """Run a Home Assistant on ``config_dir`` (one of several in a test) and stop it after."""
    async with async_test_home_assistant(config_dir=config_dir) as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        yield hass


async def _add_printer(hass: HomeAssistant, data: dict[str, Any], entry_id: str) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, entry_id=entry_id, title="Printer", unique_id="x", data=data
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def _stop(hass: HomeAssistant) -> None:
    """Stop Home Assistant; printer connections are closed first, as the test fixture does."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_stop()


async def test_restart_mid_print(
    hass_tmp_config_dir: str,
    bambu_printer: BambuSimulator,
    prusa_printer: PrusaLinkSimulator,
) -> None:
    """Home Assistant stops mid-print; a new one on the same store continues both jobs."""
    bambu_data = await printer_entry_data(bambu_printer)
    prusa_data = await printer_entry_data(prusa_printer)

    async with _home_assistant(hass_tmp_config_dir) as first:
        events = JobEvents(first)
        await _add_printer(first, bambu_data, "bambu_entry")
        await _add_printer(first, prusa_data, "prusa_entry")
        job = bambu_printer.start_print("benchy.3mf", **LONG)
        prusa_printer.machine.start()
        async_fire_time_changed(first, dt_util.utcnow() + timedelta(seconds=31))
        await wait_for(first, lambda: events.count("started") == 2, timeout=20, what="2 starts")
        job.tick = job.prepare_ticks + job.print_ticks * 3 // 10  # 30 %
        prusa_printer.machine.advance(900)  # 33 %
        async_fire_time_changed(first, dt_util.utcnow() + timedelta(seconds=62))
        await _wait_jobs(
            first,
            lambda jobs: sorted(round(job["progress"] or 0) for job in jobs) == [30, 33],
        )
        before = {job["printer_job_id"]: job for job in await get_jobs(first)}
        await _stop(first)

    assert len(before) == 2
    async with _home_assistant(hass_tmp_config_dir) as second:
        # Progress is written once a minute while printing, and on stop: the store has 30 %/33 %.
        assert await async_setup_component(second, DOMAIN, {})
        stored = await get_jobs(second)
        assert sorted(round(job["progress"]) for job in stored) == [30, 33], [
            (job["printer_job_id"], job["file"], job["progress"], job["status"]) for job in stored
        ]
        events = JobEvents(second)
        await _add_printer(second, bambu_data, "bambu_entry")
        await _add_printer(second, prusa_data, "prusa_entry")
        bambu_printer.finish()
        prusa_printer.machine.finish()
        async_fire_time_changed(second, dt_util.utcnow() + timedelta(seconds=31))
        await wait_for(second, lambda: events.count("finished") == 2, timeout=20, what="2 finishes")
        assert events.types == ["finished", "finished"]
        jobs = await get_jobs(second)
        assert len(jobs) == 2
        for job in jobs:
            earlier = before[job["printer_job_id"]]
            assert job["job_id"] == earlier["job_id"]
            assert job["started"] == earlier["started"]
            assert job["status"] == "finished"
            assert job["progress"] == 100
            _assert_times(job)
        await _stop(second)


# ---------------------------------------------------------------------------------- Prusa


async def _poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = 31) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize(
    ("end", "status"),
    [("finish", "finished"), ("error", "failed"), ("stop", "cancelled")],
)
async def test_prusa_job_ends(
    hass: HomeAssistant,
    prusa_printer: PrusaLinkSimulator,
    freezer: FrozenDateTimeFactory,
    end: str,
    status: str,
) -> None:
    """FINISHED, ERROR and STOPPED end the job as finished, failed and cancelled."""
    await setup_printer(hass, prusa_printer)
    events = JobEvents(hass)
    machine = prusa_printer.machine
    machine.start()
    await _poll(hass, freezer, 31)
    started_at = dt_util.utcnow()
    machine.advance(600)
    await _poll(hass, freezer)
    getattr(machine, end)()
    await _poll(hass, freezer)
    await _poll(hass, freezer)  # the end is reported again: nothing more happens
    assert events.types == ["started", status]
    jobs = await get_jobs(hass)
    assert len(jobs) == 1
    job = jobs[0]
    assert job["status"] == status
    assert job["file"] == "benchy_0.4n_0.2mm_PLA_MK4_45m.bgcode"
    assert job["printer_job_id"] == str(machine.job.id)
    assert job["progress"] == (100 if status == "finished" else pytest.approx(22.2, abs=0.5))
    # The start comes from the printer's time_printing, not from when Home Assistant looked.
    assert datetime.fromisoformat(job["started"]) <= started_at
    _assert_times(job)


async def test_prusa_pause_resume_and_same_file_twice(
    hass: HomeAssistant, prusa_printer: PrusaLinkSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Pause/resume within a job, then the same file again: two rows, events once each."""
    await setup_printer(hass, prusa_printer)
    events = JobEvents(hass)
    machine = prusa_printer.machine
    machine.start()
    await _poll(hass, freezer, 31)
    machine.pause()
    await _poll(hass, freezer)
    await _poll(hass, freezer, 600)
    machine.resume()
    await _poll(hass, freezer)
    machine.finish()
    await _poll(hass, freezer)
    machine.start()  # FINISHED → the same file again
    await _poll(hass, freezer)
    machine.finish()
    await _poll(hass, freezer)
    assert events.types == ["started", "paused", "resumed", "finished", "started", "finished"]
    jobs = await get_jobs(hass)
    assert [(job["file"], job["status"]) for job in jobs] == [
        ("benchy_0.4n_0.2mm_PLA_MK4_45m.bgcode", "finished")
    ] * 2
    assert jobs[0]["printer_job_id"] != jobs[1]["printer_job_id"]
    first = jobs[1]
    assert first["duration"] - first["print_time"] >= 600


@pytest.mark.parametrize(
    ("while_away", "expected_events", "expected_jobs"),
    [
        ("finish", ["started", "finished"], [("finished", 100)]),
        ("clear", ["started", "interrupted"], [("interrupted", 40)]),
        ("another", ["started", "interrupted", "started"], [("printing", 0), ("interrupted", 40)]),
    ],
)
async def test_prusa_unreachable_at_the_end(
    hass: HomeAssistant,
    prusa_printer: PrusaLinkSimulator,
    freezer: FrozenDateTimeFactory,
    while_away: str,
    expected_events: list[str],
    expected_jobs: list[tuple[str, int]],
) -> None:
    """Away at the end; back finished, back idle, or back on another job."""
    await setup_printer(hass, prusa_printer)
    events = JobEvents(hass)
    machine = prusa_printer.machine
    status_entity = entity_id_of(hass, "sensor", prusa_printer, "status")
    machine.start()
    machine.advance(1080)  # 40 % of 45 minutes
    await _poll(hass, freezer, 31)
    prusa_printer.fail_next(503, count=None)
    for _ in range(4):
        await _poll(hass, freezer, 301)
    assert hass.states.get(status_entity).state == STATE_UNAVAILABLE
    match while_away:
        case "finish":
            machine.finish()
        case "clear":
            machine.stop()
            machine.clear()  # the user confirmed on the screen: idle, the job is forgotten
        case _:
            machine.stop()
            machine.start("CALIBR~1.BGC")
    prusa_printer.clear_faults()
    await _poll(hass, freezer, 301)
    assert hass.states.get(status_entity).state != STATE_UNAVAILABLE
    jobs = await get_jobs(hass)
    assert events.types == expected_events
    assert [(job["status"], round(job["progress"])) for job in jobs] == expected_jobs


async def test_leftover_open_jobs_and_retention(
    hass: HomeAssistant, prusa_printer: PrusaLinkSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Open rows left by a crash are closed; retention removes ended jobs daily."""
    now = dt_util.utcnow()
    leftovers = [
        Job(
            id=name,
            printer=prusa_printer.serial,
            status=JobStatus.PRINTING,
            started=now - timedelta(days=days),
            last_seen=now - timedelta(days=days, hours=-1),
            printer_job_id=name,
            progress=10.0 * days,
        )
        for name, days in (("older", 2), ("newer", 1))
    ]

    def seed() -> None:
        database = JobDatabase.open(Path(hass.config.path(DATABASE_NAME)))
        database.save_jobs(leftovers)
        database.close()

    await hass.async_add_executor_job(seed)
    events = JobEvents(hass)
    await setup_printer(hass, prusa_printer, options={CONF_JOB_RETENTION_DAYS: 30})
    # The printer is idle: the newest open job was interrupted (announced), the older is closed.
    assert events.types == ["interrupted"]
    assert events.last("interrupted")["job_id"] == "newer"
    jobs = await get_jobs(hass)
    assert [(job["job_id"], job["status"], job["progress"]) for job in jobs] == [
        ("newer", "interrupted", 10),
        ("older", "interrupted", 20),
    ]
    assert jobs[1]["ended"] == leftovers[0].last_seen.isoformat()

    prusa_printer.machine.start()
    await _poll(hass, freezer)
    prusa_printer.machine.finish()
    await _poll(hass, freezer)
    await _poll(hass, freezer, timedelta(days=29, hours=12).total_seconds())
    assert [job["status"] for job in await get_jobs(hass)] == ["finished"]


async def test_prusa_filament_from_file_metadata(
    hass: HomeAssistant, prusa_printer: PrusaLinkSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Grams, material and picture come from the file's metadata (not estimated)."""
    await setup_printer(hass, prusa_printer)
    events = JobEvents(hass)
    prusa_printer.machine.start("VASE_S~1.BGC")
    await _poll(hass, freezer)
    prusa_printer.machine.finish()
    await _poll(hass, freezer)
    assert events.types == ["started", "finished"]
    payload = events.last("finished")
    assert (payload["filament_g"], payload["filament_estimated"], payload["material"]) == (
        25.0,
        False,
        "PLA",
    )
    assert payload["thumbnail"] is not None
    jobs = await get_jobs(hass)
    assert [(job["filament_g"], job["filament_estimated"]) for job in jobs] == [(25.0, False)]
