"""The job history as Home Assistant uses it.

:class:`JobStore` runs the blocking :class:`.database.JobDatabase` in Home Assistant's executor,
one statement at a time and in order, never on the event loop, and raises the repair issues of a
damaged or unusable database file.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
import logging
from pathlib import Path
import sqlite3
from typing import Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .analytics import Totals
from .const import DOMAIN
from .database import (
    DATABASE_NAME,
    JobDatabase,
    JobQuery,
    PrinterFile,
    StoreError,
)
from .jobs import Job

_LOGGER = logging.getLogger(__name__)

ISSUE_CORRUPT: Final = "store_corrupt"
ISSUE_UNAVAILABLE: Final = "store_unavailable"


class JobStore:
    """The job database as Home Assistant uses it: in the executor, in order, never blocking."""

    def __init__(self, hass: HomeAssistant, database: JobDatabase) -> None:
        """Wrap an open database; use :meth:`async_open`."""
        self.hass = hass
        self.database = database
        self._lock = asyncio.Lock()
        # Writes leave the queue only once done: a write whose task Home Assistant cancelled while
        # stopping is still done before the database closes.
        self._queue: deque[Callable[[], None]] = deque()
        self._writer: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    async def async_open(cls, hass: HomeAssistant, path: Path | None = None) -> JobStore:
        """Open the database in the config folder; never fails (see the module docstring).

        A damaged file is replaced (repair issue ``store_corrupt``); a database that cannot be
        opened at all is replaced by one in memory for this run (repair issue
        ``store_unavailable``) so that printers keep working.
        """
        path = path or Path(hass.config.path(DATABASE_NAME))
        try:
            database = await hass.async_add_executor_job(JobDatabase.open, path)
        except StoreError as err:
            _LOGGER.error("Cannot open the job database %s: %s", path, err)
            database = await hass.async_add_executor_job(JobDatabase.open, None)
            ir.async_create_issue(
                hass,
                DOMAIN,
                ISSUE_UNAVAILABLE,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=ISSUE_UNAVAILABLE,
                translation_placeholders={"path": str(path), "error": str(err)},
            )
        else:
            ir.async_delete_issue(hass, DOMAIN, ISSUE_UNAVAILABLE)
            if database.moved_aside is not None:
                ir.async_create_issue(
                    hass,
                    DOMAIN,
                    ISSUE_CORRUPT,
                    is_fixable=False,
                    severity=ir.IssueSeverity.WARNING,
                    translation_key=ISSUE_CORRUPT,
                    translation_placeholders={
                        "path": str(path),
                        "moved_to": str(database.moved_aside),
                    },
                )
        return cls(hass, database)

    @property
    def closed(self) -> bool:
        """Return True once the store was closed."""
        return self._closed

    async def _run[**P, R](self, func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        async with self._lock:
            if self._closed:
                raise StoreError("the job database is closed")
            return await self.hass.async_add_executor_job(lambda: func(*args, **kwargs))

    def async_save_job(self, job: Job) -> None:
        """Write a job soon (in order with every other write); errors are logged."""
        if self._closed:
            _LOGGER.debug("Job %s not saved: Home Assistant is stopping", job.id)
            return
        self._schedule(self.database.save_job, job)

    def async_save_file(self, printer: str, path: str, *, seen: datetime, printed: bool) -> None:
        """Remember a printer file soon."""
        if not self._closed:
            self._schedule(self.database.save_file, printer, path, seen=seen, printed=printed)

    def _schedule[**P](self, func: Callable[P, None], *args: P.args, **kwargs: P.kwargs) -> None:
        self._queue.append(partial(func, *args, **kwargs))
        self._start_writer()

    def _start_writer(self) -> asyncio.Task[None]:
        if self._writer is None or self._writer.done():
            # Not eager: the task is tracked before it asks the executor for anything.
            self._writer = self.hass.async_create_task(
                self._async_write_queued(), f"{DOMAIN} job database write", eager_start=False
            )
        return self._writer

    async def _async_write_queued(self) -> None:
        while self._queue:
            try:
                await self._run(self._queue[0])
            except (sqlite3.Error, StoreError) as err:
                _LOGGER.error("Could not write to the job database: %s", err)
            self._queue.popleft()

    async def async_flush(self) -> None:
        """Wait until every scheduled write is done."""
        while self._queue:
            await asyncio.wait([self._start_writer()])

    async def async_jobs(self, query: JobQuery) -> list[Job]:
        """Return jobs (pending writes included)."""
        await self.async_flush()
        return await self._run(self.database.jobs, query)

    async def async_restore(self, printer: str) -> tuple[list[Job], Job | None]:
        """Return the open jobs of a printer (newest first) and the one that ended last."""
        await self.async_flush()
        open_jobs = await self._run(self.database.open_jobs, printer)
        last = await self._run(self.database.last_ended, printer)
        return open_jobs, last

    async def async_purge(self, printer: str, before: datetime) -> int:
        """Delete a printer's ended jobs that started before ``before``."""
        return await self._run(self.database.purge, printer, before)

    async def async_jobs_in_window(
        self, printers: Sequence[str] | None, start: datetime | None, end: datetime
    ) -> list[Job]:
        """Return the jobs that occupied a printer within a period (pending writes included)."""
        await self.async_flush()
        return await self._run(self.database.jobs_in_window, printers, start, end)

    async def async_totals(self, printer: str) -> Totals:
        """Return a printer's totals since its last reset (pending writes included)."""
        await self.async_flush()
        return await self._run(self.database.totals, printer)

    async def async_reset_totals(self, printer: str, at: datetime) -> None:
        """Reset a printer's totals."""
        await self.async_flush()
        await self._run(self.database.reset_totals, printer, at)

    async def async_files(self, printer: str) -> list[PrinterFile]:
        """Return the files seen on a printer."""
        await self.async_flush()
        return await self._run(self.database.files, printer)

    async def async_close(self) -> None:
        """Finish the pending writes and close the database."""
        if self._closed:
            return
        await self.async_flush()
        async with self._lock:
            self._closed = True
            await self.hass.async_add_executor_job(self.database.close)
