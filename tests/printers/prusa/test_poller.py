"""PrusaPoller: requests per poll, intervals, back-off, and measured requests per minute."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from custom_components.printernizer.printers.errors import PrinterAuthError, PrinterConnectionError
from custom_components.printernizer.printers.model import PrinterState, PrinterStatus
from custom_components.printernizer.printers.prusa.client import ApiMode, PrusaLinkClient
from custom_components.printernizer.printers.prusa.poller import PrusaPoller
from tests.simulators.prusa.machine import PrinterMachine
from tests.simulators.prusa.server import PrusaLinkSimulator

Factory = Callable[..., Awaitable[PrusaLinkSimulator]]
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


class Clock:
    """A virtual monotonic clock shared by simulator and poller."""

    def __init__(self) -> None:
        """Start somewhere after zero (nonce ticks must not be negative)."""
        self.t = 10_000.0

    def __call__(self) -> float:
        """Return the virtual time."""
        return self.t

    def now(self) -> datetime:
        """Return the virtual wall clock."""
        return EPOCH + timedelta(seconds=self.t)


async def setup(
    factory: Factory, session: aiohttp.ClientSession, **kwargs: object
) -> tuple[PrusaLinkSimulator, PrusaLinkClient, PrusaPoller, Clock]:
    clock = Clock()
    sim = await factory(machine=PrinterMachine(clock=clock), **kwargs)
    client = PrusaLinkClient(
        session, sim.host, sim.username, sim.password, port=sim.port, timeout=1.0
    )
    poller = PrusaPoller(client, clock=clock, now=clock.now)
    return sim, client, poller, clock


async def run_for(
    poller: PrusaPoller, clock: Clock, state: PrinterState | None, minutes: float
) -> PrinterState:
    end = clock.t + minutes * 60
    assert state is not None
    while True:
        clock.t += poller.next_interval
        if clock.t > end:
            return state
        state = await poller.poll(state)


async def test_requests_per_minute(
    prusa_simulator_factory: Factory, session: aiohttp.ClientSession
) -> None:
    """Measure with the Buddy simulator: 300 s nonces, filament every 10 min."""
    sim, client, poller, clock = await setup(prusa_simulator_factory, session)
    state = await poller.poll(None)
    assert poller.next_interval == 30.0

    start = len(sim.requests)
    state = await run_for(poller, clock, state, 10)
    idle_per_minute = (len(sim.requests) - start) / 10

    sim.machine.start("VASE_S~1.BGC")  # 7500 s job
    state = await poller.poll(state)
    assert state.status is PrinterStatus.PRINTING
    assert poller.next_interval == 5.0
    start = len(sim.requests)
    state = await run_for(poller, clock, state, 10)
    printing_per_minute = (len(sim.requests) - start) / 10
    assert state.status is PrinterStatus.PRINTING
    print(
        f"\nPrusaLink requests/min: idle {idle_per_minute:.2f}, printing {printing_per_minute:.2f}"
    )
    # 2 polls/min + a nonce renewal every 5 min + filament every 10 min.
    assert idle_per_minute <= 2.4
    # 12 polls/min + the same rare extras.
    assert printing_per_minute <= 12.4
    assert client.request_count == len(sim.requests)


async def test_one_request_per_poll(
    prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient
) -> None:
    poller = PrusaPoller(client)
    state = await poller.poll(None)
    sent = [path for _, path in prusa_printer.requests]
    assert sent.count("/api/version") == 2  # challenge round trip + answer
    assert "/api/v1/info" in sent
    assert "/api/printer" in sent  # filament, first time
    before = len(prusa_printer.requests)
    state = await poller.poll(state)
    assert prusa_printer.requests[before:] == [("GET", "/api/v1/status")]

    job = prusa_printer.machine.start()
    before = len(prusa_printer.requests)
    state = await poller.poll(state)
    # New job id: status, the job once, and the filament for the new job.
    assert prusa_printer.requests[before:] == [
        ("GET", "/api/v1/status"),
        ("GET", "/api/v1/job"),
        ("GET", "/api/printer"),
    ]
    assert state.job_id == str(job.id)
    assert state.file == job.file.display_name
    assert state.thumbnail_url == job.file.refs["thumbnail"]
    assert state.external_spool is not None
    before = len(prusa_printer.requests)
    state = await poller.poll(state)
    assert prusa_printer.requests[before:] == [("GET", "/api/v1/status")]
    assert state.file == job.file.display_name

    await client.pause_job(job.id)
    poller.note_command()
    assert poller.next_interval == 5.0
    prusa_printer.machine.stop(job.id)
    prusa_printer.machine.clear()
    state = await poller.poll(state)
    assert state.status is PrinterStatus.IDLE
    assert poller.next_interval == 5.0  # still boosted after the command


async def test_backoff_and_reidentify(
    prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient
) -> None:
    poller = PrusaPoller(client)
    state = await poller.poll(None)
    prusa_printer.fail_next(503, count=None)
    intervals = []
    for _ in range(7):
        with pytest.raises(PrinterConnectionError):
            await poller.poll(state)
        intervals.append(poller.next_interval)
    assert intervals == [10, 20, 40, 80, 160, 300, 300]
    assert poller.failures == 7
    prusa_printer.clear_faults()
    before = len(prusa_printer.requests)
    state = await poller.poll(state)
    sent = [path for _, path in prusa_printer.requests[before:]]
    assert sent[0] == "/api/version"  # identified again after the outage
    assert "/api/v1/info" in sent
    assert sent[-1] == "/api/v1/status"
    assert poller.failures == 0
    assert poller.next_interval == 30


async def test_auth_error_does_not_reidentify(
    prusa_printer: PrusaLinkSimulator, session: aiohttp.ClientSession
) -> None:
    client = PrusaLinkClient(
        session, prusa_printer.host, "maker", prusa_printer.password, port=prusa_printer.port
    )
    poller = PrusaPoller(client)
    state = await poller.poll(None)
    prusa_printer.password = prusa_printer.api_key = "changed"
    with pytest.raises(PrinterAuthError):
        await poller.poll(state)
    assert poller.next_interval == 10


async def test_legacy_fallback_when_status_missing(
    prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient
) -> None:
    poller = PrusaPoller(client)
    prusa_printer.set_response("/api/v1/status", {"title": "Not Found"}, 404)
    state = await poller.poll(None)
    assert client.api_mode is ApiMode.LEGACY
    assert state.status is PrinterStatus.IDLE
    assert state.nozzle_temperature is not None


async def test_no_legacy_printer_endpoint(
    prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient
) -> None:
    prusa_printer.set_response("/api/printer", {"title": "Not Found"}, 404)
    poller = PrusaPoller(client, filament_refresh=0)
    state = await poller.poll(None)
    state = await poller.poll(state)
    assert prusa_printer.count("/api/printer") == 1  # not asked again
    assert state.external_spool is None


async def test_legacy_variant_polls(
    prusa_simulator_factory: Factory, session: aiohttp.ClientSession
) -> None:
    sim, client, poller, clock = await setup(prusa_simulator_factory, session, variant="legacy")
    state = await poller.poll(None)
    assert client.api_mode is ApiMode.LEGACY
    before = len(sim.requests)
    state = await poller.poll(state)
    assert sim.requests[before:] == [("GET", "/api/printer")]  # idle: one request
    sim.machine.start()
    clock.t += 60
    before = len(sim.requests)
    state = await poller.poll(state)
    assert sim.requests[before:] == [("GET", "/api/printer"), ("GET", "/api/job")]
    assert state.status is PrinterStatus.PRINTING
    assert state.file == sim.machine.files[0].display_name
    assert state.progress is not None
    assert state.external_spool is not None
    sim.machine.finish()
    state = await poller.poll(state)
    assert state.status is PrinterStatus.IDLE  # Buddy 4.x says "Operational" after a job


async def test_rpi_variant_polls(
    prusa_simulator_factory: Factory, session: aiohttp.ClientSession
) -> None:
    sim, _client, poller, _clock = await setup(prusa_simulator_factory, session, variant="rpi")
    state = await poller.poll(None)
    assert state.camera_url == "/api/v1/cameras/snap"
    assert state.external_spool is None  # " - " = unknown
    before = len(sim.requests)
    await poller.poll(state)
    assert sim.requests[before:] == [("GET", "/api/v1/status")]
