"""The job lifecycle state machine (pure: printer states in, job changes out)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
import itertools
from typing import Any

from custom_components.printernizer.jobs import (
    ECHO_WINDOW,
    Job,
    JobChange,
    JobEventType,
    JobStatus,
    JobTracker,
    job_to_dict,
)
from custom_components.printernizer.printers.model import (
    AmsUnit,
    FilamentSlot,
    PrinterState,
    PrinterStatus,
)

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
S = PrinterStatus


class Clock:
    """Drive a tracker with states at controlled times."""

    def __init__(self, tracker: JobTracker | None = None) -> None:
        """Start at T0 with a tracker whose job ids are job1, job2, ..."""
        self.now = T0
        ids = itertools.count(1)
        self.tracker = tracker or JobTracker("SERIAL", new_id=lambda: f"job{next(ids)}")
        self.changes: list[JobChange] = []

    def feed(
        self, status: PrinterStatus, *, after: float = 60, available: bool = True, **values: Any
    ) -> list[tuple[JobEventType, JobStatus]]:
        """Advance ``after`` seconds and report a state; return (event, job status) pairs."""
        self.now += timedelta(seconds=after)
        state = PrinterState(status=status, **values)
        changes = self.tracker.update(state, available=available, now=self.now)
        self.changes.extend(changes)
        return [(change.type, change.job.status) for change in changes]

    def announced(self) -> list[JobEventType]:
        """Return the announced change types so far."""
        return [c.type for c in self.changes if c.type is not JobEventType.UPDATED]

    def last(self) -> Job:
        """Return the job of the last change."""
        return self.changes[-1].job


def _job(**values: Any) -> dict[str, Any]:
    return {"file": "benchy.3mf", "job_id": "100", **values}


def test_finish_with_times_from_the_printer() -> None:
    """Idle → preparing → printing → finished: one job, start from the printer, end seen live."""
    clock = Clock()
    assert clock.feed(S.IDLE) == []
    started = T0 + timedelta(seconds=30)
    assert clock.feed(S.PREPARING, progress=0, job_start=started, **_job()) == [
        (JobEventType.STARTED, JobStatus.PRINTING)
    ]
    clock.feed(S.PRINTING, progress=10, job_start=started, **_job())
    clock.feed(S.PRINTING, progress=10.4, job_start=started, **_job())  # same whole percent
    end = clock.now + timedelta(seconds=50)
    assert clock.feed(S.FINISHED, progress=100, job_end=end, **_job()) == [
        (JobEventType.FINISHED, JobStatus.FINISHED)
    ]
    job = clock.last()
    assert job.started == started
    assert job.ended == end
    assert job.duration == (end - started).total_seconds()
    assert job.progress == 100
    assert job.printer_job_id == "100"
    assert [c.type for c in clock.changes] == [
        JobEventType.STARTED,
        JobEventType.UPDATED,
        JobEventType.FINISHED,
    ]
    # The finished state keeps being reported: nothing more happens.
    assert clock.feed(S.FINISHED, progress=100, **_job()) == []
    assert clock.tracker.job is None
    assert clock.tracker.last_closed == job


def test_fail_cancel_and_prusa_error() -> None:
    """FAILED, CANCELLED and a Prusa ERROR during a job end it with that verdict."""
    for status, expected in (
        (S.FAILED, JobStatus.FAILED),
        (S.CANCELLED, JobStatus.CANCELLED),
        (S.ERROR, JobStatus.FAILED),
    ):
        clock = Clock()
        clock.feed(S.PRINTING, progress=40, **_job())
        assert clock.feed(status, progress=41, **_job()) == [(JobEventType(expected), expected)]
        assert clock.last().progress == 41
        assert clock.last().ended == clock.now


def test_pause_resume_counts_paused_time() -> None:
    """Pause and resume are announced once each; paused time is kept apart."""
    clock = Clock()
    clock.feed(S.PRINTING, progress=5, **_job())
    assert clock.feed(S.PAUSED, progress=20, **_job()) == [(JobEventType.PAUSED, JobStatus.PAUSED)]
    assert clock.feed(S.PAUSED, progress=20, after=600, **_job()) == []
    assert clock.feed(S.PRINTING, progress=20, after=300, **_job()) == [
        (JobEventType.RESUMED, JobStatus.PRINTING)
    ]
    assert clock.feed(S.ATTENTION, progress=30, **_job()) == [
        (JobEventType.PAUSED, JobStatus.PAUSED)
    ]
    clock.feed(S.CANCELLED, progress=30, after=120, **_job())
    job = clock.last()
    assert job.status is JobStatus.CANCELLED
    assert job.paused_seconds == 900 + 120
    assert job.print_seconds == job.duration - 1020
    assert clock.announced() == [
        JobEventType.STARTED,
        JobEventType.PAUSED,
        JobEventType.RESUMED,
        JobEventType.PAUSED,
        JobEventType.CANCELLED,
    ]


def test_same_file_twice_with_and_without_job_ids() -> None:
    """A finished job is never reopened: printing the same file again is a new job."""
    for values in (_job(), {"file": "benchy.3mf"}, _job(job_id="7")):
        clock = Clock()
        clock.feed(S.PREPARING, progress=0, **values)
        clock.feed(S.FINISHED, progress=100, **values)
        clock.feed(S.PREPARING, progress=0, after=180, **values)
        clock.feed(S.FINISHED, progress=100, **values)
        ended = [c.job for c in clock.changes if c.type is JobEventType.FINISHED]
        assert [job.id for job in ended] == ["job1", "job2"]


def test_new_job_id_while_printing_interrupts_the_open_job() -> None:
    """Another job id in a printing state: the open job was cut short, a new one runs."""
    clock = Clock()
    clock.feed(S.PRINTING, progress=30, **_job())
    assert clock.feed(S.PRINTING, progress=2, **_job(job_id="101")) == [
        (JobEventType.INTERRUPTED, JobStatus.INTERRUPTED),
        (JobEventType.STARTED, JobStatus.PRINTING),
    ]
    assert clock.changes[-2].job.progress == 30


def test_identity_without_job_ids() -> None:
    """Without ids: another file, another printer start, or progress restarting is a new job."""
    base = {"file": "a.gcode", "job_start": T0}
    cases = (
        {"file": "b.gcode", "job_start": T0, "progress": 50},
        {"file": "a.gcode", "job_start": T0 + timedelta(hours=1), "progress": 50},
        {"file": "a.gcode", "job_start": T0, "progress": 3},
    )
    for other in cases:
        clock = Clock()
        clock.feed(S.PRINTING, progress=60, **base)
        assert clock.feed(S.PRINTING, **other) == [
            (JobEventType.INTERRUPTED, JobStatus.INTERRUPTED),
            (JobEventType.STARTED, JobStatus.PRINTING),
        ], other
    clock = Clock()
    clock.feed(S.PRINTING, progress=60, **base)
    # Drift of the derived start and a late, slightly older report: still the same job.
    assert (
        clock.feed(S.PRINTING, progress=55, file="a.gcode", job_start=T0 + timedelta(0, 50)) == []
    )
    assert clock.tracker.job is not None
    assert clock.tracker.job.progress == 60


def test_restart_continues_the_open_job() -> None:
    """After a restart the stored open job goes on: no new start, the first start is kept."""
    clock = Clock()
    clock.feed(S.PRINTING, progress=10, job_start=T0, **_job())
    stored = clock.tracker.job
    assert stored is not None

    restarted = Clock(JobTracker("SERIAL", new_id=lambda: "other"))
    restarted.now = clock.now
    restarted.tracker.restore(stored, None)
    # A Bambu printer reports no start after a restart; Prusa derives a slightly different one.
    assert restarted.feed(S.PRINTING, progress=40, after=3600, **_job()) == [
        (JobEventType.UPDATED, JobStatus.PRINTING)
    ]
    restarted.feed(S.FINISHED, progress=100, **_job())
    job = restarted.last()
    assert job.id == stored.id
    assert job.started == T0
    assert job.duration == (restarted.now - T0).total_seconds()


def test_restore_ignores_an_ended_job() -> None:
    """Only an open job is picked up again."""
    tracker = JobTracker("SERIAL")
    ended = Job(id="x", printer="SERIAL", status=JobStatus.FINISHED, started=T0, ended=T0)
    tracker.restore(ended, ended)
    assert tracker.job is None
    assert tracker.last_closed is ended


def test_back_from_unreachable() -> None:
    """The printer returns idle, on another job, or with the end of ours."""
    # Idle, never reached 100 %: interrupted at the last known progress and time.
    clock = Clock()
    clock.feed(S.PRINTING, progress=45, job_end=T0 + timedelta(hours=2), **_job())
    seen = clock.now
    clock.feed(S.PRINTING, available=False)
    assert clock.feed(S.IDLE, after=7200) == [(JobEventType.INTERRUPTED, JobStatus.INTERRUPTED)]
    assert clock.last().progress == 45
    assert clock.last().ended == seen

    # Idle after reaching 100 %: it finished.
    clock = Clock()
    clock.feed(S.PRINTING, progress=100, **_job())
    clock.feed(S.PRINTING, available=False)
    assert clock.feed(S.IDLE, after=600) == [(JobEventType.FINISHED, JobStatus.FINISHED)]

    # Finished while away: it ended when it was expected to, not when we noticed.
    clock = Clock()
    expected = T0 + timedelta(minutes=30)
    clock.feed(S.PRINTING, progress=80, job_end=expected, **_job())
    clock.feed(S.PRINTING, available=False)
    assert clock.feed(S.FINISHED, after=7200, **_job()) == [
        (JobEventType.FINISHED, JobStatus.FINISHED)
    ]
    assert clock.last().ended == expected
    assert clock.last().progress == 100

    # Another job ended while away: ours is interrupted, the other one was never seen running.
    clock = Clock()
    clock.feed(S.PRINTING, progress=80, **_job())
    clock.feed(S.PRINTING, available=False)
    assert clock.feed(S.FINISHED, after=7200, **_job(job_id="200")) == [
        (JobEventType.INTERRUPTED, JobStatus.INTERRUPTED)
    ]
    assert clock.tracker.job is None

    # Cancelled while away: cancelled, at the time it was last seen.
    clock = Clock()
    clock.feed(S.PRINTING, progress=80, job_end=T0 + timedelta(hours=9), **_job())
    seen = clock.now
    clock.feed(S.PRINTING, available=False)
    clock.feed(S.CANCELLED, after=60, **_job())
    assert clock.last().status is JobStatus.CANCELLED
    assert clock.last().ended == seen


def test_late_reports_of_an_ended_job_are_ignored() -> None:
    """Out-of-order reports right after the end do not start a phantom job."""
    for values in (_job(), {"file": "benchy.3mf"}):
        clock = Clock()
        clock.feed(S.PRINTING, progress=90, **values)
        clock.feed(S.FINISHED, progress=100, **values)
        assert clock.feed(S.PRINTING, progress=95, after=2, **values) == []
        assert clock.feed(S.PAUSED, progress=95, after=2, **values) == []
        assert clock.feed(S.FINISHED, progress=100, after=2, **values) == []
        assert clock.announced() == [JobEventType.STARTED, JobEventType.FINISHED]
    # The same job id long after: the printer runs it again.
    clock = Clock()
    clock.feed(S.PRINTING, progress=90, **_job())
    clock.feed(S.FINISHED, progress=100, **_job())
    late = ECHO_WINDOW.total_seconds() + 1
    assert clock.feed(S.PRINTING, progress=1, after=late, **_job()) == [
        (JobEventType.STARTED, JobStatus.PRINTING)
    ]


def test_busy_and_unknown_states_keep_the_job() -> None:
    """BUSY neither starts nor ends a job; an unavailable printer changes nothing."""
    clock = Clock()
    assert clock.feed(S.BUSY) == []
    clock.feed(S.PRINTING, progress=10, **_job())
    assert clock.feed(S.BUSY, **_job()) == []
    assert clock.feed(S.PRINTING, available=False, **_job()) == []
    assert clock.tracker.update(None, available=True, now=clock.now) == []
    assert clock.tracker.job is not None


def test_first_seen_paused() -> None:
    """A job first seen paused starts paused; its pause counts from then."""
    clock = Clock()
    assert clock.feed(S.PAUSED, progress=50, **_job()) == [(JobEventType.STARTED, JobStatus.PAUSED)]
    clock.feed(S.FAILED, after=100, **_job())
    assert clock.last().paused_seconds == 100


def _slots(remaining: int, *, active: bool = True) -> dict[str, Any]:
    tray = FilamentSlot(
        key="ams0_tray0", unit=0, index=0, material="PETG", remaining=remaining, active=active
    )
    return {
        "ams_units": (AmsUnit(unit=0, model="AMS", slots=(tray,)),),
        "active_slot": "ams0_tray0" if active else None,
    }


def test_filament_estimate_from_tray_remaining() -> None:
    """Grams are estimated from the used tray's remaining percentage (marked as estimated)."""
    clock = Clock()
    clock.feed(S.PRINTING, progress=1, **_job(), **_slots(80))
    clock.feed(S.FINISHED, progress=100, **_job(), **_slots(75))
    job = clock.last()
    assert job.material == "PETG"
    assert job.filament_g == 50.0
    # Two trays used one after the other: both drops count.
    clock = Clock()
    two = _slots(80)
    second = FilamentSlot(key="ams0_tray1", unit=0, index=1, material="PLA", remaining=50)
    units = (AmsUnit(unit=0, model="AMS", slots=(*two["ams_units"][0].slots, second)),)
    clock.feed(S.PRINTING, progress=1, ams_units=units, active_slot="ams0_tray0", **_job())
    clock.feed(S.PRINTING, progress=50, ams_units=units, active_slot="ams0_tray1", **_job())
    used = replace(second, remaining=45)
    tray0 = replace(two["ams_units"][0].slots[0], remaining=79)
    ended = (AmsUnit(unit=0, model="AMS", slots=(tray0, used)),)
    clock.feed(S.FINISHED, progress=100, ams_units=ended, **_job())
    assert clock.last().slots_used == ("ams0_tray0", "ams0_tray1")
    assert clock.last().filament_g == 60.0
    assert job.filament_estimated is True
    # No drop seen: unknown, not zero.
    clock = Clock()
    clock.feed(S.PRINTING, progress=1, **_job(), **_slots(80))
    clock.feed(S.FINISHED, progress=100, **_job(), **_slots(80))
    assert clock.last().filament_g is None
    # Grams that are known already (file metadata) are kept.
    clock = Clock()
    clock.feed(S.PRINTING, progress=1, **_job())
    assert clock.tracker.job is not None
    clock.tracker.restore(replace(clock.tracker.job, filament_g=12.5, filament_estimated=False))
    clock.feed(S.FINISHED, progress=100, **_job())
    assert (clock.last().filament_g, clock.last().filament_estimated) == (12.5, False)


def test_file_details() -> None:
    """Slicer metadata replaces the estimate, for the open job and the one that just ended."""
    clock = Clock()
    clock.feed(S.PRINTING, progress=1, **_job(), **_slots(80))
    tracker = clock.tracker
    assert tracker.add_file_details("unknown", filament_g=1.0) is None
    job = tracker.add_file_details("job1", filament_g=12.5, material="PLA", thumbnail="/t.png")
    assert job is not None
    assert (job.filament_g, job.filament_estimated, job.material, job.thumbnail) == (
        12.5,
        False,
        "PETG",  # what the printer fed wins over the file's first material
        "/t.png",
    )
    assert tracker.add_file_details("job1", filament_g=12.5) is None  # nothing new
    clock.feed(S.FINISHED, progress=100, **_job(), **_slots(70))
    assert (clock.last().filament_g, clock.last().filament_estimated) == (12.5, False)
    # A short print may end before its file was read.
    clock.feed(S.PREPARING, after=600, **_job(job_id="101"))
    clock.feed(S.FINISHED, **_job(job_id="101"))
    late = tracker.add_file_details("job2", filament_g=3.0)
    assert late is not None
    assert tracker.last_closed == late
    assert late.status is JobStatus.FINISHED


def test_job_to_dict() -> None:
    """The event and response payload: plain values, ISO times, whole seconds."""
    job = Job(
        id="abc",
        printer="SERIAL",
        status=JobStatus.FINISHED,
        started=T0,
        ended=T0 + timedelta(seconds=3600.4),
        paused_seconds=600,
        progress=99.96,
        file="benchy.3mf",
    )
    data = job_to_dict(job)
    assert data["job_id"] == "abc"
    assert data["started"] == "2026-05-01T12:00:00+00:00"
    assert data["duration"] == 3600
    assert data["print_time"] == 3000
    assert data["progress"] == 100.0
    assert data["status"] == "finished"
    running = job_to_dict(replace(job, status=JobStatus.PRINTING, ended=None, progress=None))
    assert running["ended"] is None
    assert running["duration"] is None
    assert running["progress"] is None


def test_progress_is_written_at_most_once_a_minute() -> None:
    """A short print moves a percent a second: progress alone is handed out once a minute."""
    clock = Clock()
    assert clock.feed(S.PRINTING, progress=1.0, **_job()) == [
        (JobEventType.STARTED, JobStatus.PRINTING)
    ]
    written = [clock.feed(S.PRINTING, after=1, progress=float(p), **_job()) for p in range(2, 62)]
    updates = [index for index, changes in enumerate(written) if changes]
    assert updates == [59]  # 60 s after the start was written
    assert clock.last().progress == 61.0
    # What the history shows of the job is written at once.
    assert clock.feed(S.PRINTING, after=1, progress=61.5, thumbnail_url="/p.png", **_job()) == [
        (JobEventType.UPDATED, JobStatus.PRINTING)
    ]
    # The open job always has the latest progress, written or not.
    clock.feed(S.PRINTING, after=1, progress=62.0, **_job())
    assert clock.tracker.job is not None
    assert clock.tracker.job.progress == 62.0
