"""A simulated Bambu Lab printer: TLS MQTT broker + printer model + fault injection."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import ssl
from typing import Any, Final, Self

from .camera import ChamberCameraServer
from .certs import SimulatorCertificate, load_into_context, make_certificate, server_context
from .ftps import FtpsServer
from .mqtt import MqttBroker, Session
from .printer import PrintJob, SimulatedPrinter
from .profiles import ModelProfile, get_profile

_LOGGER = logging.getLogger(__name__)

DEFAULT_ACCESS_CODE: Final = "12345678"
IDLE_PUSH_EVERY: Final = 5
"""While idle, push (temperatures, Wi-Fi) every this many intervals."""


def make_serial(profile: ModelProfile) -> str:
    """Return a made-up serial with the model's prefix (15 characters like real ones)."""
    return profile.serial_prefix + "".join(random.choices("0123456789ABCDEF", k=12))


class BambuSimulator:
    """One simulated printer on ``host:port``.

    Control surface for tests: :meth:`push` (publish exactly a payload on the report topic),
    ``received`` (requests published by clients, decoded), :meth:`start_print`, :meth:`pause`,
    :meth:`resume`, :meth:`cancel`, :meth:`fail`, :meth:`finish`, :meth:`stall`/:meth:`unstall`,
    :meth:`drop`, :meth:`go_offline`/:meth:`go_online`, :meth:`send_garbage`,
    :meth:`push_raw`, :meth:`push_oversized`, :meth:`change_certificate`, :meth:`set_interval`,
    :meth:`reject_next`, :meth:`wait_for_request`, :meth:`wait_for_clients`.

    Beside MQTT it serves implicit FTPS (``ftps``, ``ftps_port``; files in ``ftps.files``) and,
    on P1/A1 models, the port-6000 chamber image stream (``camera``, ``camera_port``), all with
    the same certificate. :meth:`set_storage_present` simulates a missing SD card.
    """

    def __init__(
        self,
        model: str = "X1C",
        *,
        serial: str | None = None,
        access_code: str = DEFAULT_ACCESS_CODE,
        host: str = "127.0.0.1",
        port: int = 0,
        interval: float = 1.0,
        max_clients: int = 4,
        certificate_name: str | None = None,
    ) -> None:
        """Configure; call :meth:`start` to listen. ``port=0`` picks a free port."""
        self.profile = get_profile(model)
        self.model = self.profile.key
        self.serial = (serial or make_serial(self.profile)).upper()
        self.access_code = access_code
        self.host = host
        self.port = port
        self.interval = interval
        self.report_topic = f"device/{self.serial}/report"
        self.request_topic = f"device/{self.serial}/request"
        self.printer = SimulatedPrinter(self.profile, self.serial)
        self.received: list[dict[str, Any]] = []
        """Every decodable JSON object clients published on the request topic, in order."""
        self.received_raw: list[bytes] = []
        """Every payload published on the request topic, decodable or not."""
        self.ignored_topics: list[str] = []
        self.stalled = False
        self._stall_until_reconnect = False
        self._certificate_name = certificate_name or self.serial
        self.certificate: SimulatorCertificate | None = None
        self._context: ssl.SSLContext | None = None
        self.broker = MqttBroker(
            access_code=access_code,
            allowed_topic=self.report_topic,
            on_publish=self._on_publish,
            max_clients=max_clients,
        )
        self.broker.on_session_start = self._on_session_start
        self._ticker: asyncio.Task[None] | None = None
        self.ftps: FtpsServer | None = None
        self.camera: ChamberCameraServer | None = None
        self._file_contexts: list[ssl.SSLContext] = []
        self._received_event = asyncio.Event()
        self._sessions_event = asyncio.Event()
        self._idle_ticks = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Generate the certificate (in the executor), listen and start pushing."""
        loop = asyncio.get_running_loop()
        if self.certificate is None:
            self.certificate = await loop.run_in_executor(
                None, make_certificate, self._certificate_name
            )
            self._context = await loop.run_in_executor(None, server_context, self.certificate)
        assert self._context is not None
        self.port = await self.broker.start(self.host, self.port, self._context)
        await self._start_file_servers()
        if self._ticker is None:
            self._ticker = loop.create_task(self._tick_loop(), name=f"bambu sim {self.serial}")
        _LOGGER.debug("simulated %s %s on %s:%s", self.model, self.serial, self.host, self.port)

    async def stop(self) -> None:
        """Stop pushing, drop every client, stop listening."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        await self.broker.close()
        if self.ftps is not None:
            await self.ftps.stop()
        if self.camera is not None:
            await self.camera.stop()

    async def _start_file_servers(self) -> None:
        """Start FTPS (and the JPEG camera on P1/A1) with the MQTT certificate."""
        assert self.certificate is not None
        loop = asyncio.get_running_loop()
        if not self._file_contexts:
            for _ in range(2):
                context = await loop.run_in_executor(None, server_context, self.certificate)
                # Printers speak TLS 1.2, where the FTP data channel resumes the session ID.
                context.maximum_version = ssl.TLSVersion.TLSv1_2
                self._file_contexts.append(context)
        if self.ftps is None:
            self.ftps = FtpsServer(self.access_code, self._file_contexts[0], self.host)
        await self.ftps.start()
        if self.profile.camera == "jpeg":
            if self.camera is None:
                self.camera = ChamberCameraServer(
                    self.access_code, self._file_contexts[1], self.host
                )
            await self.camera.start()

    @property
    def ftps_port(self) -> int:
        """Return the port of the FTPS server."""
        assert self.ftps is not None
        return self.ftps.port

    @property
    def camera_port(self) -> int | None:
        """Return the port of the JPEG camera stream (None on RTSPS models)."""
        return self.camera.port if self.camera is not None else None

    def set_storage_present(self, present: bool) -> None:
        """Insert or remove the SD card: the report's ``sdcard`` and the FTP server follow."""
        self.printer.state["sdcard"] = present
        if self.ftps is not None:
            self.ftps.storage_present = present

    async def __aenter__(self) -> Self:
        """Start."""
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        """Stop."""
        await self.stop()

    @property
    def pin(self) -> str:
        """Return the public-key pin of the certificate currently presented."""
        assert self.certificate is not None
        return self.certificate.pin

    @property
    def clients(self) -> int:
        """Return the number of connected MQTT clients."""
        return len(self.broker.sessions)

    @property
    def state(self) -> dict[str, Any]:
        """Return the printer's current status object (live, mutable)."""
        return self.printer.state

    # ------------------------------------------------------------------ broker hooks

    def _on_session_start(self, _session: Session) -> None:
        if self._stall_until_reconnect:
            self.unstall()
        self._sessions_event.set()

    async def _on_publish(self, _session: Session, topic: str, payload: bytes) -> None:
        if topic != self.request_topic:
            # A printer only listens on its own request topic.
            self.ignored_topics.append(topic)
            return
        self.received_raw.append(payload)
        try:
            request = json.loads(payload)
        except ValueError:
            return
        if not isinstance(request, dict):
            return
        self.received.append(request)
        self._received_event.set()
        if self.stalled:
            return
        for response in self.printer.handle(request):
            self._publish(response)

    def _publish(self, payload: dict[str, Any]) -> None:
        self.broker.publish(self.report_topic, json.dumps(payload).encode())

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if self.stalled:
                continue
            self.printer.tick()
            self._idle_ticks += 1
            force = self._idle_ticks >= IDLE_PUSH_EVERY
            if self.printer.job is not None or force:
                self._idle_ticks = 0
            report = self.printer.periodic_report(force=force)
            if report is not None and self.broker.sessions:
                self._publish(report)

    # ------------------------------------------------------------------ test controls

    async def push(self, payload: dict[str, Any]) -> None:
        """Publish exactly ``payload`` on the report topic."""
        self._publish(payload)
        await asyncio.sleep(0)

    async def push_raw(self, data: bytes) -> None:
        """Publish raw bytes (e.g. invalid JSON) on the report topic."""
        self.broker.publish(self.report_topic, data)
        await asyncio.sleep(0)

    async def push_oversized(self, size: int = 2 * 1024 * 1024) -> None:
        """Publish a JSON object of about ``size`` bytes."""
        filler = "x" * size
        await self.push_raw(
            json.dumps({"print": {"command": "push_status", "blob": filler}}).encode()
        )

    async def send_garbage(self, data: bytes = b"\xf0\x05garbage-not-mqtt") -> None:
        """Write bytes that are not MQTT to every client."""
        self.broker.send_raw(data)
        await asyncio.sleep(0)

    def push_full(self) -> None:
        """Publish the full status now (as after ``pushall``)."""
        self._publish(self.printer.full_report())

    async def drop(self) -> None:
        """Abort every client connection (like Wi-Fi loss); the printer stays reachable."""
        self._sessions_event.clear()
        self.broker.drop_all()
        await asyncio.sleep(0)

    async def go_offline(self) -> None:
        """Stop listening and drop clients (printer switched off)."""
        self._sessions_event.clear()
        await self.broker.close()

    async def go_online(self) -> None:
        """Listen again on the same port."""
        assert self._context is not None
        self.port = await self.broker.start(self.host, self.port, self._context)

    def stall(self, *, until_reconnect: bool = True, mqtt: bool = False) -> None:
        """Stop pushing and answering requests (MQTT keeps working unless ``mqtt``).

        With ``until_reconnect`` the printer recovers when a client connects again, which is
        what reconnecting does to a real printer that stopped pushing.
        """
        self.stalled = True
        self._stall_until_reconnect = until_reconnect
        self.broker.mqtt_stalled = mqtt

    def unstall(self) -> None:
        """Resume pushing and answering."""
        self.stalled = False
        self._stall_until_reconnect = False
        self.broker.mqtt_stalled = False

    async def change_certificate(self, *, common_name: str | None = None) -> str:
        """Present a certificate with a new key (optionally another name); return its pin."""
        assert self._context is not None
        loop = asyncio.get_running_loop()
        self.certificate = await loop.run_in_executor(
            None, make_certificate, common_name or self.serial
        )
        await loop.run_in_executor(None, load_into_context, self._context, self.certificate)
        for context in self._file_contexts:
            await loop.run_in_executor(None, load_into_context, context, self.certificate)
        return self.certificate.pin

    def set_interval(self, seconds: float) -> None:
        """Change the push interval (takes effect after the current sleep)."""
        self.interval = seconds

    def set_signed_commands_required(self, required: bool = True) -> None:
        """Simulate authorization firmware: unsigned print/system commands are refused."""
        self.printer.set_signed_commands_required(required)

    def reject_next(self, command: str, reason: str = "simulated rejection") -> None:
        """Make the next ``command`` request fail with ``reason``."""
        self.printer.reject_next(command, reason)

    def start_print(self, file: str = "benchy.3mf", **options: Any) -> PrintJob:
        """Start a scripted print (see :meth:`SimulatedPrinter.start_print`)."""
        return self.printer.start_print(file, **options)

    def pause(self) -> None:
        """Pause the print as if from the printer's screen."""
        self.printer.pause()

    def resume(self) -> None:
        """Resume the print."""
        self.printer.resume()

    def cancel(self) -> None:
        """Cancel the print (FAILED with print_error 50348044)."""
        self.printer.cancel()

    def fail(self, print_error: int | None = None, *, hms: bool = True) -> None:
        """Fail the print with an error code (and an HMS entry)."""
        if print_error is None:
            self.printer.fail(hms=hms)
        else:
            self.printer.fail(print_error, hms=hms)

    def finish(self) -> None:
        """Finish the print now."""
        self.printer.finish()

    def requests(self, command: str | None = None) -> list[dict[str, Any]]:
        """Return received requests, optionally only those with ``command``."""
        return [
            request
            for request in self.received
            if command is None
            or any(isinstance(b, dict) and b.get("command") == command for b in request.values())
        ]

    async def wait_for_request(self, command: str, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        """Wait until a request with ``command`` has been received; return the newest."""
        async with asyncio.timeout(timeout):
            while not (found := self.requests(command)):
                self._received_event.clear()
                await self._received_event.wait()
        return found[-1]

    async def wait_for_clients(self, count: int = 1, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until at least ``count`` MQTT clients are connected."""
        async with asyncio.timeout(timeout):
            while self.clients < count:
                self._sessions_event.clear()
                await self._sessions_event.wait()
