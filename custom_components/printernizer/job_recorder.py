"""Connects each printer's coordinator to its job tracker, the job store and the event bus."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Final

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import CONF_JOB_RETENTION_DAYS, DOMAIN, LOGGER
from .coordinator import PrinternizerConfigEntry, PrinternizerCoordinator
from .database import JobQuery
from .energy import CostSettings, JobCosts, Snapshot, signal_totals
from .jobs import (
    ANNOUNCED_EVENT_TYPES,
    END_STATUSES,
    Job,
    JobChange,
    JobEventType,
    JobStatus,
    JobTracker,
    job_to_dict,
)
from .printers.model import PrinterState
from .store import JobStore

DATA_JOBS: Final[HassKey[JobsData]] = HassKey(f"{DOMAIN}_jobs")
EVENT_JOB_PREFIX: Final = f"{DOMAIN}_job_"
PURGE_INTERVAL: Final = timedelta(days=1)
# Until the printer reported anything, its coordinator holds this; it says nothing about jobs.
_NOTHING_REPORTED: Final = PrinterState()
# What job tracking reads; reports that change only temperatures or fans skip it.
_JOB_FIELDS: Final = frozenset(
    {
        "status",
        "job_id",
        "file",
        "job_start",
        "job_end",
        "progress",
        "active_slot",
        "ams_units",
        "external_spool",
        "external_left_spool",
        "thumbnail_url",
    }
)

type JobListener = Callable[[JobChange], None]


@dataclass(slots=True)
class JobsData:
    """The job store and the recorder of every loaded printer."""

    store: JobStore
    recorders: dict[str, JobRecorder] = field(default_factory=dict)


async def async_setup_jobs(hass: HomeAssistant) -> None:
    """Open the job store (once, in ``async_setup``); it is closed when Home Assistant stops."""
    store = await JobStore.async_open(hass)
    hass.data[DATA_JOBS] = JobsData(store)

    async def close(_event: Event) -> None:
        for recorder in hass.data[DATA_JOBS].recorders.values():
            recorder.async_save_open_job()
        await store.async_close()

    # Final write: after the stop event, when printers have disconnected, before the executor ends.
    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_FINAL_WRITE, close)


async def async_start_job_recorder(hass: HomeAssistant, entry: PrinternizerConfigEntry) -> None:
    """Record the jobs of a printer that was just set up (its coordinator has data)."""
    data = hass.data[DATA_JOBS]
    recorder = JobRecorder(hass, entry.runtime_data, data.store)
    await recorder.async_start()
    data.recorders[entry.entry_id] = recorder

    @callback
    def stop() -> None:
        recorder.async_stop()
        if data.recorders.get(entry.entry_id) is recorder:
            del data.recorders[entry.entry_id]

    entry.async_on_unload(stop)


async def async_query_jobs(hass: HomeAssistant, query: JobQuery) -> list[Job]:
    """Return stored jobs; the open ones as they stand now (their progress is written less often)."""
    data = hass.data[DATA_JOBS]
    jobs = await data.store.async_jobs(query)
    live = {
        job.id: job
        for recorder in data.recorders.values()
        if (job := recorder.tracker.job) is not None
    }
    return [live.get(job.id, job) for job in jobs] if live else jobs


def recorder_for(hass: HomeAssistant, entry: PrinternizerConfigEntry) -> JobRecorder:
    """Return the job recorder of a loaded printer."""
    return hass.data[DATA_JOBS].recorders[entry.entry_id]


class JobRecorder:
    """Feeds one printer's states to its :class:`JobTracker`; stores and announces the changes."""

    def __init__(
        self, hass: HomeAssistant, coordinator: PrinternizerCoordinator, store: JobStore
    ) -> None:
        """Initialize for a printer."""
        self.hass = hass
        self.coordinator = coordinator
        self.store = store
        self.tracker = JobTracker(coordinator.serial)
        self._listeners: list[JobListener] = []
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self.costs = JobCosts(
            hass,
            CostSettings.from_options(coordinator.config_entry.options, coordinator.info),
        )
        # Ended jobs wait here for their energy and cost (the recorder is asked in its
        # executor); changes behind one wait too, so that they are announced in order.
        self._ending: deque[tuple[JobChange, Snapshot]] = deque()
        self._worker: asyncio.Task[None] | None = None
        self._completed: Job | None = None
        """The last job completed with energy and cost (the tracker keeps it without)."""

    @property
    def last_job(self) -> Job | None:
        """Return the job that ended last."""
        return self._with_costs(self.tracker.last_closed)

    def _with_costs(self, job: Job | None) -> Job | None:
        """Return ``job`` with the energy and cost worked out when it ended."""
        done = self._completed
        if job is None or done is None or job.id != done.id:
            return job
        return replace(
            job,
            energy_kwh=done.energy_kwh,
            energy_estimated=done.energy_estimated,
            cost=done.cost,
            currency=done.currency,
        )

    async def async_start(self) -> None:
        """Pick up the open job of an earlier run, then follow the printer."""
        serial = self.coordinator.serial
        await self._async_purge()
        open_jobs, last = await self.store.async_restore(serial)
        now = dt_util.utcnow()
        # Only one job can run on a printer; older open rows are leftovers of a crash.
        for stale in open_jobs[1:]:
            LOGGER.warning("Closing job %s of %s that never ended", stale.id, serial)
            self.store.async_save_job(
                replace(stale, status=JobStatus.INTERRUPTED, ended=stale.last_seen or now)
            )
        self.tracker.restore(open_jobs[0] if open_jobs else None, last)
        self.costs.live.keep_since = open_jobs[0].started if open_jobs else None
        self._unsubscribe.append(self.costs.live.async_start())
        self._unsubscribe.append(
            self.coordinator.async_add_field_listener(_JOB_FIELDS, self._handle_update)
        )
        self._unsubscribe.append(
            async_track_time_interval(
                self.hass, self._async_purge, PURGE_INTERVAL, cancel_on_shutdown=True
            )
        )
        self._handle_update()

    @callback
    def async_save_open_job(self) -> None:
        """Write the open job as it stands (while printing, progress is written once a minute)."""
        if (job := self.tracker.job) is not None:
            self.store.async_save_job(job)

    @callback
    def async_stop(self) -> None:
        """Stop following the printer (the open job stays open in the store)."""
        self.async_save_open_job()
        while self._unsubscribe:
            self._unsubscribe.pop()()

    @callback
    def async_add_listener(self, listener: JobListener) -> CALLBACK_TYPE:
        """Call ``listener`` with every announced change; return the function that stops it."""
        self._listeners.append(listener)

        @callback
        def remove() -> None:
            self._listeners.remove(listener)

        return remove

    async def _async_purge(self, _now: Any = None) -> None:
        days = self.coordinator.config_entry.options.get(CONF_JOB_RETENTION_DAYS)
        if not days:
            return
        removed = await self.store.async_purge(
            self.coordinator.serial, dt_util.utcnow() - timedelta(days=int(days))
        )
        if removed:
            LOGGER.debug("Removed %s jobs older than %s days", removed, days)

    @callback
    def _handle_update(self) -> None:
        coordinator = self.coordinator
        state = coordinator.data
        if state is None or state == _NOTHING_REPORTED:
            return
        changes = self.tracker.update(
            state, available=coordinator.last_update_success, now=dt_util.utcnow()
        )
        for change in changes:
            self._dispatch(change)
        job = self.tracker.job
        self.costs.live.keep_since = job.started if job is not None else None

    def _dispatch(self, change: JobChange) -> None:
        """Apply a change now, or after the ended jobs before it got their energy and cost."""
        ended = change.job.status in END_STATUSES
        if not ended and not self._ending:
            self._apply(change)
            return
        self._ending.append((change, self.costs.snapshot() if ended else {}))
        if self._worker is None or self._worker.done():
            # Eager: without the recorder the costs are known at once, before this returns.
            self._worker = self.hass.async_create_task(
                self._async_complete_ended(),
                f"{DOMAIN} job costs {self.coordinator.printer_name}",
                eager_start=True,
            )

    async def _async_complete_ended(self) -> None:
        while self._ending:
            change, live = self._ending[0]
            if change.job.status in END_STATUSES:
                job = await self.costs.async_complete(change.job, live)
                latest = self.tracker.last_closed
                if latest is not None and latest.id == job.id:
                    # With the file details that may have arrived meanwhile.
                    job = self.costs.recost(
                        replace(
                            latest,
                            energy_kwh=job.energy_kwh,
                            energy_estimated=job.energy_estimated,
                        )
                    )
                self._completed = job
                change = JobChange(change.type, job)
            self._ending.popleft()
            self._apply(change)

    def _apply(self, change: JobChange) -> None:
        job = change.job
        self.store.async_save_job(job)
        if job.ended is not None:
            async_dispatcher_send(self.hass, signal_totals(job.printer))
        if change.type is JobEventType.STARTED and job.file:
            self.store.async_save_file(job.printer, job.file, seen=job.started, printed=True)
            self.coordinator.config_entry.async_create_background_task(
                self.hass,
                self._async_add_file_details(job.id),
                f"{DOMAIN} job file details {self.coordinator.printer_name}",
            )
        if change.type not in ANNOUNCED_EVENT_TYPES:
            return
        LOGGER.debug("%s: job %s %s", self.coordinator.printer_name, job.file, change.type)
        self.hass.bus.async_fire(f"{EVENT_JOB_PREFIX}{change.type}", self.event_data(job))
        for listener in list(self._listeners):
            listener(change)

    async def _async_add_file_details(self, job_id: str) -> None:
        """Complete a job with its file's slicer metadata: grams, material, picture."""
        info = await self.coordinator.async_job_file_info()
        if info is None:
            return
        metadata = info.metadata
        updated = self.tracker.add_file_details(
            job_id,
            filament_g=None if metadata is None else metadata.filament_g,
            material=None if metadata is None else metadata.material,
            thumbnail=info.thumbnail_path,
        )
        if updated is None:
            return
        if updated.ended is not None:
            if any(change.job.id == job_id for change, _ in self._ending):
                return  # the job's costs are being worked out; they include these details
            completed = self._with_costs(updated)
            assert completed is not None
            updated = self._completed = self.costs.recost(completed)
        self.store.async_save_job(updated)
        if updated.ended is not None:
            async_dispatcher_send(self.hass, signal_totals(updated.printer))

    def event_data(self, job: Job) -> dict[str, Any]:
        """Return the payload of a job event."""
        coordinator = self.coordinator
        return {
            "device_id": coordinator.device_id,
            "config_entry_id": coordinator.config_entry.entry_id,
            "printer": coordinator.printer_name,
            **job_to_dict(job),
        }
