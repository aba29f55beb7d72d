"""The simulated printer, driven by a minimal raw MQTT client and by paho."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import struct
from typing import Any

import pytest

from tests.simulators.bambu import mqtt
from tests.simulators.bambu.printer import PRINT_ERROR_CANCELLED, SimulatedPrinter
from tests.simulators.bambu.profiles import PROFILES, get_profile
from tests.simulators.bambu.simulator import BambuSimulator


class RawClient:
    """A hand-written MQTT 3.1.1 client to poke at the broker byte by byte."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Wrap streams."""
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, printer: BambuSimulator) -> RawClient:
        """Connect over TLS without checks."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        reader, writer = await asyncio.open_connection(printer.host, printer.port, ssl=context)
        return cls(reader, writer)

    def send(self, data: bytes) -> None:
        """Write bytes."""
        self.writer.write(data)

    async def read(self) -> tuple[int, bytes]:
        """Read one packet."""
        async with asyncio.timeout(3):
            return await mqtt.read_packet(self.reader)

    async def connect(
        self,
        user: str | None = "bblp",
        password: str | None = None,
        keepalive: int = 60,
        level: int = 4,
    ) -> int:
        """Send CONNECT and return the CONNACK code."""
        flags = 0x02 | (0x80 if user is not None else 0) | (0x40 if password is not None else 0)
        body = mqtt.encode_string("MQTT") + bytes([level, flags]) + struct.pack("!H", keepalive)
        body += mqtt.encode_string("raw")
        if user is not None:
            body += mqtt.encode_string(user)
        if password is not None:
            body += mqtt.encode_string(password)
        self.send(mqtt.encode_packet(mqtt.CONNECT, body))
        first, payload = await self.read()
        assert first == mqtt.CONNACK
        return payload[1]

    async def subscribe(self, *filters: str) -> bytes:
        """Subscribe and return the SUBACK codes."""
        body = struct.pack("!H", 1) + b"".join(mqtt.encode_string(f) + b"\x01" for f in filters)
        self.send(mqtt.encode_packet(mqtt.SUBSCRIBE | 0x02, body))
        first, payload = await self.read()
        assert first == mqtt.SUBACK
        return payload[2:]

    async def request(self, printer: BambuSimulator, payload: Any, qos: int = 0) -> None:
        """Publish on the request topic."""
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send(mqtt.encode_publish(printer.request_topic, data, qos=qos, packet_id=7))

    async def next_json(self, predicate: Any = None) -> dict[str, Any]:
        """Return the next report (matching ``predicate``)."""
        while True:
            first, body = await self.read()
            if first & 0xF0 != mqtt.PUBLISH:
                continue
            buf = mqtt._Buffer(body)
            buf.string()
            message: dict[str, Any] = json.loads(buf.rest())
            if predicate is None or predicate(message):
                return message

    async def close(self) -> None:
        """Close."""
        self.writer.close()
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await self.writer.wait_closed()


async def connected(printer: BambuSimulator) -> RawClient:
    """Return a raw client that is connected and subscribed."""
    client = await RawClient.open(printer)
    assert await client.connect(password=printer.access_code) == 0
    assert await client.subscribe(printer.report_topic) == b"\x01"
    return client


def body_of(message: dict[str, Any]) -> dict[str, Any]:
    """Return the namespace body."""
    return next(iter(message.values()))


def has_command(command: str) -> Any:
    """Predicate for a report with ``command``."""
    return lambda m: body_of(m).get("command") == command


async def test_connack_codes(bambu_printer: BambuSimulator) -> None:
    """Wrong password, wrong user and wrong protocol level are refused."""
    for kwargs, code in (
        ({"password": "nope"}, 5),
        ({"user": "admin", "password": bambu_printer.access_code}, 5),
        ({"user": None, "password": None}, 5),
        ({"password": bambu_printer.access_code, "level": 3}, 1),
    ):
        client = await RawClient.open(bambu_printer)
        assert await client.connect(**kwargs) == code
        await client.close()
    assert bambu_printer.broker.auth_failures == 3


async def test_client_limit(bambu_printer: BambuSimulator) -> None:
    """A fifth client gets CONNACK 3."""
    clients = [await connected(bambu_printer) for _ in range(4)]
    await bambu_printer.wait_for_clients(4)
    extra = await RawClient.open(bambu_printer)
    assert await extra.connect(password=bambu_printer.access_code) == 3
    assert bambu_printer.broker.refused_busy == 1
    for client in [*clients, extra]:
        await client.close()


async def test_topics_pings_and_qos1(bambu_printer: BambuSimulator) -> None:
    """Only the own report topic can be subscribed; PINGREQ and QoS 1 are answered."""
    client = await connected(bambu_printer)
    codes = await client.subscribe("device/OTHER/report", "device/+/report", "$SYS/#")
    assert codes == b"\x80\x01\x80"
    client.send(mqtt.encode_packet(mqtt.PINGREQ, b""))
    assert (await client.read())[0] == mqtt.PINGRESP
    client.send(mqtt.encode_publish("device/OTHER/request", b"{}", qos=1, packet_id=9))
    first, body = await client.read()
    assert first == mqtt.PUBACK
    assert body == b"\x00\x09"
    assert bambu_printer.ignored_topics == ["device/OTHER/request"]
    client.send(
        mqtt.encode_packet(
            mqtt.UNSUBSCRIBE | 0x02, b"\x00\x02" + mqtt.encode_string("device/+/report")
        )
    )
    assert (await client.read())[0] == mqtt.UNSUBACK
    client.send(mqtt.encode_packet(mqtt.PUBACK, b"\x00\x01"))
    client.send(mqtt.encode_packet(mqtt.DISCONNECT, b""))
    await client.close()


async def test_protocol_errors_end_the_session(bambu_printer: BambuSimulator) -> None:
    """Malformed packets, QoS 2 and a first packet other than CONNECT close the connection."""
    for data in (
        mqtt.encode_packet(mqtt.PINGREQ, b""),
        b"\x10\xff\xff\xff\xff",
    ):
        client = await RawClient.open(bambu_printer)
        client.send(data)
        assert await client.reader.read() == b""
        await client.close()
    client = await connected(bambu_printer)
    client.send(mqtt.encode_publish(bambu_printer.request_topic, b"{}", qos=2, packet_id=1))
    assert await client.reader.read() == b""
    await client.close()
    client = await connected(bambu_printer)
    client.send(mqtt.encode_packet(0xF0, b""))
    assert await client.reader.read() == b""


async def test_pushall_and_version(bambu_printer: BambuSimulator) -> None:
    """A pushall gets the full object, get_version the modules."""
    client = await connected(bambu_printer)
    await client.request(bambu_printer, {"pushing": {"sequence_id": "1", "command": "pushall"}})
    full = body_of(await client.next_json(lambda m: body_of(m).get("msg") == 0))
    assert full["command"] == "push_status"
    assert full["gcode_state"] == "IDLE"
    assert "chamber_temper" in full
    assert len(full["ams"]["ams"]) == 1
    await client.request(bambu_printer, {"info": {"sequence_id": "2", "command": "get_version"}})
    version = body_of(await client.next_json(has_command("get_version")))
    assert version["sequence_id"] == "2"
    assert version["module"][0]["name"] == "ota"
    assert version["module"][0]["product_name"] == "Bambu Lab X1-Carbon"
    assert bambu_printer.received[0]["pushing"]["command"] == "pushall"
    await client.request(bambu_printer, b"not json")
    await client.request(bambu_printer, b"[]")
    await client.request(bambu_printer, {"pushing": {"command": "stop"}})
    await client.request(bambu_printer, {"print": "x"})
    await client.request(bambu_printer, {"a": {}, "b": {}})
    await client.request(bambu_printer, {"print": {"sequence_id": "3"}})
    await client.request(
        bambu_printer, {"camera": {"sequence_id": "4", "command": "ipcam_record_set"}}
    )
    ack = body_of(await client.next_json(has_command("ipcam_record_set")))
    assert ack["result"] == "success"
    assert len(bambu_printer.received_raw) == 9
    await client.close()


@pytest.mark.parametrize("bambu_printer", [{"model": "A1", "interval": 0.02}], indirect=True)
async def test_scripted_print_with_deltas(bambu_printer: BambuSimulator) -> None:
    """A1: PREPARE → RUNNING with progress and layers → FINISH, pushed as msg 1 deltas."""
    client = await connected(bambu_printer)
    bambu_printer.start_print("cube.3mf", layers=10, prepare_ticks=2, print_ticks=4, minutes=20)
    states: list[str] = []
    progress: list[int] = []
    while "FINISH" not in states:
        body = body_of(await client.next_json(has_command("push_status")))
        assert body["msg"] == 1
        if "gcode_state" in body:
            states.append(body["gcode_state"])
        if "mc_percent" in body:
            progress.append(body["mc_percent"])
    assert states[0] == "PREPARE"
    assert "RUNNING" in states
    assert progress == sorted(progress)
    assert progress[-1] == 100
    assert bambu_printer.state["layer_num"] == 10
    assert bambu_printer.state["subtask_name"] == "cube"
    await client.close()


@pytest.mark.parametrize("bambu_printer", ["P1P"], indirect=True)
async def test_commands_are_applied_and_acked(bambu_printer: BambuSimulator) -> None:
    """Each command changes the state and is echoed with result success or a reason."""
    client = await connected(bambu_printer)

    async def send(namespace: str, command: str, **fields: Any) -> dict[str, Any]:
        await client.request(
            bambu_printer,
            {namespace: {"sequence_id": command, "command": command, **fields}},
            qos=1,
        )
        return body_of(
            await client.next_json(
                lambda m: (
                    body_of(m).get("sequence_id") == command
                    and body_of(m).get("command") == command
                )
            )
        )

    assert (await send("print", "pause", param=""))["result"] == "failed"
    assert (await send("print", "resume", param=""))["reason"] == "printer is not paused"
    assert (await send("print", "stop", param=""))["result"] == "failed"
    assert (await send("print", "print_speed", param="x"))["result"] == "failed"
    assert (await send("print", "print_speed", param="9"))["result"] == "failed"
    ack = await send("print", "print_speed", param="4")
    assert ack == {**ack, "result": "success", "reason": "success", "param": "4"}
    assert bambu_printer.state["spd_mag"] == 166
    await send("print", "gcode_line", param="M104 S215\nM140 S55\nG28\nM141 S30\n")
    assert bambu_printer.state["nozzle_target_temper"] == 215
    assert bambu_printer.state["bed_target_temper"] == 55
    assert (await send("system", "ledctrl", led_node="work_light", led_mode="on"))[
        "result"
    ] == "failed"
    assert (await send("system", "ledctrl", led_node="chamber_light", led_mode="off"))[
        "reason"
    ] == "missing led timing"
    timing = {"led_on_time": 500, "led_off_time": 500, "loop_times": 0, "interval_time": 0}
    assert (await send("system", "ledctrl", led_node="chamber_light", led_mode="off", **timing))[
        "result"
    ] == "success"
    assert bambu_printer.state["lights_report"] == [{"node": "chamber_light", "mode": "off"}]
    ack = await send(
        "print",
        "project_file",
        param="Metadata/plate_2.gcode",
        url="ftp:///parts/gear.3mf",
        subtask_name="gear",
    )
    assert ack["result"] == "success"
    assert bambu_printer.state["gcode_state"] == "PREPARE"
    assert bambu_printer.state["gcode_file"] == "/data/Metadata/plate_2.gcode"
    assert (await send("print", "project_file", param="Metadata/plate_1.gcode"))[
        "reason"
    ] == "printer is busy"
    assert (await send("print", "pause", param=""))["result"] == "success"
    assert bambu_printer.state["gcode_state"] == "PAUSE"
    assert bambu_printer.state["stg_cur"] == 16
    assert (await send("print", "resume", param=""))["result"] == "success"
    assert (await send("print", "stop", param=""))["result"] == "success"
    assert bambu_printer.state["gcode_state"] == "FAILED"
    assert bambu_printer.state["print_error"] == PRINT_ERROR_CANCELLED
    bambu_printer.reject_next("pause", "nope")
    assert (await send("print", "pause", param=""))["reason"] == "nope"
    bambu_printer.set_signed_commands_required()
    signed = await send("print", "pause", param="")
    assert signed["err_code"] == 84033543
    assert int(bambu_printer.state["fun"], 16) & 0x20000000
    bambu_printer.set_signed_commands_required(False)
    assert not int(bambu_printer.state["fun"], 16) & 0x20000000
    await client.close()


async def test_fail_cancel_finish_pause_controls(bambu_printer: BambuSimulator) -> None:
    """Test controls drive the state like the printer would."""
    bambu_printer.start_print("a.3mf", prepare_ticks=0)
    assert bambu_printer.state["gcode_state"] == "RUNNING"
    bambu_printer.pause()
    assert bambu_printer.state["gcode_state"] == "PAUSE"
    bambu_printer.printer.tick()
    assert bambu_printer.state["gcode_state"] == "PAUSE"
    bambu_printer.resume()
    bambu_printer.fail()
    assert bambu_printer.state["gcode_state"] == "FAILED"
    assert bambu_printer.state["hms"] == [{"attr": 50334976, "code": 131075}]
    bambu_printer.start_print("b.3mf")
    bambu_printer.fail(0x0300_8003, hms=False)
    assert bambu_printer.state["print_error"] == 0x0300_8003
    assert bambu_printer.state["hms"] == []
    bambu_printer.start_print("c.3mf")
    bambu_printer.cancel()
    assert bambu_printer.state["print_error"] == PRINT_ERROR_CANCELLED
    bambu_printer.start_print("d.3mf")
    bambu_printer.finish()
    assert bambu_printer.state["gcode_state"] == "FINISH"
    assert bambu_printer.state["mc_percent"] == 100


async def test_x1_pushes_full_objects(bambu_printer: BambuSimulator) -> None:
    """X1C periodic pushes are full objects."""
    bambu_printer.set_interval(0.02)
    client = await connected(bambu_printer)
    bambu_printer.start_print("x.3mf")
    body = body_of(await client.next_json(has_command("push_status")))
    assert body["msg"] == 0
    assert "ams" in body
    await client.close()


async def test_push_exact_and_faults(bambu_printer: BambuSimulator) -> None:
    """push() sends exactly the payload; raw, oversized and garbage reach the client."""
    client = await connected(bambu_printer)
    await bambu_printer.push({"print": {"command": "push_status", "x": 1}})
    assert await client.next_json(lambda m: "x" in body_of(m)) == {
        "print": {"command": "push_status", "x": 1}
    }
    await bambu_printer.push_oversized(size=300_000)
    first, body = await client.read()
    assert first == mqtt.PUBLISH
    assert len(body) > 300_000
    await bambu_printer.push_raw(b"{broken")
    first, body = await client.read()
    assert body.endswith(b"{broken")
    await bambu_printer.send_garbage(b"\x00\x01")
    assert await client.reader.readexactly(2) == b"\x00\x01"
    await bambu_printer.drop()
    assert await client.reader.read() == b""
    await client.close()


async def test_stall_and_reconnect_recovery(bambu_printer: BambuSimulator) -> None:
    """A stalled printer records requests but answers nothing until a client reconnects."""
    client = await connected(bambu_printer)
    bambu_printer.stall()
    await client.request(bambu_printer, {"info": {"sequence_id": "1", "command": "get_version"}})
    await bambu_printer.wait_for_request("get_version")
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await client.next_json()
    await client.close()
    client = await connected(bambu_printer)
    assert not bambu_printer.stalled
    await client.close()
    bambu_printer.stall(mqtt=True)
    client = await connected(bambu_printer)
    bambu_printer.stall(until_reconnect=False, mqtt=True)
    client.send(mqtt.encode_packet(mqtt.PINGREQ, b""))
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await client.read()
    bambu_printer.unstall()
    await client.close()


async def test_offline_online_and_certificate_change(bambu_printer: BambuSimulator) -> None:
    """go_offline refuses TCP; go_online listens on the same port; a new key changes the pin."""
    port = bambu_printer.port
    await bambu_printer.go_offline()
    with pytest.raises(OSError):
        await RawClient.open(bambu_printer)
    await bambu_printer.go_online()
    assert bambu_printer.port == port
    old = bambu_printer.pin
    new = await bambu_printer.change_certificate()
    assert new != old
    client = await RawClient.open(bambu_printer)
    der = client.writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    assert der == bambu_printer.certificate.der
    await client.close()


@pytest.mark.parametrize("model", list(PROFILES))
def test_profiles(model: str) -> None:
    """Every profile builds a consistent status and version answer."""
    profile = get_profile(model)
    printer = SimulatedPrinter(profile, profile.serial_prefix + "000000000001")
    full = printer.full_report()["print"]
    assert full["msg"] == 0
    assert [light["node"] for light in full["lights_report"]] == list(profile.lights)
    assert ("ams" in full) == bool(profile.ams_units)
    assert ("device" in full) == (profile.extruders > 1)
    modules = printer.version_report("1")["info"]["module"]
    ota = modules[0]
    if profile.product_name_in_version:
        assert ota["product_name"] == profile.product_name
    else:
        assert ota["project_name"] == profile.project_name
    assert printer.periodic_report() is None or not profile.delta_pushes
    printer.handle(
        {"print": {"command": "gcode_line", "sequence_id": "1", "param": "M104 S200\nM141 S40"}}
    )
    printer.tick()
    delta = printer.periodic_report()
    assert delta is not None
    assert delta["print"]["nozzle_temper"] > 25


def test_profile_lookup() -> None:
    """Names are case-insensitive and have aliases."""
    assert get_profile("a1 MINI").key == "A1 mini"
    assert get_profile("A1mini").key == "A1 mini"
    assert get_profile("x1c").key == "X1C"
    assert {"X1C", "P1S", "P1P", "A1", "A1 mini", "H2D"} <= set(PROFILES)
    with pytest.raises(KeyError):
        get_profile("Ender 3")


def test_h2d_packs_temperatures() -> None:
    """H2D reports per-extruder temperatures packed as target << 16 | current."""
    printer = SimulatedPrinter(get_profile("H2D"), "094000000000001")
    printer.handle(
        {
            "print": {
                "command": "gcode_line",
                "sequence_id": "1",
                "param": "M104 S250\nM140 S80\nM141 S45",
            }
        }
    )
    device = printer.state["device"]
    assert device["extruder"]["info"][0]["temp"] >> 16 == 250
    assert device["bed"]["info"]["temp"] >> 16 == 80
    assert printer.state["ctt"] == 45
    assert len(device["extruder"]["info"]) == 2
    assert (
        printer.handle({"print": {"command": "project_file", "sequence_id": "2", "param": "x"}})[0][
            "print"
        ]["result"]
        == "success"
    )
    assert (
        printer.handle({"print": {"command": "x"}, "user_id": "1"})[0]["print"]["result"]
        == "success"
    )
    assert printer.handle({"print": {"sequence_id": "1"}, "a": {}}) == []


def test_mqtt_helpers() -> None:
    """Remaining-length encoding and topic matching."""
    assert mqtt.encode_length(0) == b"\x00"
    assert mqtt.encode_length(127) == b"\x7f"
    assert mqtt.encode_length(128) == b"\x80\x01"
    assert mqtt.encode_length(2_097_152) == b"\x80\x80\x80\x01"
    assert mqtt.topic_matches("device/+/report", "device/X/report")
    assert mqtt.topic_matches("#", "device/X/report")
    assert mqtt.topic_matches("device/X/#", "device/X/report")
    assert not mqtt.topic_matches("device/X", "device/X/report")
    assert not mqtt.topic_matches("device/X/report/extra", "device/X/report")
    buf = mqtt._Buffer(b"\x00\x02\xff\xfe")
    with pytest.raises(mqtt.MqttProtocolError):
        buf.string()
    with pytest.raises(mqtt.MqttProtocolError):
        mqtt._Buffer(b"").u8()


async def test_fixture_defaults(bambu_printer: BambuSimulator) -> None:
    """The fixture yields a started X1C on 127.0.0.1."""
    assert bambu_printer.model == "X1C"
    assert bambu_printer.host == "127.0.0.1"
    assert bambu_printer.port > 0
    assert bambu_printer.serial.startswith("00M")
    assert bambu_printer.received == []
    assert bambu_printer.clients == 0


@pytest.mark.parametrize("bambu_printer", ["A1"], indirect=True)
async def test_fixture_model_param(bambu_printer: BambuSimulator) -> None:
    """Indirect parametrization selects the model."""
    assert bambu_printer.model == "A1"
    assert bambu_printer.serial.startswith("039")


async def test_command_line(socket_enabled: None, capsys: pytest.CaptureFixture[str]) -> None:
    """The command line starts a printing simulator and prints how to reach it."""
    from tests.simulators.bambu.__main__ import _main, _parser

    args = _parser().parse_args(
        [
            "--model",
            "P1S",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--interval",
            "0.01",
            "--print",
            "--print-ticks",
            "2",
            "--loop",
        ]
    )
    task = asyncio.create_task(_main(args))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    out = capsys.readouterr().out
    assert "Bambu Lab P1S" in out
    assert "certificate pin" in out
