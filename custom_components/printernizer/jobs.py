"""Print-job lifecycle of one printer, fed with normalized printer states (no Home Assistant).

A :class:`JobTracker` watches the :class:`PrinterState` snapshots of one printer and turns them into
job records and lifecycle changes: started, paused, resumed, finished, failed, cancelled,
interrupted. It is exact about what is one print:

- A job starts when the printer enters preparing/printing/paused while no job is open, or when an
  active state carries a job identity other than the open job's. Identity is the printer's job id
  (Bambu subtask/task id, Prusa job id); without one, the file and the printer-reported start.
  A job that was closed is never reopened, so the same file printed again is a new job.
- The open job survives restarts and reconnects: :meth:`JobTracker.restore` hands it back, and an
  active state of the same identity continues it without a new start.
- A job ends with the vendor's verdict (finished, failed, cancelled; a Prusa ERROR fails it). If the
  printer turns up idle, it ends with the best-known status: finished when it had reached 100 %,
  else ``interrupted``; if it turns up on another job, the open one is ``interrupted``. Either way
  the progress is the highest the printer reported.
- Reports that arrive late for a job that just ended (same identity, within :data:`ECHO_WINDOW`)
  are ignored, and progress never goes backwards within a job.

Times come from the printer where it reports them: the start from ``job_start`` (Bambu
``gcode_start_time``, Prusa now minus ``time_printing``), the end from ``job_end``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final
import uuid

from .printers.model import PrinterState, PrinterStatus

ECHO_WINDOW: Final = timedelta(minutes=2)
"""How long after a job ended a report of the same job is taken as a late echo, not a new job."""
PRINTER_START_TOLERANCE: Final = timedelta(minutes=2)
"""Printer-reported starts closer than this are the same start (Prusa's is derived, and drifts)."""
PROGRESS_RESTART: Final = 20.0
"""Without a job id, progress falling by more than this many points means the file restarted."""
PROGRESS_SAVE_INTERVAL: Final = timedelta(minutes=1)
"""Progress alone is written at most this often (short prints move a percent every second)."""
COMPLETE: Final = 99.5
"""Progress at which a job whose end was not seen counts as finished."""
SPOOL_GRAMS: Final = 1000.0
"""Nominal spool weight behind a tray's ``remaining`` percentage (Bambu trays report 1 kg spools)."""


class JobStatus(StrEnum):
    """Status of a job record."""

    PRINTING = "printing"
    PAUSED = "paused"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def is_open(self) -> bool:
        """Return True while the job runs (printing or paused)."""
        return self in OPEN_STATUSES


OPEN_STATUSES: Final = frozenset({JobStatus.PRINTING, JobStatus.PAUSED})
END_STATUSES: Final = frozenset(
    {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.INTERRUPTED}
)


class JobEventType(StrEnum):
    """What happened to a job; all but ``updated`` are announced to automations."""

    STARTED = "started"
    PAUSED = "paused"
    RESUMED = "resumed"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    UPDATED = "updated"
    """Progress or details changed; stored, not announced."""


ANNOUNCED_EVENT_TYPES: Final = tuple(t for t in JobEventType if t is not JobEventType.UPDATED)
_END_EVENTS: Final = {
    JobStatus.FINISHED: JobEventType.FINISHED,
    JobStatus.FAILED: JobEventType.FAILED,
    JobStatus.CANCELLED: JobEventType.CANCELLED,
    JobStatus.INTERRUPTED: JobEventType.INTERRUPTED,
}
# Printer states, as far as jobs are concerned.
_RUNNING: Final = frozenset({PrinterStatus.PREPARING, PrinterStatus.PRINTING})
_HOLDING: Final = frozenset({PrinterStatus.PAUSED, PrinterStatus.ATTENTION})
_ENDING: Final = {
    PrinterStatus.FINISHED: JobStatus.FINISHED,
    PrinterStatus.FAILED: JobStatus.FAILED,
    PrinterStatus.CANCELLED: JobStatus.CANCELLED,
    PrinterStatus.ERROR: JobStatus.FAILED,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """One print job, as stored and announced."""

    id: str
    printer: str
    """Serial of the printer."""
    status: JobStatus
    started: datetime
    file: str | None = None
    printer_job_id: str | None = None
    printer_start: datetime | None = None
    """Start as the printer reported it (identity check), when it did."""
    ended: datetime | None = None
    progress: float | None = None
    expected_end: datetime | None = None
    last_seen: datetime | None = None
    paused_at: datetime | None = None
    paused_seconds: float = 0.0
    filament_g: float | None = None
    filament_estimated: bool = True
    material: str | None = None
    energy_kwh: float | None = None
    energy_estimated: bool = True
    cost: float | None = None
    currency: str | None = None
    thumbnail: str | None = None
    slots_at_start: Mapping[str, int] = field(default_factory=dict)
    """Remaining percent of each filament slot when the job started (for the estimate)."""
    slots_used: tuple[str, ...] = ()
    """Slots that fed the nozzle during the job."""

    @property
    def duration(self) -> float | None:
        """Return the seconds from start to end (pauses included), once ended."""
        if self.ended is None:
            return None
        return max(0.0, (self.ended - self.started).total_seconds())

    @property
    def print_seconds(self) -> float | None:
        """Return the seconds spent printing (pauses excluded), once ended."""
        duration = self.duration
        return None if duration is None else max(0.0, duration - self.paused_seconds)


@dataclass(frozen=True, slots=True)
class JobChange:
    """A job after something happened to it."""

    type: JobEventType
    job: Job


def _new_id() -> str:
    return uuid.uuid4().hex


class JobTracker:
    """The job lifecycle of one printer."""

    def __init__(self, printer: str, *, new_id: Callable[[], str] = _new_id) -> None:
        """Track the jobs of the printer with serial ``printer``."""
        self.printer = printer
        self._new_id = new_id
        self._job: Job | None = None
        self._last_closed: Job | None = None
        self._gap = True
        """True until a report is seen after start or after the printer was unreachable."""
        self._saved_at: datetime | None = None
        """When a change of the open job was last handed out for writing."""

    @property
    def job(self) -> Job | None:
        """Return the open job."""
        return self._job

    @property
    def last_closed(self) -> Job | None:
        """Return the job that ended last."""
        return self._last_closed

    def restore(self, job: Job | None, last_closed: Job | None = None) -> None:
        """Continue where a previous run stopped (the open job and the last ended one)."""
        self._job = job if job is not None and job.status.is_open else None
        self._last_closed = last_closed
        self._gap = True

    def update(
        self, state: PrinterState | None, *, available: bool, now: datetime
    ) -> list[JobChange]:
        """Digest a state of the printer; return what happened to its jobs."""
        if not available or state is None:
            self._gap = True
            return []
        changes: list[JobChange] = []
        status = state.status
        job = self._job
        if status in _RUNNING or status in _HOLDING:
            if job is None:
                if not self._is_echo(state, now):
                    changes.append(self._start(state, now))
            elif not self._same_job(job, state):
                changes.append(self._close(job, JobStatus.INTERRUPTED, state=None, now=now))
                changes.append(self._start(state, now))
            else:
                changes.extend(self._follow(job, state, now))
        elif status in _ENDING and job is not None:
            if self._same_job(job, state):
                changes.append(self._close(job, _ENDING[status], state=state, now=now))
            else:
                # Another job ended while we were not looking; ours was cut short.
                changes.append(self._close(job, JobStatus.INTERRUPTED, state=None, now=now))
        elif status is PrinterStatus.IDLE and job is not None:
            best = (
                JobStatus.FINISHED
                if job.progress is not None and job.progress >= COMPLETE
                else JobStatus.INTERRUPTED
            )
            changes.append(self._close(job, best, state=None, now=now))
        # BUSY (homing, calibrating) neither starts nor ends a job.
        self._gap = False
        if changes:
            self._saved_at = now
        return changes

    def add_file_details(
        self,
        job_id: str,
        *,
        filament_g: float | None = None,
        material: str | None = None,
        thumbnail: str | None = None,
    ) -> Job | None:
        """Add what the job's file says (slicer metadata); return the job when it changed.

        Grams from the file replace the estimate; the open job and the one that just ended (the
        file may be read after a short print ended) can be completed.
        """
        for job in (self._job, self._last_closed):
            if job is None or job.id != job_id:
                continue
            updated = replace(
                job,
                filament_g=filament_g if filament_g is not None else job.filament_g,
                filament_estimated=job.filament_estimated if filament_g is None else False,
                material=job.material or material,  # what the printer fed, when it said
                thumbnail=thumbnail or job.thumbnail,
            )
            if updated == job:
                return None
            if job is self._job:
                self._job = updated
            else:
                self._last_closed = updated
            return updated
        return None

    # ------------------------------------------------------------------ identity

    @staticmethod
    def _same_job(job: Job, state: PrinterState) -> bool:
        """Return whether ``state`` describes ``job`` (identity rules in the module docstring)."""
        if job.printer_job_id is not None and state.job_id is not None:
            return job.printer_job_id == state.job_id
        if job.file is not None and state.file is not None and job.file != state.file:
            return False
        if (
            job.printer_start is not None
            and state.job_start is not None
            and abs(job.printer_start - state.job_start) > PRINTER_START_TOLERANCE
            and job.printer_job_id is None
            and state.job_id is None
        ):
            return False
        return not (
            job.printer_job_id is None
            and state.job_id is None
            and job.progress is not None
            and state.progress is not None
            and state.progress + PROGRESS_RESTART < job.progress
        )

    def _is_echo(self, state: PrinterState, now: datetime) -> bool:
        """Return whether an active state is a late report of the job that just ended."""
        closed = self._last_closed
        if closed is None or closed.ended is None or now - closed.ended > ECHO_WINDOW:
            return False
        if closed.printer_job_id is not None or state.job_id is not None:
            return closed.printer_job_id == state.job_id
        # Without ids a new print of the same file announces itself by preparing first.
        return closed.file == state.file and state.status is not PrinterStatus.PREPARING

    # ------------------------------------------------------------------ transitions

    def _start(self, state: PrinterState, now: datetime) -> JobChange:
        holding = state.status in _HOLDING
        slots = {s.key: s.remaining for s in state.slots if s.remaining is not None}
        active = state.active_filament
        job = Job(
            id=self._new_id(),
            printer=self.printer,
            status=JobStatus.PAUSED if holding else JobStatus.PRINTING,
            started=state.job_start if state.job_start is not None else now,
            file=state.file,
            printer_job_id=state.job_id,
            printer_start=state.job_start,
            progress=state.progress,
            expected_end=state.job_end,
            last_seen=now,
            paused_at=now if holding else None,
            material=active.material if active is not None else None,
            thumbnail=state.thumbnail_url,
            slots_at_start=slots,
            slots_used=(active.key,) if active is not None else (),
        )
        self._job = job
        return JobChange(JobEventType.STARTED, job)

    def _follow(self, job: Job, state: PrinterState, now: datetime) -> list[JobChange]:
        """Carry an open job forward: progress, details, pause and resume."""
        changes: list[JobChange] = []
        progress = job.progress
        if state.progress is not None and (progress is None or state.progress > progress):
            progress = state.progress
        active = state.active_filament
        used = job.slots_used
        if active is not None and active.key not in used:
            used = (*used, active.key)
        updated = replace(
            job,
            progress=progress,
            file=job.file or state.file,
            printer_job_id=job.printer_job_id or state.job_id,
            printer_start=job.printer_start or state.job_start,
            expected_end=state.job_end or job.expected_end,
            last_seen=now,
            material=job.material or (active.material if active is not None else None),
            thumbnail=state.thumbnail_url or job.thumbnail,
            slots_used=used,
        )
        holding = state.status in _HOLDING
        if holding and job.status is JobStatus.PRINTING:
            updated = replace(updated, status=JobStatus.PAUSED, paused_at=now)
            changes.append(JobChange(JobEventType.PAUSED, updated))
        elif not holding and job.status is JobStatus.PAUSED:
            updated = replace(
                updated,
                status=JobStatus.PRINTING,
                paused_at=None,
                paused_seconds=job.paused_seconds + _seconds_since(job.paused_at, now),
            )
            changes.append(JobChange(JobEventType.RESUMED, updated))
        elif _details_changed(job, updated) or (
            _percent_changed(job, updated)
            and (self._saved_at is None or now - self._saved_at >= PROGRESS_SAVE_INTERVAL)
        ):
            changes.append(JobChange(JobEventType.UPDATED, updated))
        self._job = updated
        return changes

    def _close(
        self, job: Job, status: JobStatus, *, state: PrinterState | None, now: datetime
    ) -> JobChange:
        """End ``job``; ``state`` is the printer's report of the end when it gave one."""
        progress = job.progress
        if state is not None and state.progress is not None:
            progress = max(progress or 0.0, state.progress)
        if status is JobStatus.FINISHED:
            progress = 100.0 if progress is None else max(progress, 100.0)
        ended = self._end_time(job, status, state, now)
        paused = job.paused_seconds
        if job.paused_at is not None:
            paused += _seconds_since(job.paused_at, ended)
        closed = replace(
            job,
            status=status,
            ended=ended,
            progress=progress,
            paused_at=None,
            paused_seconds=paused,
            last_seen=now,
            filament_g=job.filament_g
            if job.filament_g is not None
            else _estimate_filament(job, state),
        )
        self._job = None
        self._last_closed = closed
        return JobChange(_END_EVENTS[status], closed)

    def _end_time(
        self, job: Job, status: JobStatus, state: PrinterState | None, now: datetime
    ) -> datetime:
        """Return the best end time: the printer's, now when seen live, else an estimate."""
        if not self._gap:
            if state is not None and state.job_end is not None and state.job_end <= now:
                ended = state.job_end
            else:
                ended = now
        elif (
            status is JobStatus.FINISHED
            and job.expected_end is not None
            and job.expected_end <= now
        ):
            # It ended on its own while we were not looking: probably when it was expected to.
            ended = max(job.expected_end, job.last_seen or job.started)
        else:
            ended = job.last_seen or now
        return max(ended, job.started)


def _seconds_since(then: datetime | None, now: datetime) -> float:
    return 0.0 if then is None else max(0.0, (now - then).total_seconds())


def _percent_changed(old: Job, new: Job) -> bool:
    """Return whether a running job's progress reached another whole percent."""
    old_progress = None if old.progress is None else int(old.progress)
    new_progress = None if new.progress is None else int(new.progress)
    return old_progress != new_progress


def _details_changed(old: Job, new: Job) -> bool:
    """Return whether what the history shows of a running job changed (written at once)."""
    return (
        old.file != new.file
        or old.printer_job_id != new.printer_job_id
        or old.material != new.material
        or old.thumbnail != new.thumbnail
        or old.slots_used != new.slots_used
    )


def _estimate_filament(job: Job, state: PrinterState | None) -> float | None:
    """Estimate grams from how much the used trays' remaining percentage dropped."""
    if state is None or not job.slots_used:
        return None
    now_remaining = {s.key: s.remaining for s in state.slots if s.remaining is not None}
    used = 0.0
    for key in job.slots_used:
        before, after = job.slots_at_start.get(key), now_remaining.get(key)
        if before is not None and after is not None and after < before:
            used += (before - after) / 100 * SPOOL_GRAMS
    return round(used, 1) if used > 0 else None


def job_to_dict(job: Job) -> dict[str, Any]:
    """Return the job as plain values (ISO times) for events and responses."""
    return {
        "job_id": job.id,
        "printer_job_id": job.printer_job_id,
        "file": job.file,
        "status": job.status.value,
        "started": job.started.isoformat(),
        "ended": None if job.ended is None else job.ended.isoformat(),
        "duration": None if job.duration is None else round(job.duration),
        "print_time": None if job.print_seconds is None else round(job.print_seconds),
        "progress": None if job.progress is None else round(job.progress, 1),
        "filament_g": job.filament_g,
        "filament_estimated": job.filament_estimated,
        "material": job.material,
        "energy_kwh": job.energy_kwh,
        "energy_estimated": job.energy_estimated,
        "cost": job.cost,
        "currency": job.currency,
        "thumbnail": job.thumbnail,
    }
