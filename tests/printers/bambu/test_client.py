"""BambuClient against the simulated printer over real TLS sockets."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import socket
import threading
from typing import Any, Self

import pytest

from custom_components.printernizer.printers.bambu import commands
from custom_components.printernizer.printers.bambu.client import BambuClient
from custom_components.printernizer.printers.bambu.tls import CertificateNameMismatchError
from custom_components.printernizer.printers.errors import (
    PinMismatchError,
    PrinterAuthError,
    PrinterCommandError,
    PrinterConnectionError,
    PrinterSignedCommandsError,
    PrinterTimeoutError,
)
from custom_components.printernizer.printers.model import SpeedProfile
from tests.simulators.bambu.simulator import BambuSimulator

type ClientFactory = Callable[..., BambuClient]


class SilentServer:
    """A TCP server that accepts and then never says a word."""

    def __init__(self) -> None:
        """Hold on to accepted connections."""
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> Self:
        """Listen on a free port."""

        async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.writers.append(writer)

        self.server = await asyncio.start_server(accept, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        """Close everything."""
        for writer in self.writers:
            writer.close()
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Poll until ``predicate`` holds."""
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - polling client/simulator state
            await asyncio.sleep(0.01)


class Recorder:
    """Collects client callbacks."""

    def __init__(self) -> None:
        """Start empty."""
        self.messages: list[dict[str, Any]] = []
        self.connection: list[bool] = []
        self.errors: list[Exception] = []

    def on_message(self, payload: dict[str, Any]) -> None:
        """Record a message."""
        self.messages.append(payload)

    def on_connection_change(self, connected: bool) -> None:
        """Record a connection change."""
        self.connection.append(connected)

    def on_error(self, err: Exception) -> None:
        """Record an error."""
        self.errors.append(err)

    def commands(self, command: str) -> list[dict[str, Any]]:
        """Return messages whose body has ``command``."""
        return [m for m in self.messages if any(b.get("command") == command for b in m.values())]


def recorded(
    factory: ClientFactory, printer: BambuSimulator, **options: Any
) -> tuple[BambuClient, Recorder]:
    """Build a client wired to a recorder."""
    recorder = Recorder()
    client = factory(
        printer,
        on_message=recorder.on_message,
        on_connection_change=recorder.on_connection_change,
        on_error=recorder.on_error,
        **options,
    )
    return client, recorder


async def test_connect_subscribes_and_requests_status(
    bambu_printer: BambuSimulator, make_client: ClientFactory
) -> None:
    """On connect: subscribe, get_version, pushall; full status arrives."""
    client, recorder = recorded(make_client, bambu_printer)
    await client.connect()
    assert client.connected
    assert recorder.connection == [True]
    await bambu_printer.wait_for_request("get_version")
    await bambu_printer.wait_for_request("pushall")
    await wait_until(lambda: bool(recorder.commands("push_status")))
    await wait_until(lambda: bool(recorder.commands("get_version")))
    full = recorder.commands("push_status")[0]["print"]
    assert full["msg"] == 0
    assert full["gcode_state"] == "IDLE"
    version = recorder.commands("get_version")[0]["info"]
    assert version["module"][0]["product_name"] == "Bambu Lab X1-Carbon"
    assert client.peer_pin == bambu_printer.pin
    assert client.stats.messages >= 2
    assert client.stats.bytes > 100
    assert client.stats.last_message_time is not None
    diagnostics = client.diagnostics()
    assert diagnostics["connected"] is True
    assert "access_code" not in diagnostics
    await client.stop()
    assert recorder.connection == [True, False]
    await wait_until(lambda: bambu_printer.clients == 0)


async def test_connect_is_idempotent_and_counts(
    bambu_printer: BambuSimulator, make_client: ClientFactory
) -> None:
    """A second connect() while connected does nothing."""
    client = make_client(bambu_printer)
    await client.connect()
    await client.connect()
    assert client.stats.connects == 1
    assert bambu_printer.broker.connect_attempts == 1


async def test_wrong_access_code(bambu_printer: BambuSimulator, make_client: ClientFactory) -> None:
    """CONNACK 5 becomes PrinterAuthError; nothing stays connected."""
    client = make_client(bambu_printer, access_code="wrong")
    with pytest.raises(PrinterAuthError):
        await client.connect()
    assert not client.connected
    assert bambu_printer.broker.auth_failures == 1


async def test_unreachable(socket_enabled: None, make_client: Any) -> None:
    """A closed port raises PrinterConnectionError."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = BambuClient("127.0.0.1", "00M000000000000", "x", port=port, connect_timeout=2)
    with pytest.raises(PrinterConnectionError):
        await client.connect()
    await client.stop()


async def test_timeout_when_peer_never_answers(socket_enabled: None) -> None:
    """A TCP listener that never speaks TLS yields PrinterTimeoutError."""
    async with SilentServer() as server:
        client = BambuClient(
            "127.0.0.1", "00M000000000000", "x", port=server.port, connect_timeout=0.3, keepalive=1
        )
        with pytest.raises(PrinterTimeoutError):
            await client.connect()
        await client.stop()


async def test_certificate_name_mismatch(
    bambu_printer: BambuSimulator, make_client: ClientFactory
) -> None:
    """A certificate issued to another serial is refused before CONNECT is sent."""
    client = make_client(bambu_printer, serial="01P00A000000000", pin=None)
    with pytest.raises(CertificateNameMismatchError):
        await client.connect()
    assert bambu_printer.broker.connect_attempts == 0


async def test_pin_mismatch(bambu_printer: BambuSimulator, make_client: ClientFactory) -> None:
    """A changed key raises PinMismatchError with both pins; the access code is never sent."""
    old_pin = bambu_printer.pin
    new_pin = await bambu_printer.change_certificate()
    client = make_client(bambu_printer, pin=old_pin)
    with pytest.raises(PinMismatchError) as err:
        await client.connect()
    assert err.value.expected == old_pin
    assert err.value.actual == new_pin
    assert bambu_printer.broker.connect_attempts == 0


async def test_opt_out_accepts_any_certificate(
    bambu_printer: BambuSimulator, make_client: ClientFactory
) -> None:
    """verify=False connects whatever the certificate says (MQTT proxies)."""
    await bambu_printer.change_certificate(common_name="proxy.local")
    client = make_client(bambu_printer, pin="00" * 32, verify=False)
    await client.connect()
    assert client.connected
    assert client.diagnostics()["tls_verify"] is False
    assert client.peer_pin is None


async def test_first_use_without_pin_checks_name_only(
    bambu_printer: BambuSimulator, make_client: ClientFactory
) -> None:
    """pin=None still checks the certificate name and reports the seen pin."""
    client = make_client(bambu_printer, pin=None)
    await client.connect()
    assert client.pin is None
    assert client.peer_pin == bambu_printer.pin


async def test_client_limit(bambu_printer: BambuSimulator, make_client: ClientFactory) -> None:
    """The printer refuses a fifth client; that is a connection error, not an auth error."""
    clients = [make_client(bambu_printer) for _ in range(4)]
    await asyncio.gather(*(client.connect() for client in clients))
    extra = make_client(bambu_printer)
    with pytest.raises(PrinterConnectionError) as err:
        await extra.connect()
    assert not isinstance(err.value, PrinterAuthError)


async def test_reconnect_after_drop(
    bambu_printer: BambuSimulator, make_client: ClientFactory
) -> None:
    """The managed loop reconnects after the printer drops us; pushall is not repeated."""
    client, recorder = recorded(make_client, bambu_printer)
    await client.connect()
    await client.start()
    await client.start()  # second start is a no-op
    assert client.running
    await bambu_printer.wait_for_request("pushall")
    await bambu_printer.drop()
    await wait_until(lambda: client.stats.reconnects == 1 and client.connected)
    assert recorder.connection[:3] == [True, False, True]
    await wait_until(lambda: len(bambu_printer.requests("get_version")) == 2)
    # pushall at most every five minutes, also across reconnects
    assert len(bambu_printer.requests("pushall")) == 1
    assert client.request_pushall() is False
    assert client.request_pushall(force=True) is True
    await client.stop()
    assert not client.running
    await wait_until(lambda: bambu_printer.clients == 0)


async def test_start_without_connect_retries_until_online(
    bambu_printer: BambuSimulator, make_client: ClientFactory
) -> None:
    """start() alone keeps trying with back-off until the printer is back."""
    await bambu_printer.go_offline()
    client, recorder = recorded(make_client, bambu_printer)
    await client.start()
    await wait_until(lambda: len(recorder.errors) >= 2)
    assert all(isinstance(err, PrinterConnectionError) for err in recorder.errors)
    assert client.stats.last_error is not None
    await bambu_printer.go_online()
    await wait_until(lambda: client.connected)
    assert client.stats.reconnects == 0
    assert client.stats.connects == 1


async def test_reconnect_loop_reports_pin_mismatch(
    bambu_printer: BambuSimulator, make_client: ClientFactory
) -> None:
    """A key change while running stops the session and is reported on every attempt."""
    client, recorder = recorded(make_client, bambu_printer)
    await client.connect()
    await client.start()
    await bambu_printer.change_certificate()
    await bambu_printer.drop()
    await wait_until(lambda: any(isinstance(e, PinMismatchError) for e in recorder.errors))
    assert not client.connected


async def test_watchdog_pokes_then_reconnects(
    bambu_printer: BambuSimulator, make_client: ClientFactory
) -> None:
    """Silence: pushing.start first, then a reconnect, after which reports flow again."""
    client, recorder = recorded(
        make_client, bambu_printer, watchdog_timeout=0.3, watchdog_grace=0.3
    )
    await client.connect()
    await client.start()
    await wait_until(lambda: bool(recorder.commands("push_status")))
    bambu_printer.stall()
    await bambu_printer.wait_for_request("start")
    await wait_until(lambda: client.stats.watchdog_reconnects == 1 and client.connected)
    assert client.stats.watchdog_pokes >= 1
    count = len(recorder.messages)
    await wait_until(lambda: len(recorder.messages) > count)


async def test_watchdog_poke_that_helps(
    bambu_printer: BambuSimulator, make_client: ClientFactory
) -> None:
    """When pushing.start brings reports back, there is no reconnect."""
    client, _recorder = recorded(make_client, bambu_printer, watchdog_timeout=0.3, watchdog_grace=5)
    await client.connect()
    await client.start()
    bambu_printer.stall(until_reconnect=False)
    await bambu_printer.wait_for_request("start")
    bambu_printer.unstall()
    bambu_printer.push_full()
    await asyncio.sleep(0.2)
    assert client.stats.watchdog_reconnects == 0
    assert client.connected


async def test_keepalive_loss_reconnects(
    bambu_printer: BambuSimulator, make_client: ClientFactory
) -> None:
    """A broker that stops answering PINGREQ is dropped by paho's keep-alive and reconnected."""
    client, recorder = recorded(make_client, bambu_printer, keepalive=1)
    await client.connect()
    await client.start()
    bambu_printer.stall(mqtt=True)
    await wait_until(lambda: client.stats.reconnects >= 1 and client.connected, timeout=8)
    assert False in recorder.connection


async def test_invalid_payloads_are_counted(
    bambu_printer: BambuSimulator, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Invalid JSON, non-objects and oversized payloads are dropped and counted, never raised."""
    caplog.set_level("DEBUG", "custom_components.printernizer.printers.bambu.client")
    client, recorder = recorded(make_client, bambu_printer)
    await client.connect()
    await bambu_printer.push_raw(b"{not json")
    await bambu_printer.push_raw(b"[1, 2]")
    await bambu_printer.push_raw(b"\xff\xfe")
    await bambu_printer.push_oversized()
    await bambu_printer.push({"print": {"command": "push_status", "msg": 1, "marker": 1}})
    await wait_until(lambda: any(m.get("print", {}).get("marker") == 1 for m in recorder.messages))
    assert client.stats.decode_errors == 4
    assert client.connected
    assert sum("undecodable" in r.message for r in caplog.records) == 1


async def test_garbage_bytes_force_reconnect(
    bambu_printer: BambuSimulator, make_client: ClientFactory
) -> None:
    """Bytes that are not MQTT break the session; the client reconnects."""
    client = make_client(bambu_printer)
    await client.connect()
    await client.start()
    await bambu_printer.send_garbage()
    await wait_until(lambda: client.stats.reconnects == 1 and client.connected)


async def test_callback_errors_do_not_break_the_client(
    bambu_printer: BambuSimulator, make_client: ClientFactory
) -> None:
    """Exceptions in user callbacks are logged, not propagated."""

    def boom(*_args: Any) -> None:
        raise RuntimeError("callback failure")

    client = make_client(bambu_printer, on_message=boom, on_connection_change=boom, on_error=boom)
    await client.connect()
    await bambu_printer.push({"print": {"command": "push_status"}})
    await wait_until(lambda: client.stats.messages >= 1)
    assert client.connected
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        client.port = sock.getsockname()[1]  # nothing listens there
    await client.start()
    await bambu_printer.drop()
    await wait_until(lambda: client.stats.last_error is not None)


async def test_commands_acknowledged(
    bambu_printer: BambuSimulator, make_client: ClientFactory
) -> None:
    """Each convenience command is published with QoS 1 and returns the printer's echo."""
    client = make_client(bambu_printer)
    await client.connect()
    reply = await client.set_speed_profile(SpeedProfile.SPORT)
    assert reply["print"]["result"] == "success"
    assert bambu_printer.state["spd_lvl"] == 3
    await client.set_light(False)
    assert bambu_printer.state["lights_report"][0] == {"node": "chamber_light", "mode": "off"}
    await client.set_light(True, "work_light")
    await client.set_nozzle_temperature(220)
    await client.set_bed_temperature(60)
    assert bambu_printer.state["nozzle_target_temper"] == 220
    assert bambu_printer.state["bed_target_temper"] == 60
    await client.send_gcode(["G28", "M400"])
    await client.start_print("cube.3mf", plate=2, use_ams=True, ams_mapping=[0])
    assert bambu_printer.state["gcode_state"] == "PREPARE"
    assert bambu_printer.state["gcode_file"].endswith("plate_2.gcode")
    await client.pause()
    assert bambu_printer.state["gcode_state"] == "PAUSE"
    await client.resume()
    await client.stop_print()
    assert bambu_printer.state["print_error"] == 50348044
    sequence_ids = [next(iter(r.values()))["sequence_id"] for r in bambu_printer.received]
    assert len(set(sequence_ids)) == len(sequence_ids)
    assert all(isinstance(s, str) for s in sequence_ids)
    assert client.stats.commands_sent == 10


async def test_command_rejected(bambu_printer: BambuSimulator, make_client: ClientFactory) -> None:
    """A result other than success raises PrinterCommandError with the reason."""
    client = make_client(bambu_printer)
    await client.connect()
    with pytest.raises(PrinterCommandError) as err:
        await client.pause()
    assert err.value.reason == "printer is not printing"
    bambu_printer.reject_next("ledctrl", "busy")
    with pytest.raises(PrinterCommandError, match="busy"):
        await client.set_light(True)
    assert client.stats.command_rejections == 2


async def test_signed_commands_required(
    bambu_printer: BambuSimulator, make_client: ClientFactory
) -> None:
    """Authorization firmware rejections map to PrinterSignedCommandsError."""
    bambu_printer.set_signed_commands_required()
    client = make_client(bambu_printer)
    await client.connect()
    with pytest.raises(PrinterSignedCommandsError):
        await client.set_light(True)


async def test_command_timeout(bambu_printer: BambuSimulator, make_client: ClientFactory) -> None:
    """No echo in time raises PrinterTimeoutError and leaves nothing pending."""
    client = make_client(bambu_printer)
    await client.connect()
    bambu_printer.stall(until_reconnect=False)
    with pytest.raises(PrinterTimeoutError):
        await client.command(commands.pause(), timeout=0.2)
    assert client.stats.command_timeouts == 1
    assert client.diagnostics()["pending_commands"] == 0


async def test_command_fails_when_connection_lost(
    bambu_printer: BambuSimulator, make_client: ClientFactory
) -> None:
    """A pending command fails with PrinterConnectionError when the connection drops."""
    client = make_client(bambu_printer)
    with pytest.raises(PrinterConnectionError):
        client.publish(commands.pushall())
    await client.connect()
    bambu_printer.stall(until_reconnect=False)
    task = asyncio.create_task(client.pause())
    await bambu_printer.wait_for_request("pause")
    await bambu_printer.drop()
    with pytest.raises(PrinterConnectionError):
        await task
    with pytest.raises(PrinterConnectionError):
        await client.pause()


async def test_command_validation(
    bambu_printer: BambuSimulator, make_client: ClientFactory
) -> None:
    """Malformed requests are refused before publishing."""
    client = make_client(bambu_printer)
    await client.connect()
    with pytest.raises(ValueError):
        await client.command({"print": {}, "system": {}})
    with pytest.raises(TypeError):
        await client.command({"print": {"param": ""}})
    client.publish(commands.get_version(), qos=1)
    await wait_until(lambda: len(bambu_printer.requests("get_version")) == 2)


@pytest.mark.parametrize("bambu_printer", ["P1S"], indirect=True)
async def test_two_printers_at_once(
    bambu_printer: BambuSimulator,
    bambu_printer_factory: Callable[..., Awaitable[BambuSimulator]],
    make_client: ClientFactory,
) -> None:
    """Commands to two printers in parallel resolve independently."""
    other = await bambu_printer_factory("A1")
    first = make_client(bambu_printer)
    second = make_client(other)
    await asyncio.gather(first.connect(), second.connect())
    other.stall(until_reconnect=False)
    results = await asyncio.gather(
        first.set_speed_profile(SpeedProfile.SILENT),
        second.command(commands.print_speed(SpeedProfile.LUDICROUS), timeout=0.3),
        first.set_light(False),
        second.command(commands.pause(), timeout=0.3),
        return_exceptions=True,
    )
    assert isinstance(results[0], dict)
    assert isinstance(results[2], dict)
    assert isinstance(results[1], PrinterTimeoutError)
    assert isinstance(results[3], PrinterTimeoutError)
    assert bambu_printer.state["spd_lvl"] == 1
    assert other.state["spd_lvl"] == 2
    assert {r["print"]["command"] for r in bambu_printer.requests("print_speed")} == {"print_speed"}
    assert not other.requests("ledctrl")


async def test_clean_shutdown(bambu_printer: BambuSimulator, make_client: ClientFactory) -> None:
    """stop() leaves no task, timer, socket or thread of ours behind."""
    threads_before = set(threading.enumerate())
    tasks_before = asyncio.all_tasks()
    client = make_client(bambu_printer)
    await client.connect()
    await client.start()
    await asyncio.sleep(0.05)
    await client.stop()
    await client.stop()  # idempotent
    await wait_until(lambda: bambu_printer.clients == 0)
    await wait_until(lambda: not asyncio.all_tasks() - tasks_before)
    assert client._misc_handle is None
    assert client._mqttc is None
    assert client._sock is None
    await wait_until(lambda: bambu_printer.clients == 0)
    new_threads = {
        t for t in set(threading.enumerate()) - threads_before if "paho" in t.name.lower()
    }
    assert not new_threads


async def test_stop_while_connecting(socket_enabled: None) -> None:
    """Cancelling during the executor connect leaves no socket registered."""
    async with SilentServer() as server:
        client = BambuClient(
            "127.0.0.1", "00M000000000000", "x", port=server.port, connect_timeout=0.5, keepalive=1
        )
        await client.start()
        await asyncio.sleep(0.1)
        await client.stop()
        assert not client.running
        assert client._mqttc is None


async def test_async_context_manager(bambu_printer: BambuSimulator) -> None:
    """`async with` connects, starts and stops."""
    async with BambuClient(
        bambu_printer.host,
        bambu_printer.serial,
        bambu_printer.access_code,
        port=bambu_printer.port,
        pin=bambu_printer.pin,
    ) as client:
        assert client.connected
        assert client.running
    assert not client.connected
    assert not client.running


async def test_client_bound_to_one_loop() -> None:
    """Using a client from another event loop is a programming error."""
    client = BambuClient("127.0.0.1", "00M000000000000", "x")
    with pytest.raises(RuntimeError):
        client._event_loop  # noqa: B018
    with pytest.raises(RuntimeError):
        client._lock  # noqa: B018
    with pytest.raises(RuntimeError):
        client._lost_event  # noqa: B018
    client._bind_loop()

    def other_loop() -> None:
        async def inner() -> None:
            client._bind_loop()

        with pytest.raises(RuntimeError):
            asyncio.run(inner())

    await asyncio.get_running_loop().run_in_executor(None, other_loop)
