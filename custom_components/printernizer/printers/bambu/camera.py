"""The chamber camera of Bambu Lab P1/A1/A2L printers: JPEG frames over TLS on port 6000.

Protocol (no Home Assistant here): after the TLS handshake the client sends an 80-byte login:
four little-endian 32-bit words ``0x40`` (payload size), ``0x3000`` (type), 0, 0, then the user
``bblp`` and the access code, each NUL-padded to 32 bytes. The printer answers with a stream of
frames, each a 16-byte header whose first little-endian word is the JPEG size, then the JPEG
(``FF D8`` … ``FF D9``), about one to two frames a second. A wrong access code closes the
connection.

The printer allows very few camera clients, so :class:`ChamberCamera` keeps **one** upstream
connection, shared by everyone who asks for a picture, opened on demand and closed after a while
without viewers. The certificate is checked against the same pin as MQTT and FTPS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import struct
from typing import Final

from ..errors import (
    PrinterClientError,
    PrinterConnectionError,
    PrinterProtocolError,
    PrinterTimeoutError,
    PrinterTlsError,
)
from .tls import BambuSSLContext, async_create_client_context, verify_certificate

_LOGGER = logging.getLogger(__name__)

DEFAULT_CAMERA_PORT: Final = 6000
USERNAME: Final = "bblp"
HEADER_SIZE: Final = 16
MAX_FRAME: Final = 4 * 1024 * 1024
DEFAULT_IDLE_TIMEOUT: Final = 30.0
DEFAULT_FRAME_TIMEOUT: Final = 10.0
# After a failed connection, requests within this time get the same error without a new attempt.
RETRY_AFTER: Final = 5.0
JPEG_START: Final = b"\xff\xd8"
JPEG_END: Final = b"\xff\xd9"


def auth_packet(access_code: str, username: str = USERNAME) -> bytes:
    """Return the 80-byte login of the image stream."""
    user = username.encode()
    code = access_code.encode()
    if len(user) > 32 or len(code) > 32:
        raise ValueError("user name and access code are at most 32 bytes")
    return struct.pack("<IIII", 0x40, 0x3000, 0, 0) + user.ljust(32, b"\0") + code.ljust(32, b"\0")


def frame_size(header: bytes) -> int:
    """Return the JPEG size announced by a frame header."""
    if len(header) != HEADER_SIZE:
        raise PrinterProtocolError("short camera frame header")
    size: int = struct.unpack_from("<I", header)[0]
    if size == 0 or size > MAX_FRAME:
        raise PrinterProtocolError(f"implausible camera frame size {size}")
    return size


class ChamberCamera:
    """One shared upstream connection to a printer's port-6000 image stream."""

    def __init__(
        self,
        host: str,
        serial: str,
        access_code: str,
        *,
        port: int = DEFAULT_CAMERA_PORT,
        pin: str | None = None,
        verify: bool = True,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        frame_timeout: float = DEFAULT_FRAME_TIMEOUT,
    ) -> None:
        """Prepare; nothing connects until a picture is asked for."""
        self.host = host
        self.port = port
        self.serial = serial
        self._access_code = access_code
        self._pin = pin
        self._verify = verify
        self._idle_timeout = idle_timeout
        self._frame_timeout = frame_timeout
        self._context: BambuSSLContext | None = None
        self._task: asyncio.Task[None] | None = None
        self._running = False
        self._waiters: list[asyncio.Future[bytes]] = []
        self._frame: bytes | None = None
        self._frame_time = 0.0
        self._last_use = 0.0
        self._last_error: PrinterClientError | None = None
        self._error_time = 0.0
        self.connections = 0
        """Upstream connections opened so far."""
        self.frames = 0
        """Frames received so far."""

    @property
    def streaming(self) -> bool:
        """Return whether the upstream connection is open (or opening)."""
        return self._running

    @property
    def last_frame(self) -> bytes | None:
        """Return the newest frame, however old."""
        return self._frame

    async def get_frame(self, *, max_age: float = 1.0) -> bytes:
        """Return a frame no older than ``max_age`` seconds, connecting when needed.

        Raises :class:`PrinterTimeoutError` when no frame arrives in time,
        :class:`PrinterConnectionError` (or a subclass such as a pin mismatch) when the stream
        cannot be opened.
        """
        loop = asyncio.get_running_loop()
        now = loop.time()
        self._last_use = now
        if self._frame is not None and now - self._frame_time <= max_age and self.streaming:
            return self._frame
        if not self.streaming:
            if self._last_error is not None and now - self._error_time < RETRY_AFTER:
                raise self._last_error
            self._running = True
            self._task = loop.create_task(self._run(), name=f"bambu camera {self.serial}")
        future: asyncio.Future[bytes] = loop.create_future()
        self._waiters.append(future)
        try:
            async with asyncio.timeout(self._frame_timeout):
                return await future
        except TimeoutError as err:
            raise PrinterTimeoutError(f"no camera frame from {self.host} in time") from err
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(future)

    async def close(self) -> None:
        """Close the upstream connection."""
        task, self._task = self._task, None
        self._running = False
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._fail_waiters(PrinterConnectionError("camera closed"))

    # ------------------------------------------------------------------ upstream

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._context is None:
            self._context = await async_create_client_context(
                self.serial, self._pin, verify=self._verify
            )
        context = self._context
        try:
            async with asyncio.timeout(self._frame_timeout):
                reader, writer = await asyncio.open_connection(
                    self.host, self.port, ssl=context, server_hostname=self.host
                )
        except TimeoutError as err:
            raise PrinterTimeoutError(f"camera {self.host}:{self.port} did not answer") from err
        except ssl.SSLError as err:
            raise PrinterTlsError(f"camera TLS handshake failed: {err}") from err
        except OSError as err:
            raise PrinterConnectionError(
                f"cannot reach camera {self.host}:{self.port}: {err}"
            ) from err
        try:
            if context.verify_peer:
                # asyncio's TLS does not use the pinned socket class: check the key here,
                # before the access code is sent.
                ssl_object = writer.get_extra_info("ssl_object")
                der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
                verify_certificate(der, serial=context.expected_serial, pin=context.expected_pin)
            writer.write(auth_packet(self._access_code))
            await writer.drain()
        except BaseException:
            writer.close()
            raise
        self.connections += 1
        return reader, writer

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        writer: asyncio.StreamWriter | None = None
        received = 0
        graceful = False
        try:
            reader, writer = await self._connect()
            while True:
                header = await reader.readexactly(HEADER_SIZE)
                payload = await reader.readexactly(frame_size(header))
                if not payload.startswith(JPEG_START) or not payload.endswith(JPEG_END):
                    raise PrinterProtocolError("camera frame is not a JPEG picture")
                received += 1
                self.frames += 1
                now = loop.time()
                self._frame = payload
                self._frame_time = now
                self._last_error = None
                for future in self._waiters:
                    if not future.done():
                        future.set_result(payload)
                if now - self._last_use > self._idle_timeout and not self._waiters:
                    _LOGGER.debug("camera of %s idle; closing the stream", self.serial)
                    graceful = True
                    return
        except asyncio.IncompleteReadError as err:
            message = (
                "printer closed the camera connection before the first picture (wrong access code?)"
                if received == 0
                else "printer closed the camera connection"
            )
            self._set_error(PrinterConnectionError(message), err)
        except PrinterClientError as err:
            self._set_error(err, err)
        except (OSError, ssl.SSLError) as err:
            self._set_error(PrinterConnectionError(f"camera connection lost: {err}"), err)
        finally:
            # New requests start a new connection from here on.
            self._running = False
            if writer is not None and graceful:
                writer.close()
                with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
                    async with asyncio.timeout(2):
                        await writer.wait_closed()
            elif writer is not None:
                writer.transport.abort()

    def _set_error(self, error: PrinterClientError, cause: BaseException) -> None:
        _LOGGER.debug("camera of %s: %s", self.serial, cause)
        self._last_error = error
        self._error_time = asyncio.get_running_loop().time()
        self._fail_waiters(error)

    def _fail_waiters(self, error: PrinterClientError) -> None:
        for future in self._waiters:
            if not future.done():
                future.set_exception(error)
