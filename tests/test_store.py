"""The SQLite job store: schema, migrations, queries, durability, damaged files."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
import sqlite3
import subprocess
import sys
import textwrap

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.printernizer.const import DOMAIN
from custom_components.printernizer.database import (
    DATABASE_NAME,
    SCHEMA_VERSION,
    JobDatabase,
    JobQuery,
    StoreError,
    migrate,
)
from custom_components.printernizer.jobs import Job, JobStatus
from custom_components.printernizer.store import JobStore

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


def _job(number: int, **values: object) -> Job:
    defaults: dict[str, object] = {
        "id": f"job{number:05d}",
        "printer": "P1",
        "status": JobStatus.FINISHED,
        "started": T0 + timedelta(hours=number),
        "ended": T0 + timedelta(hours=number, minutes=30),
        "file": f"file{number % 7}.3mf",
        "progress": 100.0,
    }
    defaults.update(values)
    return Job(**defaults)  # type: ignore[arg-type]


@pytest.fixture
def database(tmp_path: Path) -> JobDatabase:
    """Return a fresh database file."""
    db = JobDatabase.open(tmp_path / DATABASE_NAME)
    yield db
    db.close()


def test_fresh_database(tmp_path: Path) -> None:
    """A new file gets the latest schema, in WAL mode."""
    db = JobDatabase.open(tmp_path / DATABASE_NAME)
    assert db.version == SCHEMA_VERSION == 3
    assert db.moved_aside is None
    db.close()
    connection = sqlite3.connect(tmp_path / DATABASE_NAME)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"jobs", "printer_files", "jobs_printer_started", "jobs_open"} <= tables
    connection.close()


def test_job_round_trip(database: JobDatabase) -> None:
    """Every field survives; saving again updates the same row."""
    job = _job(
        1,
        status=JobStatus.PAUSED,
        ended=None,
        printer_job_id="123",
        printer_start=T0,
        expected_end=T0 + timedelta(hours=3),
        last_seen=T0 + timedelta(hours=1),
        paused_at=T0 + timedelta(minutes=70),
        paused_seconds=12.5,
        filament_g=14.2,
        filament_estimated=False,
        material="PETG",
        energy_kwh=0.31,
        energy_estimated=False,
        cost=1.25,
        currency="EUR",
        thumbnail="/thumb/l/usb/BENCHY~1.BGC",
        slots_at_start={"ams0_tray1": 80},
        slots_used=("ams0_tray1",),
    )
    database.save_job(job)
    assert database.get_job(job.id) == job
    assert database.open_jobs("P1") == [job]
    finished = _job(1, printer_job_id="123", progress=100.0)
    database.save_job(finished)
    assert database.get_job(job.id) == finished
    assert database.open_jobs("P1") == []
    assert database.last_ended("P1") == finished
    assert database.last_ended("P2") is None
    assert database.get_job("nope") is None


def test_queries(database: JobDatabase) -> None:
    """Filters by printer, status and start time; newest first; limited."""
    database.save_jobs(
        [
            _job(
                n,
                printer="P1" if n % 2 else "P2",
                status=JobStatus.FAILED if n % 5 == 0 else JobStatus.FINISHED,
            )
            for n in range(1, 21)
        ]
    )
    everything = database.jobs(JobQuery(limit=None))
    assert len(everything) == 20
    assert [job.started for job in everything] == sorted(
        (job.started for job in everything), reverse=True
    )
    assert len(database.jobs(JobQuery())) == 20
    assert len(database.jobs(JobQuery(limit=3))) == 3
    assert {job.printer for job in database.jobs(JobQuery(printers=["P2"], limit=None))} == {"P2"}
    failed = database.jobs(JobQuery(statuses=["failed"], limit=None))
    assert [job.id for job in failed] == ["job00020", "job00015", "job00010", "job00005"]
    window = database.jobs(
        JobQuery(start=T0 + timedelta(hours=5), end=T0 + timedelta(hours=8), limit=None)
    )
    assert [job.id for job in window] == ["job00007", "job00006", "job00005"]


def test_purge(database: JobDatabase) -> None:
    """Retention removes old ended jobs of one printer, never an open one."""
    database.save_jobs([_job(1), _job(2), _job(3, status=JobStatus.PRINTING, ended=None)])
    database.save_job(_job(4, printer="P2"))
    assert database.purge("P1", T0 + timedelta(hours=10)) == 2
    assert [job.id for job in database.jobs(JobQuery(limit=None))] == ["job00004", "job00003"]


def test_files(database: JobDatabase) -> None:
    """Files seen are kept per printer; later sightings keep what was known."""
    database.save_file("P1", "/sd/a.3mf", seen=T0, size=10, metadata={"plates": 1})
    database.save_file("P1", "/sd/a.3mf", seen=T0 + timedelta(hours=1), printed=True)
    database.save_file("P1", "/sd/b.3mf", seen=T0)
    files = database.files("P1")
    assert [f.path for f in files] == ["/sd/a.3mf", "/sd/b.3mf"]
    assert files[0].size == 10
    assert files[0].metadata == {"plates": 1}
    assert files[0].first_seen == T0
    assert files[0].last_printed == T0 + timedelta(hours=1)
    assert files[1].last_printed is None
    assert database.files("P2") == []


def test_migration_from_schema_1(tmp_path: Path) -> None:
    """A database of schema 1 keeps its jobs and gains the tracking and analytics columns."""
    path = tmp_path / DATABASE_NAME
    connection = sqlite3.connect(path, isolation_level=None)
    assert migrate(connection, target=1) == 1
    connection.execute(
        "INSERT INTO jobs (id, printer, printer_job_id, file, status, started, ended, duration,"
        " progress) VALUES ('old', 'P1', '7', 'vase.gcode', 'finished', ?, ?, 3600, 100)",
        (T0.timestamp(), (T0 + timedelta(hours=1)).timestamp()),
    )
    connection.close()

    db = JobDatabase.open(path)
    assert db.version == SCHEMA_VERSION
    job = db.get_job("old")
    assert job is not None
    assert (job.file, job.status, job.started, job.duration) == (
        "vase.gcode",
        JobStatus.FINISHED,
        T0,
        3600.0,
    )
    assert (job.filament_g, job.filament_estimated, job.cost, job.paused_seconds) == (
        None,
        True,
        None,
        0.0,
    )
    db.save_job(_job(2, energy_kwh=0.5, currency="EUR"))
    assert db.get_job("job00002") is not None
    db.close()


def test_newer_schema_is_used_as_is(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A database written by a newer version is opened, not migrated or moved."""
    path = tmp_path / DATABASE_NAME
    JobDatabase.open(path).close()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 9")
    connection.close()
    db = JobDatabase.open(path)
    assert db.version == 9
    assert db.moved_aside is None
    db.close()
    assert "newer than this version knows" in caplog.text


def test_unknown_values_in_rows(database: JobDatabase) -> None:
    """A status or tracking blob this version does not know does not break reading."""
    database.save_job(_job(1))
    connection = sqlite3.connect(database.path)
    connection.execute("UPDATE jobs SET status = 'exploded', tracking = '{not json'")
    connection.commit()
    connection.close()
    job = database.get_job("job00001")
    assert job is not None
    assert job.status is JobStatus.INTERRUPTED
    assert job.slots_used == ()


def test_corrupt_file_is_moved_aside(tmp_path: Path) -> None:
    """A file that is not a database is kept aside and replaced by a new database."""
    path = tmp_path / DATABASE_NAME
    path.write_bytes(b"this is not SQLite" * 500)
    Path(f"{path}-wal").write_bytes(b"junk")
    db = JobDatabase.open(path, now=T0)
    assert db.moved_aside == tmp_path / f"{DATABASE_NAME}.corrupt-20260501120000"
    assert db.moved_aside.read_bytes().startswith(b"this is not SQLite")
    db.save_job(_job(1))
    assert db.jobs(JobQuery()) == [_job(1)]
    db.close()


def test_damaged_pages_are_detected(tmp_path: Path) -> None:
    """A database with overwritten pages fails the quick check and is replaced."""
    path = tmp_path / DATABASE_NAME
    db = JobDatabase.open(path)
    db.save_jobs(_job(n) for n in range(300))
    db.close()
    data = bytearray(path.read_bytes())
    page = 4096
    data[2 * page : 6 * page] = b"\xff" * (4 * page)  # keep the header, wreck the b-trees
    path.write_bytes(bytes(data))
    db = JobDatabase.open(path)
    assert db.moved_aside is not None
    assert db.jobs(JobQuery()) == []
    db.close()


def test_unusable_path_raises(tmp_path: Path) -> None:
    """A path that cannot be a database file at all (a folder) is not 'corrupt': it raises."""
    with pytest.raises(StoreError):
        JobDatabase.open(tmp_path)


def test_replacement_that_fails_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If even the new database cannot be created, opening raises instead of looping."""
    from custom_components.printernizer import database

    calls: list[Path | None] = []

    def connect(path: Path | None) -> sqlite3.Connection:
        calls.append(path)
        if len(calls) == 1:
            err = sqlite3.DatabaseError("file is not a database")
            err.sqlite_errorcode = sqlite3.SQLITE_NOTADB  # type: ignore[attr-defined]
            raise err
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(database, "_connect", connect)
    (tmp_path / DATABASE_NAME).write_bytes(b"junk")
    with pytest.raises(StoreError, match="disk I/O error"):
        JobDatabase.open(tmp_path / DATABASE_NAME)
    assert len(calls) == 2


def test_transactions_are_atomic(database: JobDatabase) -> None:
    """A failing write changes nothing."""
    database.save_job(_job(1))
    bad = _job(2, printer=None)  # violates NOT NULL
    with pytest.raises(sqlite3.IntegrityError):
        database.save_jobs([_job(3), bad])
    assert [job.id for job in database.jobs(JobQuery())] == ["job00001"]


_CHILD = textwrap.dedent(
    """
    import os, sys
    from datetime import UTC, datetime
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from custom_components.printernizer.jobs import Job, JobStatus
    from custom_components.printernizer.database import JobDatabase
    db = JobDatabase.open(Path({path!r}))
    start = datetime(2026, 5, 1, tzinfo=UTC)
    db.save_job(Job(id="committed", printer="P1", status=JobStatus.PRINTING, started=start))
    connection = db._db
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("UPDATE jobs SET status = 'finished', progress = 50")
    connection.execute("INSERT INTO jobs (id, printer, status, started) VALUES ('torn', 'P1', 'printing', 0)")
    os._exit(0)  # Home Assistant killed mid-write: no commit, no close, no checkpoint
    """
)


def test_no_data_loss_when_killed_mid_write(tmp_path: Path) -> None:
    """A process that dies mid-transaction leaves every committed job and nothing torn."""
    path = tmp_path / DATABASE_NAME
    child = _CHILD.format(root=str(ROOT), path=str(path))
    subprocess.run([sys.executable, "-c", child], check=True, timeout=60)  # noqa: S603
    db = JobDatabase.open(path)
    assert db.moved_aside is None
    jobs = db.jobs(JobQuery())
    assert [(job.id, job.status, job.progress) for job in jobs] == [
        ("committed", JobStatus.PRINTING, None)
    ]
    db.close()


async def test_store_in_home_assistant(hass: HomeAssistant, tmp_path: Path) -> None:
    """The store runs in the executor, writes in order and closes on the final write."""
    store = await JobStore.async_open(hass, tmp_path / DATABASE_NAME)
    for progress in range(50):
        store.async_save_job(_job(1, status=JobStatus.PRINTING, ended=None, progress=progress))
    store.async_save_file("P1", "file1.3mf", seen=T0, printed=True)
    jobs = await store.async_jobs(JobQuery())
    assert [job.progress for job in jobs] == [49]
    assert [f.path for f in await store.async_files("P1")] == ["file1.3mf"]
    open_jobs, last = await store.async_restore("P1")
    assert [job.id for job in open_jobs] == ["job00001"]
    assert last is None
    await store.async_close()
    await store.async_close()
    assert store.closed
    store.async_save_job(_job(2))  # dropped: Home Assistant is stopping
    store.async_save_file("P1", "x", seen=T0, printed=False)
    with pytest.raises(StoreError):
        await store.async_jobs(JobQuery())
    db = JobDatabase.open(tmp_path / DATABASE_NAME)
    assert [job.id for job in db.jobs(JobQuery())] == ["job00001"]
    db.close()


async def test_write_cancelled_by_shutdown_is_done_before_close(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """Home Assistant cancels tasks while stopping; a queued write still reaches the database."""
    store = await JobStore.async_open(hass, tmp_path / DATABASE_NAME)
    store.async_save_job(_job(1, status=JobStatus.PRINTING, ended=None, progress=33.0))
    writer = store._writer
    assert writer is not None
    writer.cancel("Home Assistant is stopping")
    await asyncio.wait([writer])
    await store.async_close()
    db = JobDatabase.open(tmp_path / DATABASE_NAME)
    assert [job.progress for job in db.jobs(JobQuery())] == [33.0]
    db.close()


async def test_write_errors_are_logged(
    hass: HomeAssistant, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A write that fails is logged; Home Assistant and later writes carry on."""
    store = await JobStore.async_open(hass, tmp_path / DATABASE_NAME)
    store.async_save_job(_job(1, printer=None))  # violates NOT NULL
    store.async_save_job(_job(2))
    await store.async_flush()
    assert "Could not write to the job database" in caplog.text
    assert [job.id for job in await store.async_jobs(JobQuery())] == ["job00002"]
    await store.async_close()


async def test_corrupt_database_raises_a_repair_issue(hass: HomeAssistant, tmp_path: Path) -> None:
    """Opening a damaged file replaces it and tells the user where the old one went."""
    path = tmp_path / DATABASE_NAME
    path.write_bytes(b"\x00garbage" * 1000)
    store = await JobStore.async_open(hass, path)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "store_corrupt")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["moved_to"].startswith(str(path) + ".corrupt-")
    store.async_save_job(_job(1))
    assert len(await store.async_jobs(JobQuery())) == 1
    await store.async_close()


async def test_unopenable_database_falls_back_to_memory(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """When the file cannot be opened at all, jobs live in memory and a repair issue says so."""
    store = await JobStore.async_open(hass, tmp_path)  # a folder
    assert ir.async_get(hass).async_get_issue(DOMAIN, "store_unavailable") is not None
    store.async_save_job(_job(1))
    assert len(await store.async_jobs(JobQuery())) == 1
    await store.async_close()
    store = await JobStore.async_open(hass, tmp_path / DATABASE_NAME)
    assert ir.async_get(hass).async_get_issue(DOMAIN, "store_unavailable") is None
    await store.async_close()


async def test_integration_closes_the_store_on_stop(hass: HomeAssistant) -> None:
    """async_setup opens one store in the config folder; the final write closes it."""
    from homeassistant.setup import async_setup_component

    from custom_components.printernizer.job_recorder import DATA_JOBS

    assert await async_setup_component(hass, DOMAIN, {})
    store = hass.data[DATA_JOBS].store
    assert store.database.path == Path(hass.config.path(DATABASE_NAME))
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    assert store.closed
