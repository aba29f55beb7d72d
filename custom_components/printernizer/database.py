"""The job history database: plain, blocking ``sqlite3``, one database for every printer.

- WAL journal with ``synchronous=FULL``: every write is its own transaction, so a Home Assistant
  that stops (or dies) mid-write leaves the last committed state, never a torn one.
- The schema is built by numbered migration steps; ``PRAGMA user_version`` says how many have run.
  A fresh database runs them all, an older one the missing ones, in one transaction each.
- A database that SQLite calls corrupt (or that is not a database) is moved aside as
  ``printernizer.db.corrupt-<time>`` and a new one is created; the caller raises a repair issue.

Home Assistant uses it through :class:`.store.JobStore`, in the executor.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
import json
import logging
from pathlib import Path
import sqlite3
from typing import Any, Final

from .analytics import Totals
from .jobs import Job, JobStatus

_LOGGER = logging.getLogger(__name__)

DATABASE_NAME: Final = "printernizer.db"
MAX_LIMIT: Final = 10_000

# Each step moves the schema from version N to N + 1 (list index N). Never edit a released step;
# append a new one.
MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    # 1: jobs with their outcome, and the files seen on each printer.
    (
        """CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            printer TEXT NOT NULL,
            printer_job_id TEXT,
            file TEXT,
            status TEXT NOT NULL,
            started REAL NOT NULL,
            ended REAL,
            duration REAL,
            progress REAL,
            thumbnail TEXT
        )""",
        "CREATE INDEX jobs_printer_started ON jobs (printer, started)",
        """CREATE TABLE printer_files (
            printer TEXT NOT NULL,
            path TEXT NOT NULL,
            size INTEGER,
            modified REAL,
            first_seen REAL NOT NULL,
            last_seen REAL NOT NULL,
            last_printed REAL,
            metadata TEXT,
            PRIMARY KEY (printer, path)
        ) WITHOUT ROWID""",
    ),
    # 2: what exact tracking across restarts needs, and the analytics columns (all nullable).
    (
        "ALTER TABLE jobs ADD COLUMN printer_start REAL",
        "ALTER TABLE jobs ADD COLUMN expected_end REAL",
        "ALTER TABLE jobs ADD COLUMN last_seen REAL",
        "ALTER TABLE jobs ADD COLUMN paused_at REAL",
        "ALTER TABLE jobs ADD COLUMN paused_seconds REAL NOT NULL DEFAULT 0",
        "ALTER TABLE jobs ADD COLUMN filament_g REAL",
        "ALTER TABLE jobs ADD COLUMN filament_estimated INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE jobs ADD COLUMN material TEXT",
        "ALTER TABLE jobs ADD COLUMN energy_kwh REAL",
        "ALTER TABLE jobs ADD COLUMN energy_estimated INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE jobs ADD COLUMN cost REAL",
        "ALTER TABLE jobs ADD COLUMN currency TEXT",
        "ALTER TABLE jobs ADD COLUMN tracking TEXT",
        "CREATE INDEX jobs_started ON jobs (started)",
        "CREATE INDEX jobs_open ON jobs (printer) WHERE ended IS NULL",
    ),
    # 3: analytics totals per printer: when they were last reset, and what retention removed
    # since then (so that the total_* sensors never decrease when old jobs are purged).
    (
        """CREATE TABLE printer_totals (
            printer TEXT PRIMARY KEY,
            reset_at REAL,
            jobs INTEGER NOT NULL DEFAULT 0,
            finished INTEGER NOT NULL DEFAULT 0,
            print_seconds REAL NOT NULL DEFAULT 0,
            filament_g REAL NOT NULL DEFAULT 0,
            energy_kwh REAL NOT NULL DEFAULT 0,
            cost REAL NOT NULL DEFAULT 0
        ) WITHOUT ROWID""",
        "CREATE INDEX jobs_printer_ended ON jobs (printer, ended) WHERE ended IS NOT NULL",
    ),
)
SCHEMA_VERSION: Final = len(MIGRATIONS)

_JOB_COLUMNS: Final = (
    "id",
    "printer",
    "printer_job_id",
    "file",
    "status",
    "started",
    "ended",
    "duration",
    "progress",
    "thumbnail",
    "printer_start",
    "expected_end",
    "last_seen",
    "paused_at",
    "paused_seconds",
    "filament_g",
    "filament_estimated",
    "material",
    "energy_kwh",
    "energy_estimated",
    "cost",
    "currency",
    "tracking",
)
_SELECT_JOBS: Final = f"SELECT {', '.join(_JOB_COLUMNS)} FROM jobs"  # noqa: S608 - constant
_UPSERT_JOB: Final = (
    f"INSERT INTO jobs ({', '.join(_JOB_COLUMNS)}) "  # noqa: S608 - constant
    f"VALUES ({', '.join('?' for _ in _JOB_COLUMNS)}) "
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{column} = excluded.{column}" for column in _JOB_COLUMNS[1:])
)
_CORRUPT_CODES: Final = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
# What the ended jobs of one printer add up to (the same columns as printer_totals).
_SUMS: Final = (
    "count(*), total(status = 'finished'), "
    "total(max(0, coalesce(duration, 0) - coalesce(paused_seconds, 0))), "
    "total(filament_g), total(energy_kwh), total(cost)"
)
# Ended jobs that count for the totals: after the printer's last reset.
_COUNTED: Final = (
    "printer = :printer AND ended IS NOT NULL AND ended > coalesce("
    "(SELECT reset_at FROM printer_totals WHERE printer = :printer), -1e300)"
)


class StoreError(Exception):
    """The job database cannot be used."""


@dataclass(frozen=True, slots=True, kw_only=True)
class JobQuery:
    """Which jobs to return, newest first."""

    printers: Sequence[str] | None = None
    statuses: Sequence[str] | None = None
    start: datetime | None = None
    """Jobs that started at or after this time."""
    end: datetime | None = None
    """Jobs that started before this time."""
    limit: int | None = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class PrinterFile:
    """A file seen on a printer."""

    printer: str
    path: str
    first_seen: datetime
    last_seen: datetime
    size: int | None = None
    modified: datetime | None = None
    last_printed: datetime | None = None
    metadata: dict[str, Any] | None = None


def _ts(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _job_row(job: Job) -> tuple[Any, ...]:
    tracking = {"slots_at_start": dict(job.slots_at_start), "slots_used": list(job.slots_used)}
    return (
        job.id,
        job.printer,
        job.printer_job_id,
        job.file,
        job.status.value,
        _ts(job.started),
        _ts(job.ended),
        job.duration,
        job.progress,
        job.thumbnail,
        _ts(job.printer_start),
        _ts(job.expected_end),
        _ts(job.last_seen),
        _ts(job.paused_at),
        job.paused_seconds,
        job.filament_g,
        int(job.filament_estimated),
        job.material,
        job.energy_kwh,
        int(job.energy_estimated),
        job.cost,
        job.currency,
        json.dumps(tracking, separators=(",", ":")),
    )


def _row_job(row: sqlite3.Row) -> Job:
    try:
        tracking = json.loads(row["tracking"]) if row["tracking"] else {}
    except ValueError:
        tracking = {}
    slots = tracking.get("slots_at_start") if isinstance(tracking, dict) else None
    used = tracking.get("slots_used") if isinstance(tracking, dict) else None
    try:
        status = JobStatus(row["status"])
    except ValueError:
        status = JobStatus.INTERRUPTED
    started = _dt(row["started"])
    assert started is not None  # NOT NULL column
    return Job(
        id=row["id"],
        printer=row["printer"],
        status=status,
        started=started,
        file=row["file"],
        printer_job_id=row["printer_job_id"],
        printer_start=_dt(row["printer_start"]),
        ended=_dt(row["ended"]),
        progress=row["progress"],
        expected_end=_dt(row["expected_end"]),
        last_seen=_dt(row["last_seen"]),
        paused_at=_dt(row["paused_at"]),
        paused_seconds=row["paused_seconds"] or 0.0,
        filament_g=row["filament_g"],
        filament_estimated=bool(row["filament_estimated"]),
        material=row["material"],
        energy_kwh=row["energy_kwh"],
        energy_estimated=bool(row["energy_estimated"]),
        cost=row["cost"],
        currency=row["currency"],
        thumbnail=row["thumbnail"],
        slots_at_start={str(k): int(v) for k, v in slots.items()}
        if isinstance(slots, dict)
        else {},
        slots_used=tuple(str(k) for k in used) if isinstance(used, list) else (),
    )


def _is_corruption(err: sqlite3.DatabaseError) -> bool:
    if isinstance(err, _NotOk):
        return True
    return getattr(err, "sqlite_errorcode", None) in _CORRUPT_CODES


class _NotOk(sqlite3.DatabaseError):
    """``PRAGMA quick_check`` found damage."""


class JobDatabase:
    """The job database (blocking; one caller at a time)."""

    def __init__(self, connection: sqlite3.Connection, path: Path | None) -> None:
        """Wrap an open, migrated connection; use :meth:`open`."""
        self._db = connection
        self.path = path
        self.moved_aside: Path | None = None
        """Where a corrupt database was moved to when this one was opened."""

    @classmethod
    def open(cls, path: Path | None, *, now: datetime | None = None) -> JobDatabase:
        """Open (creating or migrating) the database at ``path``; ``None`` keeps it in memory.

        A corrupt file is moved aside and replaced (see :attr:`moved_aside`); any other failure
        raises :class:`StoreError`.
        """
        try:
            return cls(_connect(path), path)
        except sqlite3.DatabaseError as err:
            if path is None or not _is_corruption(err):
                raise StoreError(str(err)) from err
            _LOGGER.error("The job database %s is damaged (%s); starting a new one", path, err)
        assert path is not None
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")
        aside = path.with_name(f"{path.name}.corrupt-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            damaged = Path(f"{path}{suffix}")
            if damaged.exists():
                damaged.replace(Path(f"{aside}{suffix}"))
        try:
            database = cls(_connect(path), path)
        except sqlite3.DatabaseError as err:
            raise StoreError(str(err)) from err
        database.moved_aside = aside
        return database

    @property
    def version(self) -> int:
        """Return the schema version."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        """Write the WAL back into the database and close it."""
        try:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self._db.close()

    # ------------------------------------------------------------------ jobs

    def save_job(self, job: Job) -> None:
        """Insert or update a job (one transaction)."""
        with _transaction(self._db):
            self._db.execute(_UPSERT_JOB, _job_row(job))

    def save_jobs(self, jobs: Iterable[Job]) -> None:
        """Insert or update many jobs in one transaction."""
        with _transaction(self._db):
            self._db.executemany(_UPSERT_JOB, (_job_row(job) for job in jobs))

    def get_job(self, job_id: str) -> Job | None:
        """Return one job."""
        row = self._db.execute(f"{_SELECT_JOBS} WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else _row_job(row)

    def jobs(self, query: JobQuery) -> list[Job]:
        """Return the jobs matching ``query``, newest first."""
        clauses: list[str] = []
        params: list[Any] = []
        if query.printers is not None:
            clauses.append(f"printer IN ({', '.join('?' for _ in query.printers)})")
            params.extend(query.printers)
        if query.statuses is not None:
            clauses.append(f"status IN ({', '.join('?' for _ in query.statuses)})")
            params.extend(query.statuses)
        if query.start is not None:
            clauses.append("started >= ?")
            params.append(query.start.timestamp())
        if query.end is not None:
            clauses.append("started < ?")
            params.append(query.end.timestamp())
        sql = _SELECT_JOBS
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY started DESC, id"
        if query.limit is not None:
            sql += " LIMIT ?"
            params.append(min(query.limit, MAX_LIMIT))
        return [_row_job(row) for row in self._db.execute(sql, params)]

    def open_jobs(self, printer: str) -> list[Job]:
        """Return the jobs of ``printer`` that have not ended, newest first."""
        rows = self._db.execute(
            f"{_SELECT_JOBS} WHERE printer = ? AND ended IS NULL ORDER BY started DESC",
            (printer,),
        )
        return [_row_job(row) for row in rows]

    def last_ended(self, printer: str) -> Job | None:
        """Return the job of ``printer`` that ended last."""
        row = self._db.execute(
            f"{_SELECT_JOBS} WHERE printer = ? AND ended IS NOT NULL ORDER BY ended DESC LIMIT 1",
            (printer,),
        ).fetchone()
        return None if row is None else _row_job(row)

    def purge(self, printer: str, before: datetime) -> int:
        """Delete the ended jobs of ``printer`` that started before ``before``; return how many.

        What they add to the printer's totals is kept in ``printer_totals`` (same transaction).
        """
        params = {"printer": printer, "before": before.timestamp()}
        with _transaction(self._db):
            sums = self._db.execute(
                f"SELECT {_SUMS} FROM jobs WHERE {_COUNTED} AND started < :before",  # noqa: S608
                params,
            ).fetchone()
            if sums[0]:
                self._db.execute(
                    """INSERT INTO printer_totals
                        (printer, jobs, finished, print_seconds, filament_g, energy_kwh, cost)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (printer) DO UPDATE SET
                        jobs = jobs + excluded.jobs,
                        finished = finished + excluded.finished,
                        print_seconds = print_seconds + excluded.print_seconds,
                        filament_g = filament_g + excluded.filament_g,
                        energy_kwh = energy_kwh + excluded.energy_kwh,
                        cost = cost + excluded.cost""",
                    (printer, *sums),
                )
            cursor = self._db.execute(
                "DELETE FROM jobs WHERE printer = :printer AND ended IS NOT NULL"
                " AND started < :before",
                params,
            )
        return cursor.rowcount

    # ------------------------------------------------------------------ analytics

    def jobs_in_window(
        self, printers: Sequence[str] | None, start: datetime | None, end: datetime
    ) -> list[Job]:
        """Return the jobs that occupied a printer within ``[start, end)`` (open ones too)."""
        clauses = ["started < ?"]
        params: list[Any] = [end.timestamp()]
        if start is not None:
            clauses.append("(ended IS NULL OR ended > ?)")
            params.append(start.timestamp())
        if printers is not None:
            clauses.append(f"printer IN ({', '.join('?' for _ in printers)})")
            params.extend(printers)
        sql = f"{_SELECT_JOBS} WHERE {' AND '.join(clauses)} ORDER BY started, id"
        return [_row_job(row) for row in self._db.execute(sql, params)]

    def totals(self, printer: str) -> Totals:
        """Return what ``printer`` did since its last reset (kept across retention)."""
        sums = self._db.execute(
            f"SELECT {_SUMS} FROM jobs WHERE {_COUNTED}",  # noqa: S608 - constants
            {"printer": printer},
        ).fetchone()
        kept = self._db.execute(
            "SELECT reset_at, jobs, finished, print_seconds, filament_g, energy_kwh, cost"
            " FROM printer_totals WHERE printer = ?",
            (printer,),
        ).fetchone()
        carried = tuple(kept)[1:] if kept is not None else (0, 0, 0.0, 0.0, 0.0, 0.0)
        jobs, finished, seconds, grams, kwh, cost = (
            now + before for now, before in zip(sums, carried, strict=True)
        )
        return Totals(
            jobs=int(jobs),
            finished=int(finished),
            print_seconds=seconds,
            filament_g=grams,
            energy_kwh=kwh,
            cost=cost,
            last_reset=_dt(kept["reset_at"]) if kept is not None else None,
        )

    def reset_totals(self, printer: str, at: datetime) -> None:
        """Start the totals of ``printer`` from zero at ``at`` (the job history stays)."""
        with _transaction(self._db):
            self._db.execute(
                """INSERT INTO printer_totals (printer, reset_at) VALUES (?, ?)
                ON CONFLICT (printer) DO UPDATE SET reset_at = excluded.reset_at, jobs = 0,
                    finished = 0, print_seconds = 0, filament_g = 0, energy_kwh = 0, cost = 0""",
                (printer, at.timestamp()),
            )

    # ------------------------------------------------------------------ files

    def save_file(
        self,
        printer: str,
        path: str,
        *,
        seen: datetime,
        printed: bool = False,
        size: int | None = None,
        modified: datetime | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Remember that ``path`` was seen on ``printer`` (and printed, when ``printed``)."""
        with _transaction(self._db):
            self._db.execute(
                """INSERT INTO printer_files
                    (printer, path, size, modified, first_seen, last_seen, last_printed, metadata)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (printer, path) DO UPDATE SET
                    size = coalesce(excluded.size, size),
                    modified = coalesce(excluded.modified, modified),
                    last_seen = excluded.last_seen,
                    last_printed = coalesce(excluded.last_printed, last_printed),
                    metadata = coalesce(excluded.metadata, metadata)""",
                (
                    printer,
                    path,
                    size,
                    _ts(modified),
                    seen.timestamp(),
                    seen.timestamp(),
                    seen.timestamp() if printed else None,
                    None if metadata is None else json.dumps(metadata),
                ),
            )

    def files(self, printer: str) -> list[PrinterFile]:
        """Return the files seen on ``printer``, most recently seen first."""
        rows = self._db.execute(
            "SELECT * FROM printer_files WHERE printer = ? ORDER BY last_seen DESC, path",
            (printer,),
        )
        out: list[PrinterFile] = []
        for row in rows:
            first_seen, last_seen = _dt(row["first_seen"]), _dt(row["last_seen"])
            assert first_seen is not None
            assert last_seen is not None
            out.append(
                PrinterFile(
                    printer=row["printer"],
                    path=row["path"],
                    size=row["size"],
                    modified=_dt(row["modified"]),
                    first_seen=first_seen,
                    last_seen=last_seen,
                    last_printed=_dt(row["last_printed"]),
                    metadata=json.loads(row["metadata"]) if row["metadata"] else None,
                )
            )
        return out


@contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """Run the block in one transaction: all of it is written, or nothing."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.rollback()
        raise
    connection.commit()


def _check(connection: sqlite3.Connection) -> None:
    """Raise when SQLite finds damage (quick_check: seconds for gigabytes, ms for us)."""
    result = connection.execute("PRAGMA quick_check").fetchone()
    if result is None or result[0] != "ok":
        raise _NotOk(f"quick_check: {result[0] if result else 'no answer'}")


def _connect(path: Path | None) -> sqlite3.Connection:
    """Open, check and migrate; raises ``sqlite3.DatabaseError``."""
    connection = sqlite3.connect(
        ":memory:" if path is None else str(path),
        check_same_thread=False,  # JobStore serializes access across executor threads
        isolation_level=None,  # transactions are explicit: _transaction()
        timeout=10,
    )
    try:
        connection.row_factory = sqlite3.Row
        if path is not None:
            connection.execute("PRAGMA journal_mode=WAL").fetchone()
        connection.execute("PRAGMA synchronous=FULL")
        _check(connection)
        migrate(connection)
    except BaseException:
        connection.close()
        raise
    return connection


def migrate(connection: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Run the missing migration steps up to ``target``; return the version reached."""
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        _LOGGER.warning(
            "The job database has schema %s, newer than this version knows (%s); "
            "using the columns it knows",
            version,
            SCHEMA_VERSION,
        )
        return version
    for step in range(version, target):
        with _transaction(connection):
            for statement in MIGRATIONS[step]:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {step + 1}")
        _LOGGER.debug("Job database migrated to schema %s", step + 1)
    return max(version, target)
