"""The PrusaLink simulator itself: fixture interface, auth variants, state machine, CLI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import hashlib
import re
from typing import Any

import aiohttp
import pytest

from tests.simulators.prusa import __main__ as cli
from tests.simulators.prusa.machine import ConflictError, PrinterMachine, make_png
from tests.simulators.prusa.server import PrusaLinkSimulator

Factory = Callable[..., Awaitable[PrusaLinkSimulator]]


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@pytest.fixture
async def http(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def buddy_header(
    sim: PrusaLinkSimulator, nonce: str, uri: str, method: str = "GET", extra: str = ""
) -> str:
    ha1 = md5(f"{sim.username}:Printer API:{sim.password}")
    response = md5(f"{ha1}:{nonce}:{md5(f'{method}:{uri}')}")
    return f'Digest username="{sim.username}", realm="Printer API", nonce="{nonce}", uri="{uri}", response="{response}"{extra}'


async def challenge(
    http: aiohttp.ClientSession, sim: PrusaLinkSimulator, path: str = "/api/v1/status"
) -> str:
    async with http.get(sim.url + path) as resp:
        assert resp.status == 401
        header = resp.headers["WWW-Authenticate"]
    match = re.search(r'nonce="([0-9a-f]+)"', header)
    assert match is not None
    return match.group(1)


async def test_fixture_interface(
    prusa_printer: PrusaLinkSimulator, http: aiohttp.ClientSession
) -> None:
    assert prusa_printer.host == "127.0.0.1"
    assert prusa_printer.port > 0
    assert prusa_printer.username == "maker"
    assert prusa_printer.serial
    nonce = await challenge(http, prusa_printer)
    prusa_printer.set_response("/api/v1/status", {"printer": {"state": "BUSY"}})
    headers = {"Authorization": buddy_header(prusa_printer, nonce, "/api/v1/status")}
    async with http.get(prusa_printer.url + "/api/v1/status", headers=headers) as resp:
        assert resp.status == 200
        assert await resp.json() == {"printer": {"state": "BUSY"}}
    prusa_printer.set_response("/api/v1/job", None, 204)
    headers = {"Authorization": buddy_header(prusa_printer, nonce, "/api/v1/job")}
    async with http.get(prusa_printer.url + "/api/v1/job", headers=headers) as resp:
        assert resp.status == 204
    assert prusa_printer.requests == [
        ("GET", "/api/v1/status"),
        ("GET", "/api/v1/status"),
        ("GET", "/api/v1/job"),
    ]
    prusa_printer.clear_response("/api/v1/job")
    prusa_printer.clear_response()


async def test_buddy_digest_rules(
    prusa_printer: PrusaLinkSimulator, http: aiohttp.ClientSession
) -> None:
    nonce = await challenge(http, prusa_printer)
    assert len(nonce) == 16
    url = prusa_printer.url + "/api/v1/info"
    # Old Buddy firmware: an unquoted algorithm token is a malformed request.
    headers = {
        "Authorization": buddy_header(prusa_printer, nonce, "/api/v1/info", extra=", algorithm=MD5")
    }
    async with http.get(url, headers=headers) as resp:
        assert resp.status == 400
    prusa_printer.algorithm_quirk = False
    async with http.get(url, headers=headers) as resp:
        assert resp.status == 200
    # Wrong uri → plain 401.
    headers = {"Authorization": buddy_header(prusa_printer, nonce, "/api/other")}
    async with http.get(url, headers=headers) as resp:
        assert resp.status == 401
    # Expired nonce with a correct digest → stale=true.
    prusa_printer.reboot()
    headers = {"Authorization": buddy_header(prusa_printer, nonce, "/api/v1/info")}
    async with http.get(url, headers=headers) as resp:
        assert resp.status == 401
        assert "stale=true" in resp.headers["WWW-Authenticate"]
    # Correct X-Api-Key works too, a wrong one does not; Basic is not digest.
    async with http.get(url, headers={"X-Api-Key": prusa_printer.password}) as resp:
        assert resp.status == 200
    async with http.get(url, headers={"X-Api-Key": "nope"}) as resp:
        assert resp.status == 401
    async with http.get(url, headers={"Authorization": "Basic Zm9vOmJhcg=="}) as resp:
        assert resp.status == 401
    async with http.get(
        url, headers={"Authorization": 'Digest nonce="zz", uri="/api/v1/info"'}
    ) as resp:
        assert resp.status == 401


async def test_rpi_variant(prusa_simulator_factory: Factory, http: aiohttp.ClientSession) -> None:
    sim = await prusa_simulator_factory(variant="rpi", api_key="KEY")
    async with http.get(sim.url + "/api/version", headers={"X-Api-Key": "bad"}) as resp:
        assert resp.status == 403
        assert await resp.text() == "Bad X-Api-Key."
    async with http.get(sim.url + "/api/version", headers={"X-Api-Key": "KEY"}) as resp:
        assert (await resp.json())["api"] == "0.9.0-legacy"
    async with http.get(sim.url + "/api/v1/status") as resp:
        header = resp.headers["WWW-Authenticate"]
    assert 'qop="auth"' in header
    assert 'algorithm="MD5-sess"' in header
    # aiohttp's own DigestAuthMiddleware handles the RPi flavour.
    async with (
        aiohttp.ClientSession(
            middlewares=(aiohttp.DigestAuthMiddleware(sim.username, sim.password),)
        ) as digest,
        digest.get(sim.url + "/api/printer") as resp,
    ):
        body = await resp.json()
    assert body["state"]["flags"]["link_state"] == "IDLE"
    assert body["telemetry"]["material"] == " - "
    async with http.get(sim.url + "/api/v1/cameras/snap", headers={"X-Api-Key": "KEY"}) as resp:
        assert resp.content_type == "image/png"
    async with http.get(sim.url + "/api/v1/cameras", headers={"X-Api-Key": "KEY"}) as resp:
        assert (await resp.json())[0]["camera_id"] == "simcam1"


async def test_legacy_variant(
    prusa_simulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    sim = await prusa_simulator_factory(variant="legacy", password="K")
    async with http.get(sim.url + "/api/version") as resp:
        assert resp.status == 401
        assert "WWW-Authenticate" not in resp.headers
    async with http.get(sim.url + "/api/v1/status", headers={"X-Api-Key": "K"}) as resp:
        assert resp.status == 404
    sim.machine.start()
    async with http.get(sim.url + "/api/job", headers={"X-Api-Key": "K"}) as resp:
        body = await resp.json()
    assert body["state"] == "Printing"
    assert body["job"]["file"]["display"] == sim.machine.files[0].display_name
    async with http.post(sim.url + "/api/job", headers={"X-Api-Key": "K"}, data=b"{") as resp:
        assert resp.status == 400
    async with http.post(
        sim.url + "/api/job", headers={"X-Api-Key": "K"}, json={"command": "start"}
    ) as resp:
        assert resp.status == 501


async def test_http_job_lifecycle(
    prusa_simulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    sim = await prusa_simulator_factory(variant="buddy", api_key="K")
    key = {"X-Api-Key": "K"}

    async def call(method: str, path: str) -> tuple[int, Any]:
        async with http.request(method, sim.url + path, headers=key) as resp:
            data = (
                await resp.json()
                if resp.content_type == "application/json" and resp.status != 204
                else None
            )
            return resp.status, data

    assert (await call("GET", "/api/v1/job"))[0] == 204
    assert (await call("POST", "/api/v1/files/usb/NOPE.GCO"))[0] == 404
    assert (await call("POST", "/api/v1/files/usb/CALIBR~1.BGC"))[0] == 204
    assert (await call("POST", "/api/v1/files/usb/CALIBR~1.BGC"))[0] == 409
    status, job = await call("GET", "/api/v1/job")
    assert job["file"]["display_name"].startswith("calibration_cube")
    job_id = job["id"]
    assert (await call("PUT", f"/api/v1/job/{job_id}/pause"))[0] == 204
    assert (await call("PUT", f"/api/v1/job/{job_id}/pause"))[0] == 409
    assert (await call("PUT", f"/api/v1/job/{job_id}/bogus"))[0] == 404
    assert (await call("PUT", "/api/v1/job/x/pause"))[0] == 404
    assert (await call("PUT", f"/api/v1/job/{job_id}/continue"))[0] == 204
    assert (await call("DELETE", "/api/v1/job/x"))[0] == 404
    assert (await call("DELETE", f"/api/v1/job/{job_id}"))[0] == 204
    status, body = await call("GET", "/api/v1/status")
    assert body["printer"]["state"] == "STOPPED"
    assert (await call("GET", "/api/v1/storage"))[1]["storage_list"][0]["name"] == "usb"
    assert (await call("GET", "/api/v1/transfer"))[0] == 204
    assert len((await call("GET", "/api/v1/files/usb/"))[1]["children"]) == 3
    assert (await call("GET", "/api/v1/files/usb/NOPE.GCO"))[0] == 404
    assert (await call("GET", "/thumb/s/usb/NOPE.BGC"))[0] == 404
    async with http.get(sim.url + "/thumb/s/usb/CALIBR~1.BGC", headers=key) as resp:
        assert await resp.read() == sim.machine.files[1].icon
    status, _ = await call("GET", "/api/v1/cameras")
    assert status == 404  # Buddy variant without camera
    assert sim.count("/api/v1/job", "PUT") == 0
    assert sim.count("/api/v1/job") == 2


async def test_faults(prusa_simulator_factory: Factory, http: aiohttp.ClientSession) -> None:
    sim = await prusa_simulator_factory(api_key="K")
    key = {"X-Api-Key": "K"}
    sim.fail_next(503, count=2, path="/api/v1/status")
    sim.garbage_next(path="/api/v1/info")
    sim.slow_next(0.05, path="/api/version")
    for expected in (503, 503, 200):
        async with http.get(sim.url + "/api/v1/status", headers=key) as resp:
            assert resp.status == expected
    async with http.get(sim.url + "/api/v1/info", headers=key) as resp:
        assert not (await resp.read()).startswith(b"{")
    async with http.get(sim.url + "/api/version", headers=key) as resp:
        assert resp.status == 200
    sim.drop_next(2)  # aiohttp repeats an idempotent request once
    with pytest.raises(aiohttp.ClientError):
        async with (
            aiohttp.ClientSession() as fresh,
            fresh.get(sim.url + "/api/version", headers=key) as resp,
        ):
            await resp.read()
    sim.set_raw_response("/api/version", b"not json", content_type="text/plain")
    async with http.get(sim.url + "/api/version", headers=key) as resp:
        assert await resp.text() == "not json"
    sim.fail_next(500, count=None)
    sim.clear_faults()
    assert sim.faults == []


def test_machine_state_machine() -> None:
    now = [0.0]
    machine = PrinterMachine(clock=lambda: now[0], speed=10)
    machine.tick()
    assert machine.progress is None
    assert machine.time_remaining is None
    job = machine.start("CALIBR~1.BGC")  # 720 s
    assert machine.target_nozzle == 215
    now[0] = 36.0  # 360 simulated seconds
    machine.tick()
    assert machine.progress == 50.0
    assert machine.time_remaining == 360
    assert machine.nozzle > 200
    machine.pause(job.id)
    now[0] = 100.0
    machine.tick()
    assert machine.progress == 50.0  # no progress while paused
    with pytest.raises(ConflictError):
        machine.pause()
    with pytest.raises(KeyError):
        machine.resume(job.id + 1)
    machine.resume()
    machine.attention()
    assert machine.state == "ATTENTION"
    machine.resume()
    machine.advance(1000)
    assert machine.state == "FINISHED"
    assert machine.progress == 100.0
    with pytest.raises(ConflictError):
        machine.stop()
    machine.start()
    machine.finish()
    machine.clear()
    assert machine.job is None
    machine.busy()
    assert machine.state == "BUSY"
    with pytest.raises(ConflictError):
        machine.start()
    machine.error()
    assert machine.error_message == "Thermal runaway"
    machine.clear()
    with pytest.raises(KeyError):
        machine.start("missing")


def test_png() -> None:
    data = make_png(4, 3, (1, 2, 3))
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"IEND" in data


def test_invalid_variant() -> None:
    with pytest.raises(ValueError, match="variant"):
        PrusaLinkSimulator(variant="sl1")


async def test_cli(socket_enabled: None, capsys: pytest.CaptureFixture[str]) -> None:
    args = cli.parse_args(
        [
            "--port",
            "0",
            "--password",
            "pw",
            "--print",
            "--variant",
            "rpi",
            "--camera",
            "--speed",
            "5",
        ]
    )
    assert args.print_file == ""
    task = asyncio.create_task(cli.run(args))
    for _ in range(100):
        await asyncio.sleep(0.01)
        if "simulator" in capsys.readouterr().out:
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
