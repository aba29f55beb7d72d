"""A simulated P1/A1 chamber camera: JPEG frames over TLS on port 6000.

The client sends an 80-byte login (``0x40``, ``0x3000``, two zero words, then ``bblp`` and the
access code, each NUL-padded to 32 bytes); the printer then sends frames, each a 16-byte header
(little-endian JPEG length, 0, 1, 0) followed by the JPEG. A wrong login closes the connection.
Test controls: ``connections`` (logins accepted so far), ``active``, ``auth_failures``,
``interval``, :meth:`corrupt_next` (a frame that is not a JPEG), :meth:`drop` (cut clients).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import struct
from typing import Final

_LOGGER = logging.getLogger(__name__)

AUTH_SIZE: Final = 80


def make_frame(number: int) -> bytes:
    """Return a small JPEG-framed payload that names its frame number."""
    return b"\xff\xd8\xff\xe0" + f"frame-{number:06d}".encode() + b"\xff\xd9"


class ChamberCameraServer:
    """The port-6000 image stream of one simulated printer."""

    def __init__(
        self,
        access_code: str,
        context: ssl.SSLContext,
        host: str = "127.0.0.1",
        *,
        interval: float = 0.05,
    ) -> None:
        """Configure; :meth:`start` listens."""
        self.access_code = access_code
        self.context = context
        self.host = host
        self.port = 0
        self.interval = interval
        self.connections = 0
        self.active = 0
        self.auth_failures = 0
        self.frames_sent = 0
        self._corrupt_next = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, port: int = 0) -> int:
        """Listen; return the port."""
        self._server = await asyncio.start_server(
            self._client, self.host, port or self.port, ssl=self.context
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Stop listening and close every client."""
        if self._server is not None:
            self._server.close()
            self._server = None
        self.drop()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def drop(self) -> None:
        """Cut every client connection."""
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def corrupt_next(self) -> None:
        """Send one frame whose payload is not a JPEG."""
        self._corrupt_next = True

    def _login_ok(self, packet: bytes) -> bool:
        size, kind, _a, _b = struct.unpack_from("<IIII", packet)
        user = packet[16:48].rstrip(b"\0")
        code = packet[48:80].rstrip(b"\0")
        return (
            size == 0x40
            and kind == 0x3000
            and user == b"bblp"
            and code == self.access_code.encode()
        )

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            packet = await reader.readexactly(AUTH_SIZE)
            if not self._login_ok(packet):
                self.auth_failures += 1
                return
            self.connections += 1
            self.active += 1
            try:
                number = 0
                while True:
                    number += 1
                    frame = make_frame(number)
                    if self._corrupt_next:
                        self._corrupt_next = False
                        frame = b"not a jpeg at all"
                    writer.write(struct.pack("<IIII", len(frame), 0, 1, 0) + frame)
                    await writer.drain()
                    self.frames_sent += 1
                    await asyncio.sleep(self.interval)
            finally:
                self.active -= 1
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError) as err:
            _LOGGER.debug("camera client gone: %s", err)
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
