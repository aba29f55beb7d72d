"""Bambu Lab local MQTT client driven by the asyncio event loop.

One :class:`BambuClient` holds exactly one MQTT 3.1.1 connection to one printer (printers accept
only four or five local clients). paho-mqtt does the MQTT framing; the event loop does the I/O:

- The TCP connect and the TLS handshake block, so ``paho.Client.connect`` runs in the default
  executor. paho calls ``on_socket_open``/``on_socket_register_write`` from that thread; those
  callbacks hop to the loop with ``call_soon_threadsafe``.
- Afterwards the socket is non-blocking: the farm's shared :class:`.batch.ReadBatcher` (or
  ``loop.add_reader`` where the platform has no nestable selector) calls ``loop_read``,
  ``loop.add_writer`` (only while paho has queued data) calls ``loop_write`` and a timer on a
  grid shared by all printers calls ``loop_misc`` (keep-alive pings). No paho thread and no
  ``loop_forever``.
- The printer's key is checked inside the TLS handshake (see :mod:`.tls`) before paho queues the
  CONNECT packet that carries the access code.

Printer behaviour the client accounts for:

- After connecting we subscribe to ``device/<serial>/report``, ask for ``get_version`` and, at
  most once every five minutes (P1P firmware lags otherwise), for ``pushall``.
- Printers sometimes stop pushing while the TCP/MQTT session stays up. A watchdog publishes
  ``pushing.start`` after ``watchdog_timeout`` seconds of silence and reconnects when that does
  not help either.
- Commands are acknowledged on the report topic by an echo of the request (same namespace,
  command and ``sequence_id``) carrying ``result``/``reason``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
import json
import logging
import random
import ssl
import threading
import time
from typing import Any, Final, Self

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from custom_components.printernizer.printers.errors import (
    PrinterAuthError,
    PrinterClientError,
    PrinterCommandError,
    PrinterConnectionError,
    PrinterProtocolError,
    PrinterSignedCommandsError,
    PrinterTimeoutError,
    PrinterTlsError,
)
from custom_components.printernizer.printers.model import SpeedProfile, log_name

from . import commands
from .batch import ReadBatcher, next_tick
from .tls import BambuSSLContext, async_create_client_context

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORT: Final = 8883
USERNAME: Final = "bblp"
DEFAULT_KEEPALIVE: Final = 30
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
DEFAULT_COMMAND_TIMEOUT: Final = 10.0
DEFAULT_WATCHDOG_TIMEOUT: Final = 60.0
PUSHALL_MIN_INTERVAL: Final = 300.0
RECONNECT_MIN_DELAY: Final = 1.0
RECONNECT_MAX_DELAY: Final = 60.0
# A full H2D report with six AMS units is ~40 kB; anything near this is not a printer report.
MAX_PAYLOAD_BYTES: Final = 1024 * 1024
# Bound the work done per reader wake-up so a flooding peer cannot starve the event loop.
_MAX_READS_PER_WAKEUP: Final = 1000
# paho's housekeeping (keep-alive pings, timeouts) needs to run a few times per keep-alive period;
# more often only costs wake-ups, which add up over a farm of printers.
_MISC_INTERVAL_MAX: Final = 5.0
# Silence is checked this often at most; the watchdog's own periods are a minute.
_SUPERVISE_INTERVAL_MAX: Final = 10.0

# CONNACK reason codes (as paho maps MQTT 3.1.1 return codes 4 and 5) meaning "wrong access code".
_AUTH_FAILURE_NAMES: Final = frozenset({"Bad user name or password", "Not authorized"})

type MessageCallback = Callable[[dict[str, Any]], None]
type ConnectionCallback = Callable[[bool], None]
type ErrorCallback = Callable[[PrinterClientError], None]


@dataclass(slots=True)
class BambuClientStats:
    """Counters for diagnostics."""

    messages: int = 0
    """Report-topic messages received (decodable or not)."""
    bytes: int = 0
    decode_errors: int = 0
    connects: int = 0
    reconnects: int = 0
    """Connections re-established after a loss (the first connect is not counted)."""
    disconnects: int = 0
    watchdog_pokes: int = 0
    watchdog_reconnects: int = 0
    commands_sent: int = 0
    command_timeouts: int = 0
    command_rejections: int = 0
    pushall_sent: int = 0
    last_message_time: datetime | None = None
    last_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the counters as a JSON-friendly dict."""
        data = asdict(self)
        if self.last_message_time is not None:
            data["last_message_time"] = self.last_message_time.isoformat()
        return data


class BambuClient:
    """MQTT connection to one Bambu Lab printer."""

    def __init__(
        self,
        host: str,
        serial: str,
        access_code: str,
        *,
        port: int = DEFAULT_PORT,
        pin: str | None = None,
        verify: bool = True,
        on_message: MessageCallback | None = None,
        on_connection_change: ConnectionCallback | None = None,
        on_error: ErrorCallback | None = None,
        keepalive: int = DEFAULT_KEEPALIVE,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
        watchdog_timeout: float = DEFAULT_WATCHDOG_TIMEOUT,
        watchdog_grace: float | None = None,
        pushall_interval: float = PUSHALL_MIN_INTERVAL,
        reconnect_min_delay: float = RECONNECT_MIN_DELAY,
        reconnect_max_delay: float = RECONNECT_MAX_DELAY,
        client_id: str | None = None,
    ) -> None:
        """Configure the client; nothing connects until :meth:`connect` or :meth:`start`.

        ``pin`` is the stored SHA-256 public-key pin (see :mod:`.tls`); ``verify=False`` turns
        every certificate check off (MQTT proxies only). ``watchdog_grace`` is how long to wait
        after the ``pushing.start`` poke before reconnecting (default: ``watchdog_timeout``).
        """
        self.host = host
        self.serial = serial.strip().upper()
        self._log_name = log_name(self.serial)
        self.port = port
        self._access_code = access_code
        self._pin = pin
        self._verify = verify
        self.on_message = on_message
        self.on_connection_change = on_connection_change
        self.on_error = on_error
        self._keepalive = keepalive
        self._misc_interval = max(0.1, min(_MISC_INTERVAL_MAX, keepalive / 4))
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._watchdog_timeout = watchdog_timeout
        self._watchdog_grace = watchdog_grace if watchdog_grace is not None else watchdog_timeout
        self._pushall_interval = pushall_interval
        self._reconnect_min = reconnect_min_delay
        self._reconnect_max = max(reconnect_max_delay, reconnect_min_delay)
        self._client_id = client_id or f"printernizer-{random.getrandbits(32):08x}"
        self.report_topic: Final = f"device/{self.serial}/report"
        self.request_topic: Final = f"device/{self.serial}/request"
        self.stats = BambuClientStats()
        # Start at a random point so our ids do not collide with a slicer's on the same printer.
        self._sequence = commands.SequenceCounter(random.randint(10_000, 60_000))

        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._context: BambuSSLContext | None = None
        self._mqttc: mqtt.Client | None = None
        self._sock: Any = None
        self._batcher: ReadBatcher | None = None
        self._misc_handle: asyncio.TimerHandle | None = None
        self._connack: asyncio.Future[ReasonCode] | None = None
        self._suback: asyncio.Future[list[ReasonCode]] | None = None
        self._lost: asyncio.Event | None = None
        self._connected = False
        self._ever_connected = False
        self._pending: dict[tuple[str, str, str], asyncio.Future[dict[str, Any]]] = {}
        self._last_pushall: float | None = None
        self._last_message_monotonic: float | None = None
        self._decode_error_logged = False
        self._runner: asyncio.Task[None] | None = None
        self._stopping = False
        self._connect_lock: asyncio.Lock | None = None

    # ------------------------------------------------------------------ properties

    @property
    def connected(self) -> bool:
        """Return True while the MQTT session is up."""
        return self._connected

    @property
    def running(self) -> bool:
        """Return True while the managed reconnect loop runs."""
        return self._runner is not None and not self._runner.done()

    @property
    def pin(self) -> str | None:
        """Return the pin the client checks."""
        return self._pin

    @property
    def peer_pin(self) -> str | None:
        """Return the pin of the certificate seen on the last connection, if checked."""
        if self._context is not None and self._context.peer_info is not None:
            return self._context.peer_info.pin
        return None

    def diagnostics(self) -> dict[str, Any]:
        """Return counters and connection facts for HA diagnostics (no secrets)."""
        return {
            "host": self.host,
            "port": self.port,
            "connected": self._connected,
            "running": self.running,
            "tls_verify": self._verify,
            "pinned": self._pin is not None,
            "pending_commands": len(self._pending),
            **self.stats.as_dict(),
        }

    # ------------------------------------------------------------------ lifecycle

    async def connect(self) -> None:
        """Connect once; raise a typed error when that fails.

        PrinterAuthError: wrong access code. PinMismatchError/PrinterTlsError: certificate
        problems. PrinterTimeoutError/PrinterConnectionError: the printer cannot be reached.
        """
        self._bind_loop()
        async with self._lock:
            if self._connected:
                return
            await self._connect_once()

    async def start(self) -> None:
        """Run the managed loop: keep connected, reconnect with back-off, watch for silence."""
        self._bind_loop()
        if self.running:
            return
        self._stopping = False
        self._runner = self._event_loop.create_task(self._run(), name=f"bambu {self.serial} mqtt")

    async def stop(self) -> None:
        """Stop the managed loop and close the connection; leaves nothing behind."""
        self._stopping = True
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
            try:
                await runner
            except asyncio.CancelledError:
                if (task := asyncio.current_task()) is not None and task.cancelling():
                    raise
        await self._disconnect(graceful=True)

    async def __aenter__(self) -> Self:
        """Connect and start the managed loop."""
        await self.connect()
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        """Stop everything."""
        await self.stop()

    @property
    def _event_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("BambuClient has not been started")
        return self._loop

    @property
    def _lock(self) -> asyncio.Lock:
        if self._connect_lock is None:
            raise RuntimeError("BambuClient has not been started")
        return self._connect_lock

    @property
    def _lost_event(self) -> asyncio.Event:
        if self._lost is None:
            raise RuntimeError("BambuClient has not been started")
        return self._lost

    def _bind_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            self._loop_thread = threading.get_ident()
            self._lost = asyncio.Event()
            self._connect_lock = asyncio.Lock()
        elif self._loop is not loop:
            raise RuntimeError("BambuClient is bound to another event loop")

    async def _run(self) -> None:
        """Reconnect loop: connect, supervise until the connection is lost, back off, repeat."""
        attempt = 0
        while not self._stopping:
            if not self._connected:
                try:
                    async with self._lock:
                        if not self._connected:
                            await self._connect_once()
                except Exception as err:  # noqa: BLE001 - the loop must survive anything
                    if not isinstance(err, PrinterClientError):
                        # e.g. a RuntimeError from a socket guard; treat it as unreachable.
                        err = PrinterConnectionError(f"connection attempt failed: {err!r}")
                    self._report_error(err)
                    delay = self._backoff(attempt)
                    attempt += 1
                    _LOGGER.debug(
                        "%s: connection attempt %d failed (%s); retrying in %.1fs",
                        self.serial,
                        attempt,
                        err,
                        delay,
                    )
                    await asyncio.sleep(delay)
                    continue
            attempt = 0
            await self._supervise()

    def _backoff(self, attempt: int) -> float:
        """Return the delay before the next attempt: exponential, capped, with jitter."""
        ceiling = min(self._reconnect_max, self._reconnect_min * (2 ** min(attempt, 30)))
        return random.uniform(max(self._reconnect_min, ceiling / 2), ceiling)

    def _is_up(self) -> bool:
        return self._connected and not self._stopping

    async def _supervise(self) -> None:
        """Wait until the connection drops; poke and then drop a silent printer."""
        lost = self._lost_event
        poked_at: float | None = None
        interval = max(
            0.01,
            min(_SUPERVISE_INTERVAL_MAX, self._watchdog_timeout / 4, self._watchdog_grace / 4),
        )
        loop = self._event_loop
        while self._is_up():
            try:
                # On the shared grid, so a farm's checks wake the event loop together.
                async with asyncio.timeout_at(next_tick(loop.time(), interval)):
                    await lost.wait()
            except TimeoutError:
                pass
            if not self._is_up():
                break
            now = time.monotonic()
            last = self._last_message_monotonic or now
            if poked_at is not None and last > poked_at:
                poked_at = None
            if poked_at is None and now - last >= self._watchdog_timeout:
                _LOGGER.debug("%s: no report for %.0fs, asking to push", self._log_name, now - last)
                self.stats.watchdog_pokes += 1
                poked_at = now
                self._publish(commands.start_pushing(self._sequence.next()))
            elif poked_at is not None and now - poked_at >= self._watchdog_grace:
                _LOGGER.info("%s: printer stays silent; reconnecting", self._log_name)
                self.stats.watchdog_reconnects += 1
                await self._disconnect(graceful=True)
        self.stats.disconnects += 1

    def _report_error(self, err: PrinterClientError) -> None:
        self.stats.last_error = f"{type(err).__name__}: {err}"
        if self.on_error is not None:
            try:
                self.on_error(err)
            except Exception:
                _LOGGER.exception("%s: error in on_error callback", self._log_name)

    # ------------------------------------------------------------------ connecting

    async def _connect_once(self) -> None:
        loop = self._event_loop
        lost = self._lost_event
        if self._context is None:
            self._context = await async_create_client_context(
                self.serial, self._pin, verify=self._verify
            )
        lost.clear()
        self._connack = loop.create_future()
        mqttc = self._new_paho_client(self._context)
        self._mqttc = mqttc
        try:
            await loop.run_in_executor(None, self._blocking_connect, mqttc)
            async with asyncio.timeout(self._connect_timeout):
                reason = await self._connack
        except TimeoutError as err:
            # socket.timeout is TimeoutError: TCP connect or TLS handshake or CONNACK too slow.
            self._abort(mqttc)
            raise PrinterTimeoutError(
                f"no answer from {self.host}:{self.port} within {self._connect_timeout}s"
            ) from err
        except ssl.SSLError as err:
            self._abort(mqttc)
            raise PrinterTlsError(f"TLS with {self.host}:{self.port} failed: {err}") from err
        except OSError as err:
            self._abort(mqttc)
            raise PrinterConnectionError(f"cannot reach {self.host}:{self.port}: {err}") from err
        except BaseException:
            # PrinterTlsError/PinMismatchError from the handshake, cancellation, ...
            self._abort(mqttc)
            raise
        if reason.is_failure:
            self._abort(mqttc)
            if str(reason) in _AUTH_FAILURE_NAMES:
                raise PrinterAuthError(f"printer {self.serial} refused the access code")
            raise PrinterConnectionError(f"printer refused the MQTT connection: {reason}")
        await self._subscribe(mqttc)
        self._on_connected(mqttc)

    async def _subscribe(self, mqttc: mqtt.Client) -> None:
        """Subscribe to the report topic and wait for SUBACK, so no report is missed."""
        self._suback = self._event_loop.create_future()
        try:
            mqttc.subscribe(self.report_topic, qos=0)
            async with asyncio.timeout(self._connect_timeout):
                codes = await self._suback
        except TimeoutError as err:
            self._abort(mqttc)
            raise PrinterTimeoutError(
                f"printer {self.serial} did not confirm the subscription"
            ) from err
        except BaseException:
            self._abort(mqttc)
            raise
        finally:
            self._suback = None
        if any(code.is_failure for code in codes):
            self._abort(mqttc)
            raise PrinterProtocolError(
                f"printer refused a subscription to {self.report_topic}; wrong serial?"
            )

    def _new_paho_client(self, context: ssl.SSLContext) -> mqtt.Client:
        mqttc = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self._client_id,
            protocol=MQTTProtocolVersion.MQTTv311,
            clean_session=True,
        )
        mqttc.username_pw_set(USERNAME, self._access_code)
        # The context has check_hostname off; paho then leaves host names alone as well.
        mqttc.tls_set_context(context)
        mqttc.connect_timeout = self._connect_timeout
        mqttc.suppress_exceptions = True
        mqttc.on_socket_open = self._on_socket_open
        mqttc.on_socket_close = self._on_socket_close
        mqttc.on_socket_register_write = self._on_socket_register_write
        mqttc.on_socket_unregister_write = self._on_socket_unregister_write
        mqttc.on_connect = self._on_connect
        mqttc.on_message = self._on_message
        mqttc.on_subscribe = self._on_subscribe
        return mqttc

    def _blocking_connect(self, mqttc: mqtt.Client) -> None:
        """Open TCP + TLS and queue CONNECT (runs in the executor)."""
        # paho's handshake uses the keep-alive as socket timeout; bound it by ours.
        rc = mqttc.connect(self.host, self.port, keepalive=self._keepalive)
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:  # pragma: no cover - paho raises instead
            raise PrinterConnectionError(f"MQTT connect failed: {mqtt.error_string(rc)}")

    def _on_connected(self, mqttc: mqtt.Client) -> None:
        first = not self._ever_connected
        self._connected = True
        self._ever_connected = True
        self.stats.connects += 1
        if not first:
            self.stats.reconnects += 1
        self._last_message_monotonic = time.monotonic()
        _LOGGER.debug("%s: connected", self._log_name)
        self._publish(commands.get_version(self._sequence.next()))
        self.request_pushall()
        self._notify_connection(True)

    def request_pushall(self, *, force: bool = False) -> bool:
        """Ask for a full status object unless one was asked for in the last five minutes."""
        now = time.monotonic()
        if (
            not force
            and self._last_pushall is not None
            and now - self._last_pushall < self._pushall_interval
        ):
            return False
        if not self._publish(commands.pushall(self._sequence.next())):
            return False
        self._last_pushall = now
        self.stats.pushall_sent += 1
        return True

    def _abort(self, mqttc: mqtt.Client) -> None:
        """Tear down a connection attempt that did not reach CONNACK success."""
        connack, self._connack = self._connack, None
        if connack is not None and not connack.done():
            connack.cancel()
        if self._mqttc is mqttc:
            self._mqttc = None
        self._close_socket(mqttc)

    async def _disconnect(self, *, graceful: bool) -> None:
        """Close the current connection (sending DISCONNECT when possible)."""
        mqttc = self._mqttc
        if mqttc is None:
            self._set_disconnected()
            return
        if graceful and self._connected and self._sock is not None:
            mqttc.disconnect()
            # Flush DISCONNECT right away; paho closes the socket once it is written.
            mqttc.loop_write()
        self._close_socket(mqttc)
        self._mqttc = None
        self._set_disconnected()

    def _close_socket(self, mqttc: mqtt.Client) -> None:
        sock = mqttc.socket()
        if sock is None:
            return
        self._forget_socket(sock)
        with contextlib.suppress(OSError):
            sock.close()

    # ------------------------------------------------------------------ paho socket callbacks

    def _in_loop(self, func: Callable[..., None], *args: Any) -> None:
        """Run ``func`` on the event loop thread (paho calls some callbacks from the executor)."""
        if threading.get_ident() == self._loop_thread:
            func(*args)
        else:
            self._event_loop.call_soon_threadsafe(func, *args)

    def _on_socket_open(self, client: mqtt.Client, _userdata: Any, sock: Any) -> None:
        self._in_loop(self._register_socket, client, sock)

    def _register_socket(self, client: mqtt.Client, sock: Any) -> None:
        loop = self._event_loop
        if sock.fileno() < 0:
            return
        if client is not self._mqttc:
            # The attempt was abandoned (timeout/cancel) while the executor was connecting.
            sock.close()
            return
        self._sock = sock
        self._batcher = ReadBatcher.for_loop(loop)
        if self._batcher is not None:
            self._batcher.add(sock, partial(self._read_ready, client))
        else:
            loop.add_reader(sock, self._read_ready, client)
        if self._misc_handle is None:
            self._schedule_misc(client)

    def _on_socket_close(self, client: mqtt.Client, _userdata: Any, sock: Any) -> None:
        self._in_loop(self._socket_closed, client, sock)

    def _socket_closed(self, client: mqtt.Client, sock: Any) -> None:
        self._forget_socket(sock)
        if client is self._mqttc:
            self._mqttc = None
            self._set_disconnected()

    def _forget_socket(self, sock: Any) -> None:
        loop = self._event_loop
        if sock is self._sock:
            self._sock = None
            if self._misc_handle is not None:
                self._misc_handle.cancel()
                self._misc_handle = None
        if self._batcher is not None:
            self._batcher.remove(sock)
        if sock.fileno() >= 0:
            loop.remove_reader(sock)
            loop.remove_writer(sock)
        for future in (self._connack, self._suback):
            if future is not None and not future.done():
                future.set_exception(
                    PrinterConnectionError("the printer closed the connection while connecting")
                )

    def _on_socket_register_write(self, client: mqtt.Client, _userdata: Any, sock: Any) -> None:
        self._in_loop(self._register_write, client, sock)

    def _register_write(self, client: mqtt.Client, sock: Any) -> None:
        if client is self._mqttc and sock.fileno() >= 0:
            self._event_loop.add_writer(sock, self._write_ready, client)

    def _on_socket_unregister_write(self, client: mqtt.Client, _userdata: Any, sock: Any) -> None:
        self._in_loop(self._unregister_write, sock)

    def _unregister_write(self, sock: Any) -> None:
        if sock.fileno() >= 0:
            self._event_loop.remove_writer(sock)

    def _read_ready(self, client: mqtt.Client) -> None:
        for _ in range(_MAX_READS_PER_WAKEUP):
            if client.loop_read() != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return
            # TLS may hold further records in its buffer while the fd is not readable.
            sock = client.socket()
            if not isinstance(sock, ssl.SSLSocket) or sock.fileno() < 0 or not sock.pending():
                return

    def _write_ready(self, client: mqtt.Client) -> None:
        client.loop_write()

    def _misc(self, client: mqtt.Client) -> None:
        self._misc_handle = None
        if client is not self._mqttc:
            return
        if client.loop_misc() == MQTTErrorCode.MQTT_ERR_SUCCESS and client is self._mqttc:
            self._schedule_misc(client)

    def _schedule_misc(self, client: mqtt.Client) -> None:
        # On a shared grid: the keepalive checks of a whole farm run in one loop iteration.
        loop = self._event_loop
        when = next_tick(loop.time(), self._misc_interval)
        self._misc_handle = loop.call_at(when, self._misc, client)

    # ------------------------------------------------------------------ MQTT callbacks

    def _on_connect(
        self,
        client: mqtt.Client,
        _userdata: Any,
        _flags: Any,
        reason: ReasonCode,
        _properties: Any,
    ) -> None:
        if client is self._mqttc and self._connack is not None and not self._connack.done():
            self._connack.set_result(reason)

    def _on_subscribe(
        self,
        client: mqtt.Client,
        _userdata: Any,
        _mid: int,
        codes: list[ReasonCode],
        _properties: Any,
    ) -> None:
        if client is self._mqttc and self._suback is not None and not self._suback.done():
            self._suback.set_result(codes)

    def _on_message(self, client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        if client is not self._mqttc or message.topic != self.report_topic:
            return
        raw = message.payload
        self.stats.messages += 1
        self.stats.bytes += len(raw)
        self._last_message_monotonic = time.monotonic()
        self.stats.last_message_time = datetime.now(UTC)
        payload = self._decode(raw)
        if payload is None:
            return
        self._resolve_ack(payload)
        if self.on_message is not None:
            try:
                self.on_message(payload)
            except Exception:
                _LOGGER.exception("%s: error in on_message callback", self._log_name)

    def _decode(self, raw: bytes) -> dict[str, Any] | None:
        error: str | None = None
        payload: Any = None
        if len(raw) > MAX_PAYLOAD_BYTES:
            error = f"payload of {len(raw)} bytes exceeds {MAX_PAYLOAD_BYTES}"
        else:
            try:
                payload = json.loads(raw)
            except ValueError as err:
                error = f"invalid JSON: {err}"
            else:
                if not isinstance(payload, dict):
                    error = f"JSON {type(payload).__name__} instead of an object"
        if error is None:
            return payload  # type: ignore[no-any-return]
        self.stats.decode_errors += 1
        if not self._decode_error_logged:
            # Firmware has been seen to send truncated reports; log once, count the rest.
            self._decode_error_logged = True
            _LOGGER.debug(
                "%s: ignoring undecodable report (%s): %.200r", self._log_name, error, raw
            )
        return None

    def _resolve_ack(self, payload: dict[str, Any]) -> None:
        key = commands.command_key(payload)
        if key is None or (future := self._pending.get(key)) is None or future.done():
            return
        future.set_result(payload)

    def _set_disconnected(self) -> None:
        was_connected = self._connected
        self._connected = False
        if self._lost is not None:
            self._lost.set()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(PrinterConnectionError("connection to the printer lost"))
        if was_connected:
            _LOGGER.debug("%s: disconnected", self._log_name)
            self._notify_connection(False)

    def _notify_connection(self, connected: bool) -> None:
        if self.on_connection_change is None:
            return
        try:
            self.on_connection_change(connected)
        except Exception:
            _LOGGER.exception("%s: error in on_connection_change callback", self._log_name)

    # ------------------------------------------------------------------ publishing

    def _publish(self, payload: dict[str, Any], qos: int = 0) -> bool:
        mqttc = self._mqttc
        if mqttc is None or not self._connected:
            return False
        info = mqttc.publish(self.request_topic, json.dumps(payload, separators=(",", ":")), qos)
        return info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS

    def publish(self, payload: dict[str, Any], *, qos: int = 0) -> None:
        """Publish a request without waiting for an acknowledgement."""
        if not self._publish(payload, qos):
            raise PrinterConnectionError(f"printer {self.serial} is not connected")

    async def command(
        self,
        payload: dict[str, Any],
        *,
        qos: int = 1,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """Publish a request and wait for the printer's echo; return the echoed body's payload.

        The request gets this client's next ``sequence_id``. A ``result`` other than
        ``success`` raises :class:`PrinterCommandError` (``reason`` attached); no echo in time
        raises :class:`PrinterTimeoutError`; a lost connection :class:`PrinterConnectionError`.
        """
        if len(payload) != 1:
            raise ValueError("a request has exactly one namespace key")
        namespace, body = next(iter(payload.items()))
        if not isinstance(body, dict) or not isinstance(body.get("command"), str):
            raise TypeError("a request body needs a command")
        request = {namespace: {**body, "sequence_id": self._sequence.next()}}
        key = commands.command_key(request)
        if key is None:  # pragma: no cover - the request was built with both
            raise ValueError("request without command or sequence id")
        if not self._connected:
            raise PrinterConnectionError(f"printer {self.serial} is not connected")
        future: asyncio.Future[dict[str, Any]] = self._event_loop.create_future()
        self._pending[key] = future
        try:
            if not self._publish(request, qos):
                raise PrinterConnectionError(f"printer {self.serial} is not connected")
            self.stats.commands_sent += 1
            try:
                async with asyncio.timeout(
                    timeout if timeout is not None else self._command_timeout
                ):
                    reply = await future
            except TimeoutError as err:
                self.stats.command_timeouts += 1
                raise PrinterTimeoutError(
                    f"printer {self.serial} did not acknowledge {key[0]}.{key[1]}"
                ) from err
        finally:
            self._pending.pop(key, None)
        reply_body = reply[namespace]
        result = reply_body.get("result")
        if result is None or str(result).lower() == "success":
            return reply
        self.stats.command_rejections += 1
        reason = reply_body.get("reason")
        reason_text = str(reason) if reason is not None else None
        message = f"printer rejected {namespace}.{key[1]}: {reason_text or result}"
        if reason_text is not None and "verify failed" in reason_text.lower():
            # Authorization firmware refuses unsigned LAN commands with this reason.
            raise PrinterSignedCommandsError(message, reason=reason_text)
        raise PrinterCommandError(message, reason=reason_text)

    # ------------------------------------------------------------------ conveniences

    async def pause(self) -> dict[str, Any]:
        """Pause the current print."""
        return await self.command(commands.pause())

    async def resume(self) -> dict[str, Any]:
        """Resume a paused print."""
        return await self.command(commands.resume())

    async def stop_print(self) -> dict[str, Any]:
        """Cancel the current print (named so it does not clash with :meth:`stop`)."""
        return await self.command(commands.stop())

    async def set_speed_profile(self, profile: SpeedProfile | int) -> dict[str, Any]:
        """Set silent/standard/sport/ludicrous."""
        return await self.command(commands.print_speed(profile))

    async def set_light(
        self, on: bool, node: commands.LightNode = "chamber_light"
    ) -> dict[str, Any]:
        """Switch a light on or off."""
        return await self.command(commands.ledctrl(node, "on" if on else "off"))

    async def send_gcode(self, gcode: str | list[str]) -> dict[str, Any]:
        """Run raw G-code."""
        return await self.command(commands.gcode_line(gcode))

    async def set_nozzle_temperature(self, celsius: float) -> dict[str, Any]:
        """Set the nozzle target temperature."""
        return await self.command(commands.set_nozzle_temperature(celsius))

    async def set_bed_temperature(self, celsius: float) -> dict[str, Any]:
        """Set the bed target temperature."""
        return await self.command(commands.set_bed_temperature(celsius))

    async def start_print(self, file: str, **options: Any) -> dict[str, Any]:
        """Start printing a file on the printer; options as :func:`.commands.project_file`."""
        return await self.command(commands.project_file(file, **options))
