"""PrusaLinkClient against the simulator over real sockets: auth, errors, commands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from custom_components.printernizer.printers.errors import (
    PrinterAuthError,
    PrinterCommandError,
    PrinterConnectionError,
    PrinterProtocolError,
    PrinterStateError,
    PrinterTimeoutError,
    PrinterUnsupportedError,
)
from custom_components.printernizer.printers.model import Capability
from custom_components.printernizer.printers.prusa.client import (
    ApiMode,
    AuthMode,
    PrusaLinkClient,
    build_base_url,
    looks_like_prusalink,
)
from tests.simulators.prusa.server import PrusaLinkSimulator

Factory = Callable[..., Awaitable[PrusaLinkSimulator]]


def make_client(
    session: aiohttp.ClientSession, sim: PrusaLinkSimulator, **kwargs: object
) -> PrusaLinkClient:
    options: dict[str, object] = {"port": sim.port, "timeout": 1.0} | kwargs
    username = str(options.pop("username", sim.username))
    password = str(options.pop("password", sim.password))
    return PrusaLinkClient(session, sim.host, username, password, **options)  # type: ignore[arg-type]


async def test_buddy_digest_one_request_per_call(
    prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient
) -> None:
    info = await client.get_printer_info()
    assert info.serial == prusa_printer.serial
    assert info.model == "MK4"
    assert info.capabilities & Capability.PAUSE_RESUME_STOP
    assert not info.capabilities & Capability.CAMERA
    assert client.auth_mode is AuthMode.DIGEST
    assert client.api_mode is ApiMode.V1
    # First call paid the challenge round trip; then the nonce is reused.
    assert prusa_printer.requests[:2] == [("GET", "/api/version"), ("GET", "/api/version")]
    before = len(prusa_printer.requests)
    await client.get_status()
    await client.get_status()
    assert len(prusa_printer.requests) == before + 2
    # Never an algorithm token: Buddy < 5.2.0 rejects it (the simulator answers 400).
    assert all(h is None or "algorithm" not in h for h in prusa_printer.auth_headers)


async def test_stale_nonce_costs_one_extra_request(
    prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient
) -> None:
    await client.get_status()
    prusa_printer.reboot()  # issued nonces are invalid now
    before = len(prusa_printer.requests)
    await client.get_status()
    assert len(prusa_printer.requests) == before + 2


async def test_wrong_password(
    prusa_printer: PrusaLinkSimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(session, prusa_printer, password="wrong")
    with pytest.raises(PrinterAuthError):
        await client.get_status()
    # unsigned → challenge, signed → refused, X-Api-Key once → refused
    assert len(prusa_printer.requests) == 3


async def test_digest_only_mode_does_not_try_api_key(
    prusa_printer: PrusaLinkSimulator, session: aiohttp.ClientSession
) -> None:
    client = make_client(session, prusa_printer, password="wrong", auth_mode=AuthMode.DIGEST)
    with pytest.raises(PrinterAuthError):
        await client.get_status()
    assert len(prusa_printer.requests) == 2


async def test_rpi_digest_sess_with_opaque(
    prusa_simulator_factory: Factory, session: aiohttp.ClientSession
) -> None:
    sim = await prusa_simulator_factory(variant="rpi", username="octo", password="p4ss")
    client = make_client(session, sim)
    info = await client.get_printer_info()
    assert info.model == "MK3S"
    assert info.firmware == "3.13.2-7080"
    assert info.hardware == "PrusaLink 0.7.2"
    assert info.capabilities & Capability.CAMERA
    assert client.camera_url == "/api/v1/cameras/snap"
    snapshot = await client.get_camera_snapshot()
    assert snapshot is not None
    assert snapshot.startswith(b"\x89PNG")
    headers = [h for h in sim.auth_headers if h]
    assert "algorithm=MD5-sess" in headers[-1]
    assert "nc=" in headers[-1]


async def test_rpi_api_key(
    prusa_simulator_factory: Factory, session: aiohttp.ClientSession
) -> None:
    sim = await prusa_simulator_factory(variant="rpi", password="digest-pw", api_key="KEY123")
    client = make_client(session, sim, password="KEY123")
    await client.get_status()
    assert client.auth_mode is AuthMode.API_KEY
    before = len(sim.requests)
    await client.get_status()
    assert len(sim.requests) == before + 1
    bad = make_client(session, sim, password="nope", auth_mode=AuthMode.API_KEY)
    with pytest.raises(PrinterAuthError):
        await bad.get_status()


async def test_legacy_firmware(
    prusa_simulator_factory: Factory, session: aiohttp.ClientSession
) -> None:
    sim = await prusa_simulator_factory(variant="legacy", password="KEY")
    client = make_client(session, sim)
    info = await client.get_printer_info()
    assert client.api_mode is ApiMode.LEGACY
    assert client.auth_mode is AuthMode.API_KEY
    assert info.serial == "PrusaMINI"
    assert info.model == "MINI"
    assert info.capabilities == Capability.PAUSE_RESUME_STOP
    sim.machine.start()
    await client.pause_job(None)
    assert sim.machine.state == "PAUSED"
    await client.resume_job(None)
    await client.stop_job(None)
    assert sim.machine.state == "STOPPED"
    with pytest.raises(PrinterStateError):
        await client.pause_job(None)
    bad = make_client(session, sim, password="nope")
    bad.api_mode = ApiMode.LEGACY
    with pytest.raises(PrinterAuthError):
        await bad.get_legacy_printer()
    with pytest.raises(PrinterAuthError):
        await bad.stop_job(None)


async def test_job_commands(prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient) -> None:
    job = prusa_printer.machine.start()
    await client.pause_job(job.id)
    assert prusa_printer.machine.state == "PAUSED"
    with pytest.raises(PrinterStateError):
        await client.pause_job(job.id)  # 409
    await client.resume_job(str(job.id))
    assert prusa_printer.machine.state == "PRINTING"
    with pytest.raises(PrinterStateError):
        await client.stop_job(job.id + 1)  # 404: not the current job
    with pytest.raises(PrinterStateError):
        await client.stop_job(None)
    await client.stop_job(job.id)
    assert prusa_printer.machine.state == "STOPPED"
    assert ("DELETE", f"/api/v1/job/{job.id}") in prusa_printer.requests
    prusa_printer.fail_next(400, path=f"/api/v1/job/{job.id}/pause", body=b'{"title": "Bad"}')
    with pytest.raises(PrinterCommandError) as err:
        await client.pause_job(job.id)
    assert err.value.reason == "Bad"


async def test_conflict_reason(prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient) -> None:
    prusa_printer.fail_next(409, path="/api/v1/job/5/pause", body=b"Printer is busy")
    with pytest.raises(PrinterStateError) as err:
        await client.pause_job(5)
    assert err.value.reason == "Printer is busy"


async def test_server_errors(prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient) -> None:
    prusa_printer.fail_next(503)
    with pytest.raises(PrinterConnectionError):
        await client.get_status()
    prusa_printer.garbage_next()
    with pytest.raises(PrinterProtocolError):
        await client.get_status()
    prusa_printer.set_response("/api/v1/status", [1, 2])
    with pytest.raises(PrinterProtocolError):
        await client.get_status()
    prusa_printer.set_response("/api/v1/status", None)
    with pytest.raises(PrinterProtocolError):
        await client.get_status()
    prusa_printer.set_response("/api/v1/status", {"x": 1}, 418)
    with pytest.raises(PrinterProtocolError):
        await client.get_status()


async def test_timeout(prusa_printer: PrusaLinkSimulator, session: aiohttp.ClientSession) -> None:
    client = make_client(session, prusa_printer, timeout=0.2)
    await client.get_status()
    prusa_printer.slow_next(1.0)
    with pytest.raises(PrinterTimeoutError):
        await client.get_status()


async def test_dropped_connection(
    prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient
) -> None:
    await client.get_status()
    prusa_printer.drop_next(1)
    await client.get_status()  # aiohttp repeats once on a reused keep-alive connection
    prusa_printer.drop_next(2)
    with pytest.raises(PrinterConnectionError):
        await client.get_status()
    prusa_printer.machine.start()
    prusa_printer.drop_next(2)
    with pytest.raises(PrinterConnectionError):
        await client.pause_job(100)
    assert prusa_printer.machine.state == "PRINTING"


async def test_unreachable(session: aiohttp.ClientSession, socket_enabled: None) -> None:
    client = PrusaLinkClient(session, "127.0.0.1", "maker", "x", port=1, timeout=1.0)
    with pytest.raises(PrinterConnectionError):
        await client.get_status()


async def test_not_prusalink(prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient) -> None:
    prusa_printer.set_response(
        "/api/version", {"api": "0.1", "server": "1.9.3", "text": "OctoPrint 1.9.3"}
    )
    with pytest.raises(PrinterProtocolError):
        await client.get_printer_info()
    prusa_printer.set_response("/api/version", {"hello": "world"}, 404)
    with pytest.raises(PrinterProtocolError):
        await client.get_version()
    prusa_printer.set_raw_response("/api/version", b"<html>router</html>", content_type="text/html")
    with pytest.raises(PrinterProtocolError):
        await client.get_version()


@pytest.mark.parametrize(
    "version",
    [
        {"api": "2.0.0", "text": "PrusaLink", "printer": "5.1.1", "hostname": "prusa-sl1s"},
        {"api": "0.1", "text": "Prusa SLA SL1 1.8.0", "hostname": "prusa-sl1"},
    ],
)
async def test_resin_unsupported(
    version: dict[str, str], prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient
) -> None:
    prusa_printer.set_response("/api/version", version)
    with pytest.raises(PrinterUnsupportedError):
        await client.get_printer_info()


async def test_resin_detected_from_info(
    prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient
) -> None:
    prusa_printer.set_response("/api/version", {"api": "2.0.0", "text": "PrusaLink"})
    prusa_printer.set_response("/api/v1/info", {"serial": "X", "hostname": "prusa-sl1"})
    with pytest.raises(PrinterUnsupportedError):
        await client.get_printer_info()


async def test_thumbnail_and_files(
    prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient
) -> None:
    files = await client.get_files()
    assert len(files) == 3
    assert files[0].thumbnail_url is not None
    data = await client.get_thumbnail(files[0].thumbnail_url.lstrip("/"))
    assert data == prusa_printer.machine.files[0].thumbnail
    assert await client.get_thumbnail("/thumb/l/usb/NOPE.BGC") is None
    assert await client.get_camera_snapshot() is None  # Buddy: no cameras endpoint
    assert await client.get_cameras() == []
    assert await client.get_transfer() is None
    assert await client.get_file_info("usb", "MISSING.GCO") is None
    prusa_printer.set_response("/api/v1/cameras", {"camera_list": [{"camera_id": "a"}]})
    assert await client.get_cameras() == [{"camera_id": "a"}]
    prusa_printer.set_response("/api/v1/cameras", {"x": 1})
    assert await client.get_cameras() == []
    prusa_printer.set_response("/api/v1/cameras/snap", None, 204)
    assert await client.get_camera_snapshot() is None


def test_base_url() -> None:
    assert build_base_url("192.168.1.5") == "http://192.168.1.5"
    assert build_base_url("prusa.local", port=8080) == "http://prusa.local:8080"
    assert build_base_url("http://1.1.1.1/") == "http://1.1.1.1"
    assert (
        build_base_url("x", base_url="https://printer.example/prusa/")
        == "https://printer.example/prusa"
    )
    assert build_base_url("10.0.0.2:81") == "http://10.0.0.2:81"


def test_looks_like_prusalink() -> None:
    assert looks_like_prusalink({"api": "2.0.0"})
    assert looks_like_prusalink({"api": "0.9.0-legacy"})
    assert looks_like_prusalink({"api": "1.0", "text": "PrusaLink 0.6"})
    assert not looks_like_prusalink({"api": "0.1", "text": "OctoPrint 1.9"})
    assert not looks_like_prusalink({"text": "PrusaLink"})
