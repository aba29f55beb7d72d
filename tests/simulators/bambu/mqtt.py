"""A small MQTT 3.1.1 broker over TLS on asyncio streams, shaped like a Bambu printer's.

It implements what a printer's broker does for LAN clients: CONNECT/CONNACK (user ``bblp``,
password = access code, return code 5 "not authorised" otherwise, 3 "server unavailable" when
too many clients are connected), SUBSCRIBE/SUBACK (only the printer's report topic),
UNSUBSCRIBE/UNSUBACK, PUBLISH QoS 0/1 with PUBACK, PINGREQ/PINGRESP, DISCONNECT. Reports go out
with QoS 0, as printers send them. Packets of other types or malformed packets end the session.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
import logging
import ssl
import struct
from typing import Final

_LOGGER = logging.getLogger(__name__)

CONNECT: Final = 0x10
CONNACK: Final = 0x20
PUBLISH: Final = 0x30
PUBACK: Final = 0x40
SUBSCRIBE: Final = 0x80
SUBACK: Final = 0x90
UNSUBSCRIBE: Final = 0xA0
UNSUBACK: Final = 0xB0
PINGREQ: Final = 0xC0
PINGRESP: Final = 0xD0
DISCONNECT: Final = 0xE0

CONNACK_ACCEPTED: Final = 0
CONNACK_BAD_PROTOCOL: Final = 1
CONNACK_SERVER_UNAVAILABLE: Final = 3
CONNACK_NOT_AUTHORISED: Final = 5
SUBACK_FAILURE: Final = 0x80

MAX_PACKET: Final = 4 * 1024 * 1024
CONNECT_TIMEOUT: Final = 10.0


class MqttProtocolError(Exception):
    """The peer sent something that is not MQTT 3.1.1."""


def encode_length(length: int) -> bytes:
    """Encode the MQTT remaining-length varint."""
    out = bytearray()
    while True:
        byte, length = length % 128, length // 128
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def encode_packet(first_byte: int, body: bytes) -> bytes:
    """Frame a packet."""
    return bytes([first_byte]) + encode_length(len(body)) + body


def encode_string(value: str | bytes) -> bytes:
    """Encode a length-prefixed UTF-8 string."""
    data = value.encode() if isinstance(value, str) else value
    return struct.pack("!H", len(data)) + data


def encode_publish(topic: str, payload: bytes, *, qos: int = 0, packet_id: int = 0) -> bytes:
    """Build a PUBLISH packet."""
    body = encode_string(topic)
    if qos:
        body += struct.pack("!H", packet_id)
    return encode_packet(PUBLISH | (qos << 1), body + payload)


class _Buffer:
    """Cursor over a packet body."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise MqttProtocolError("packet too short")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        value: int = struct.unpack("!H", self.take(2))[0]
        return value

    def binary(self) -> bytes:
        return self.take(self.u16())

    def string(self) -> str:
        try:
            return self.binary().decode()
        except UnicodeDecodeError as err:
            raise MqttProtocolError("invalid UTF-8") from err

    def rest(self) -> bytes:
        chunk = self.data[self.pos :]
        self.pos = len(self.data)
        return chunk

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos


async def read_packet(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Read one packet; return (first byte, body)."""
    first = (await reader.readexactly(1))[0]
    length = 0
    multiplier = 1
    for _ in range(4):
        byte = (await reader.readexactly(1))[0]
        length += (byte & 0x7F) * multiplier
        if not byte & 0x80:
            break
        multiplier *= 128
    else:
        raise MqttProtocolError("malformed remaining length")
    if length > MAX_PACKET:
        raise MqttProtocolError(f"packet of {length} bytes is too large")
    return first, await reader.readexactly(length)


def topic_matches(topic_filter: str, topic: str) -> bool:
    """Return True when ``topic`` matches the MQTT filter (``+`` and ``#`` wildcards)."""
    filter_parts = topic_filter.split("/")
    topic_parts = topic.split("/")
    for index, part in enumerate(filter_parts):
        if part == "#":
            return True
        if index >= len(topic_parts) or (part not in ("+", topic_parts[index])):
            return False
    return len(filter_parts) == len(topic_parts)


@dataclass(eq=False)
class Session:
    """One connected MQTT client."""

    writer: asyncio.StreamWriter
    client_id: str = ""
    keepalive: int = 0
    subscriptions: set[str] = field(default_factory=set)
    closed: bool = False

    def send(self, data: bytes) -> None:
        """Queue bytes for the client (never blocks the broker)."""
        if not self.closed and not self.writer.is_closing():
            self.writer.write(data)

    def abort(self) -> None:
        """Drop the TCP connection without an MQTT goodbye."""
        self.closed = True
        transport = self.writer.transport
        transport.abort()


type RequestHandler = Callable[[Session, str, bytes], Awaitable[None]]


class MqttBroker:
    """The broker; the printer model is plugged in through ``on_publish``."""

    def __init__(
        self,
        *,
        access_code: str,
        allowed_topic: str,
        on_publish: RequestHandler,
        max_clients: int = 4,
        username: str = "bblp",
    ) -> None:
        """Configure credentials, the one topic clients may subscribe to, and the client cap."""
        self.access_code = access_code
        self.username = username
        self.allowed_topic = allowed_topic
        self.on_publish = on_publish
        self.max_clients = max_clients
        self.sessions: list[Session] = []
        self.connect_attempts = 0
        self.auth_failures = 0
        self.refused_busy = 0
        # Fault switches (see BambuSimulator): ignore PINGREQ/QoS 1 acks when the MQTT layer stalls.
        self.mqtt_stalled = False
        self.on_session_start: Callable[[Session], None] | None = None
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int, context: ssl.SSLContext) -> int:
        """Listen; return the port (useful with port 0)."""
        self._server = await asyncio.start_server(self._accept, host, port, ssl=context)
        sockets = self._server.sockets
        bound: int = sockets[0].getsockname()[1]
        return bound

    async def close(self) -> None:
        """Stop listening and drop every client."""
        if self._server is not None:
            self._server.close()
        self.drop_all()
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def drop_all(self) -> None:
        """Abort every client connection."""
        for session in list(self.sessions):
            session.abort()

    def publish(self, topic: str, payload: bytes) -> int:
        """Send a QoS 0 PUBLISH to every subscribed client; return how many got it."""
        packet = encode_publish(topic, payload)
        count = 0
        for session in self.sessions:
            if any(topic_matches(flt, topic) for flt in session.subscriptions):
                session.send(packet)
                count += 1
        return count

    def send_raw(self, data: bytes) -> None:
        """Write raw bytes to every connected client (breaks their MQTT framing)."""
        for session in self.sessions:
            session.send(data)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        session = Session(writer)
        try:
            await self._serve(reader, session)
        except (
            asyncio.IncompleteReadError,
            ConnectionError,
            TimeoutError,
            MqttProtocolError,
            ssl.SSLError,
            OSError,
        ) as err:
            _LOGGER.debug("simulator session ended: %r", err)
        finally:
            session.closed = True
            if session in self.sessions:
                self.sessions.remove(session)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            if task is not None:
                self._handlers.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, session: Session) -> None:
        async with asyncio.timeout(CONNECT_TIMEOUT):
            first, body = await read_packet(reader)
        if first != CONNECT:
            raise MqttProtocolError("first packet is not CONNECT")
        self.connect_attempts += 1
        return_code = self._check_connect(session, _Buffer(body))
        session.send(encode_packet(CONNACK, bytes([0, return_code])))
        if return_code != CONNACK_ACCEPTED:
            await session.writer.drain()
            return
        self.sessions.append(session)
        if self.on_session_start is not None:
            self.on_session_start(session)
        while not session.closed:
            timeout = session.keepalive * 1.5 if session.keepalive else None
            async with asyncio.timeout(timeout):
                first, body = await read_packet(reader)
            if not await self._handle(session, first, _Buffer(body)):
                return

    def _check_connect(self, session: Session, buf: _Buffer) -> int:
        protocol = buf.string()
        level = buf.u8()
        if protocol != "MQTT" or level != 4:
            return CONNACK_BAD_PROTOCOL
        flags = buf.u8()
        session.keepalive = buf.u16()
        session.client_id = buf.string()
        if flags & 0x04:  # will flag: topic + message
            buf.string()
            buf.binary()
        username = buf.string() if flags & 0x80 else None
        password = buf.binary().decode(errors="replace") if flags & 0x40 else None
        if username != self.username or password != self.access_code:
            self.auth_failures += 1
            return CONNACK_NOT_AUTHORISED
        if len(self.sessions) >= self.max_clients:
            # Printers take only a handful of LAN clients; further ones are turned away.
            self.refused_busy += 1
            return CONNACK_SERVER_UNAVAILABLE
        return CONNACK_ACCEPTED

    async def _handle(self, session: Session, first: int, buf: _Buffer) -> bool:
        kind = first & 0xF0
        if kind == PUBLISH:
            qos = (first >> 1) & 0x03
            topic = buf.string()
            if qos > 1:
                raise MqttProtocolError("QoS 2 is not supported")
            packet_id = buf.u16() if qos else 0
            payload = buf.rest()
            if qos and not self.mqtt_stalled:
                session.send(encode_packet(PUBACK, struct.pack("!H", packet_id)))
            await self.on_publish(session, topic, payload)
        elif kind == SUBSCRIBE:
            packet_id = buf.u16()
            codes = bytearray()
            while buf.remaining:
                topic_filter = buf.string()
                requested = buf.u8() & 0x03
                if topic_matches(topic_filter, self.allowed_topic):
                    session.subscriptions.add(topic_filter)
                    codes.append(min(requested, 1))
                else:
                    codes.append(SUBACK_FAILURE)
            session.send(encode_packet(SUBACK, struct.pack("!H", packet_id) + bytes(codes)))
        elif kind == UNSUBSCRIBE:
            packet_id = buf.u16()
            while buf.remaining:
                session.subscriptions.discard(buf.string())
            session.send(encode_packet(UNSUBACK, struct.pack("!H", packet_id)))
        elif kind == PINGREQ:
            if not self.mqtt_stalled:
                session.send(encode_packet(PINGRESP, b""))
        elif kind == DISCONNECT:
            return False
        elif kind == PUBACK:
            pass
        else:
            raise MqttProtocolError(f"unexpected packet type {kind:#x}")
        return True
