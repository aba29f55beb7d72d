"""Gentle polling of a PrusaLink printer (no Home Assistant).

One poll is ONE request (`/api/v1/status`, which carries job id and progress) except:
- the job id changed: `/api/v1/job` once for the file name and thumbnail;
- every `filament_refresh` seconds and on a new job: legacy `/api/printer` for the loaded filament;
- after the printer was unreachable: `/api/version` + `/api/v1/info` (+ `/api/v1/cameras`) again,
  because it may have rebooted with new firmware;
- legacy-only firmware (no /api/v1): `/api/printer`, plus `/api/job` while a job may be running.

The recommended next interval is `active_interval` (5 s) while a job runs or right after a command,
`idle_interval` (30 s) otherwise, and an exponential back-off up to `max_backoff` (5 min) while
the printer cannot be reached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
import logging
import time
from typing import Any, Final

from ..errors import PrinterClientError, PrinterConnectionError, PrinterProtocolError
from ..model import PrinterState, PrinterStatus
from .client import ApiMode, EndpointNotFoundError, PrusaLinkClient
from .parser import (
    ParseIssues,
    filament_slot,
    map_legacy_state,
    map_v1_state,
    parse_job,
    parse_legacy,
    parse_legacy_material,
    parse_status,
)

_LOGGER = logging.getLogger(__name__)

ACTIVE_INTERVAL: Final = 5.0
IDLE_INTERVAL: Final = 30.0
MAX_BACKOFF: Final = 300.0
FIRST_BACKOFF: Final = 10.0
COMMAND_BOOST: Final = 60.0
"""Seconds of fast polling after a command, so the result shows up quickly."""
FILAMENT_REFRESH: Final = 600.0

# States worth watching closely: a job runs, the printer is busy or waits for the user.
_FAST_STATUSES: Final = frozenset(
    {
        PrinterStatus.PREPARING,
        PrinterStatus.PRINTING,
        PrinterStatus.PAUSED,
        PrinterStatus.BUSY,
        PrinterStatus.ATTENTION,
    }
)


class PrusaPoller:
    """Produces a fresh `PrinterState` per call with as few requests as possible."""

    def __init__(
        self,
        client: PrusaLinkClient,
        *,
        active_interval: float = ACTIVE_INTERVAL,
        idle_interval: float = IDLE_INTERVAL,
        max_backoff: float = MAX_BACKOFF,
        filament_refresh: float = FILAMENT_REFRESH,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        """Wrap a client; the first poll identifies the printer if that was not done yet."""
        self.client = client
        self.active_interval = active_interval
        self.idle_interval = idle_interval
        self.max_backoff = max_backoff
        self.filament_refresh = filament_refresh
        self._clock = clock
        self._now = now or (lambda: datetime.now(UTC))
        self.issues: ParseIssues = client.issues
        self.failures = 0
        self.next_interval = idle_interval
        self._need_identify = client.printer_info is None
        self._boost_until = 0.0
        self._material: str | None = None
        self._material_at: float | None = None
        self._material_supported = True

    def note_command(self) -> None:
        """Poll fast for a while: a command was just sent."""
        self._boost_until = self._clock() + COMMAND_BOOST
        self.next_interval = self.active_interval

    async def poll(self, previous: PrinterState | None) -> PrinterState:
        """Return the current state; raises the client's errors (and backs off) on failure."""
        try:
            if self._need_identify:
                self.client.reset_session()
                await self.client.get_printer_info()
                self._need_identify = False
            if self.client.api_mode is ApiMode.LEGACY:
                state = await self._poll_legacy(previous)
            else:
                try:
                    state = await self._poll_v1(previous)
                except EndpointNotFoundError:
                    # Firmware without /api/v1/status: fall back to the legacy endpoints.
                    _LOGGER.debug(
                        "PrusaLink %s: no /api/v1/status, using the legacy API",
                        self.client.base_url,
                    )
                    self.client.api_mode = ApiMode.LEGACY
                    state = await self._poll_legacy(previous)
        except PrinterClientError as err:
            self.failures += 1
            self.next_interval = min(self.max_backoff, FIRST_BACKOFF * 2 ** (self.failures - 1))
            if isinstance(err, PrinterConnectionError):
                # It may come back rebooted or updated: identify it again.
                self._need_identify = True
            raise
        self.failures = 0
        fast = state.status in _FAST_STATUSES or self._clock() < self._boost_until
        self.next_interval = self.active_interval if fast else self.idle_interval
        return state

    async def _poll_v1(self, previous: PrinterState | None) -> PrinterState:
        status = await self.client.get_status()
        job_id = _status_job_id(status)
        previous_id = previous.job_id if previous is not None else None
        job = None
        new_job = job_id is not None and job_id != previous_id
        if new_job:
            job = parse_job(await self.client.get_job(), self.issues)
        await self._refresh_material(force=new_job)
        camera_url = self.client.camera_url
        return parse_status(
            status,
            previous=previous,
            job=job,
            now=self._now(),
            camera_url=camera_url,
            material=self._material,
            issues=self.issues,
        )

    async def _refresh_material(self, *, force: bool) -> None:
        """Read the loaded filament from legacy /api/printer, rarely."""
        if not self._material_supported:
            return
        due = (
            self._material_at is None or self._clock() - self._material_at >= self.filament_refresh
        )
        if not (force or due):
            return
        self._material_at = self._clock()
        try:
            printer = await self.client.get_legacy_printer()
        except EndpointNotFoundError, PrinterProtocolError:
            self._material_supported = False
            return
        self._material = parse_legacy_material(printer, self.issues)

    async def _poll_legacy(self, previous: PrinterState | None) -> PrinterState:
        printer = await self.client.get_legacy_printer()
        status = _legacy_printer_status(printer)
        # /api/job only while a job may be running or has just ended (to see it end).
        want_job = (
            previous is None
            or previous.job_active
            or status is None
            or status not in (PrinterStatus.IDLE, PrinterStatus.ERROR)
        )
        job = await self.client.get_legacy_job() if want_job else None
        state = parse_legacy(
            printer,
            job,
            previous=previous,
            now=self._now(),
            camera_url=self.client.camera_url,
            issues=self.issues,
        )
        if state.external_spool is None and self._material is not None:
            state = replace(
                state, external_spool=filament_slot(self._material), active_slot="external"
            )
        return state


def _status_job_id(status: dict[str, Any]) -> str | None:
    job = status.get("job")
    if not isinstance(job, dict):
        return None
    value = job.get("id")
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    return str(value).strip() or None


def _legacy_printer_status(printer: object) -> PrinterStatus | None:
    if not isinstance(printer, dict):
        return None
    state = printer.get("state")
    if not isinstance(state, dict):
        return None
    flags = state.get("flags")
    if isinstance(flags, dict) and (mapped := map_v1_state(flags.get("link_state"))) is not None:
        return mapped
    return map_legacy_state(state.get("text"))
