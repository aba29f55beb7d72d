"""Measure the job store: database size per 1,000 jobs and the time of a get_jobs query.

Run with the project's virtualenv: ``.venv/bin/python scripts/bench_store.py``. Jobs are written
one transaction each, as the integration writes them (synchronous=FULL, WAL), on 5 printers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.printernizer.database import JobDatabase, JobQuery
from custom_components.printernizer.jobs import Job, JobStatus, job_to_dict

PRINTERS = [f"01S00A{n:09d}" for n in range(5)]
STATUSES = [JobStatus.FINISHED] * 8 + [JobStatus.FAILED, JobStatus.CANCELLED]


def make_job(number: int, rng: random.Random) -> Job:
    """Return a realistic ended job."""
    started = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=number)
    minutes = rng.randint(10, 600)
    return Job(
        id=f"{rng.getrandbits(128):032x}",
        printer=rng.choice(PRINTERS),
        status=rng.choice(STATUSES),
        started=started,
        ended=started + timedelta(minutes=minutes),
        file=f"part_{rng.randint(1, 400)}_0.4n_0.2mm_PLA_{rng.randint(10, 999)}m.gcode.3mf",
        printer_job_id=str(100_000_000 + number),
        printer_start=started,
        expected_end=started + timedelta(minutes=minutes),
        last_seen=started + timedelta(minutes=minutes),
        progress=100.0,
        paused_seconds=float(rng.choice([0, 0, 0, 120])),
        filament_g=round(rng.uniform(2, 400), 1),
        material=rng.choice(["PLA", "PETG", "ABS"]),
        energy_kwh=round(rng.uniform(0.05, 3), 3),
        cost=round(rng.uniform(0.1, 12), 2),
        currency="EUR",
        slots_at_start={"ams0_tray0": 80, "ams0_tray1": 55},
        slots_used=("ams0_tray0",),
    )


def size(path: Path) -> int:
    """Return the bytes of the database and its WAL."""
    return sum(p.stat().st_size for p in path.parent.glob(f"{path.name}*"))


def main() -> None:
    """Print the figures."""
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "printernizer.db"
        db = JobDatabase.open(path)
        empty = size(path)
        start = time.perf_counter()
        for number in range(1000):
            db.save_job(make_job(number, rng))
        per_write = (time.perf_counter() - start) / 1000
        db.close()
        per_1000 = size(path) - empty
        db = JobDatabase.open(path)
        db.save_jobs(make_job(number, rng) for number in range(1000, 10_000))
        db.close()
        total = size(path)
        db = JobDatabase.open(path)
        queries = {
            "get_jobs limit 100 (default)": JobQuery(),
            "get_jobs all 10,000": JobQuery(limit=10_000),
            "get_jobs one printer, failed, 30 days": JobQuery(
                printers=[PRINTERS[0]],
                statuses=["failed"],
                start=datetime(2025, 6, 1, tzinfo=UTC),
                end=datetime(2025, 7, 1, tzinfo=UTC),
            ),
        }
        print(f"database size per 1,000 jobs: {per_1000 / 1024:.0f} KiB")
        print(f"database size with 10,000 jobs: {total / 1024 / 1024:.2f} MiB")
        print(f"one job write (its own transaction, synchronous=FULL): {per_write * 1000:.2f} ms")
        for name, query in queries.items():
            runs = []
            for _ in range(5):
                start = time.perf_counter()
                found = db.jobs(query)
                [job_to_dict(job) for job in found]  # what the action answers with
                runs.append(time.perf_counter() - start)
            print(f"{name}: {statistics.median(runs) * 1000:.1f} ms ({len(found)} jobs)")
        db.close()


if __name__ == "__main__":
    main()
