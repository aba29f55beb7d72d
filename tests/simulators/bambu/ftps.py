"""A simulated Bambu printer FTP server: implicit TLS, passive mode, protected data channels.

Like a printer it speaks TLS from the first byte (no ``AUTH TLS``), accepts user ``bblp`` with
the access code, and refuses a data connection that does not resume the control connection's TLS
session (``522``), which is what printers do. Files live in memory (``files``: absolute path →
bytes). Test controls: ``storage_present`` (no SD card: every file command fails with 550),
:meth:`fail_next` (answer a command with an error), :meth:`abort_next_transfer` (cut the data
connection half-way), ``transfer_delay`` (slow transfers), ``commands`` (what clients sent),
``data_sessions_reused`` (one entry per data connection).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import logging
import posixpath
import ssl
from typing import Final

_LOGGER = logging.getLogger(__name__)

FOLDERS: Final = ("/", "/cache", "/model", "/timelapse")
_CHUNK: Final = 16 * 1024
_DATA_WAIT: Final = 5.0


@dataclass(slots=True)
class StoredFile:
    """A file on the simulated SD card."""

    data: bytes
    modified: datetime


class FtpsServer:
    """Implicit-FTPS server of one simulated printer."""

    def __init__(self, access_code: str, context: ssl.SSLContext, host: str = "127.0.0.1") -> None:
        """Configure; :meth:`start` listens."""
        self.access_code = access_code
        self.context = context
        self.host = host
        self.port = 0
        self.files: dict[str, StoredFile] = {}
        self.folders: set[str] = set(FOLDERS)
        self.storage_present = True
        self.require_session_reuse = True
        self.transfer_delay = 0.0
        self.commands: list[str] = []
        self.data_sessions_reused: list[bool] = []
        self.logins = 0
        self.active = 0
        self.max_active = 0
        self._failures: dict[str, str] = {}
        self._abort_next = False
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ lifecycle

    async def start(self, port: int = 0) -> int:
        """Listen (``port=0`` picks a free port); return the port."""
        self._server = await asyncio.start_server(
            self._session, self.host, port or self.port, ssl=self.context
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Stop listening and drop sessions."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # ------------------------------------------------------------------ test controls

    def put(self, path: str, data: bytes, modified: datetime | None = None) -> None:
        """Place a file on the card."""
        self.files[path] = StoredFile(data, modified or datetime.now(UTC))
        self.folders.add(posixpath.dirname(path) or "/")

    def fail_next(self, command: str, reply: str = "451 Requested action aborted") -> None:
        """Answer the next ``command`` (e.g. ``RETR``) with ``reply``."""
        self._failures[command.upper()] = reply

    def abort_next_transfer(self) -> None:
        """Cut the next data connection after half of the data."""
        self._abort_next = True

    # ------------------------------------------------------------------ protocol

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        state = _Session()

        async def reply(text: str) -> None:
            writer.write(text.encode() + b"\r\n")
            await writer.drain()

        try:
            await reply("220 Bambu Lab FTP server ready")
            while line := await reader.readline():
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                command, _, argument = text.partition(" ")
                command = command.upper()
                self.commands.append(text if command != "PASS" else "PASS ****")
                if command in self._failures:
                    await reply(self._failures.pop(command))
                    continue
                if command == "QUIT":
                    await reply("221 Goodbye")
                    break
                await self._handle(command, argument, state, reply)
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError) as err:
            _LOGGER.debug("ftps session ended: %s", err)
        finally:
            self.active -= 1
            self._close_data(state)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            self._tasks.discard(task)

    async def _handle(
        self,
        command: str,
        argument: str,
        state: _Session,
        reply: _Reply,
    ) -> None:
        if command == "USER":
            state.user = argument
            await reply("331 Password required")
            return
        if command == "PASS":
            if state.user == "bblp" and argument == self.access_code:
                state.logged_in = True
                self.logins += 1
                await reply("230 Login successful")
            else:
                await reply("530 Login incorrect")
            return
        if not state.logged_in:
            await reply("530 Please login with USER and PASS")
            return
        match command:
            case "PBSZ":
                await reply("200 PBSZ=0")
            case "PROT":
                state.protected = argument.upper() == "P"
                await reply(f"200 Protection level set to {argument.upper()}")
            case "TYPE":
                await reply("200 Switching to Binary mode")
            case "PWD":
                await reply('257 "/" is the current directory')
            case "NOOP":
                await reply("200 NOOP ok")
            case "PASV":
                await self._pasv(state, reply)
            case "SIZE":
                file = self._file(argument)
                if file is None:
                    await reply("550 Could not get file size")
                else:
                    await reply(f"213 {len(file.data)}")
            case "DELE":
                if self._file(argument) is None:
                    await reply("550 Delete operation failed")
                else:
                    del self.files[_norm(argument)]
                    await reply("250 Delete operation successful")
            case "LIST" | "NLST" | "RETR" | "STOR":
                await self._transfer(command, argument, state, reply)
            case _:
                await reply("502 Command not implemented")

    def _file(self, path: str) -> StoredFile | None:
        if not self.storage_present:
            return None
        return self.files.get(_norm(path))

    async def _pasv(self, state: _Session, reply: _Reply) -> None:
        self._close_data(state)
        loop = asyncio.get_running_loop()
        state.data = loop.create_future()

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            done = state.done
            if state.data is not None and not state.data.done():
                state.data.set_result((reader, writer))
                await done.wait()
            writer.close()

        state.done = asyncio.Event()
        # TLS starts once the transfer is accepted (start_tls below): a client that connects and
        # then gives up on an error reply leaves no half-done handshake behind.
        state.data_server = await asyncio.start_server(accept, self.host, 0)
        port = state.data_server.sockets[0].getsockname()[1]
        address = self.host.replace(".", ",")
        await reply(f"227 Entering Passive Mode ({address},{port >> 8},{port & 0xFF})")

    async def _transfer(self, command: str, argument: str, state: _Session, reply: _Reply) -> None:
        if state.data is None or state.data_server is None:
            await reply("425 Use PASV first")
            return
        if not state.protected:
            await reply("521 Data connections must be encrypted")
            return
        path = _norm(argument) if argument and not argument.startswith("-") else "/"
        if command in ("RETR", "STOR", "LIST", "NLST") and not self.storage_present:
            await reply("550 Failed to open file: no storage")
            self._close_data(state)
            return
        if command == "RETR" and path not in self.files:
            await reply("550 Failed to open file")
            self._close_data(state)
            return
        if command in ("LIST", "NLST") and path not in self.folders:
            await reply("550 Failed to open directory")
            self._close_data(state)
            return
        await reply("150 Opening BINARY mode data connection")
        try:
            async with asyncio.timeout(_DATA_WAIT):
                data_reader, data_writer = await state.data
        except TimeoutError:
            await reply("425 Can't open data connection")
            self._close_data(state)
            return
        try:
            await data_writer.start_tls(self.context)
        except ConnectionError, ssl.SSLError, OSError:
            data_writer.transport.abort()
            await reply("425 TLS handshake on the data connection failed")
            self._close_data(state)
            return
        data_ssl = data_writer.get_extra_info("ssl_object")
        reused = bool(data_ssl is not None and data_ssl.session_reused)
        self.data_sessions_reused.append(reused)
        try:
            if self.require_session_reuse and not reused:
                data_writer.close()
                await reply("522 SSL connection failed: session reuse required")
                return
            if command == "STOR":
                received = bytearray()
                while chunk := await data_reader.read(_CHUNK):
                    received.extend(chunk)
                    if self._abort_next and len(received) > 0:
                        self._abort_next = False
                        data_writer.transport.abort()
                        await reply("426 Connection closed; transfer aborted")
                        return
                self.put(path, bytes(received))
            else:
                payload = (
                    self.files[path].data
                    if command == "RETR"
                    else self._listing(path, names_only=command == "NLST")
                )
                if await self._send(payload, data_writer):
                    await reply("426 Connection closed; transfer aborted")
                    return
            data_writer.close()
            with contextlib.suppress(Exception):
                await data_writer.wait_closed()
            await reply("226 Transfer complete")
        finally:
            self._close_data(state)

    async def _send(self, payload: bytes, writer: asyncio.StreamWriter) -> bool:
        """Write the payload; return True when the transfer was cut on purpose."""
        for start in range(0, max(len(payload), 1), _CHUNK):
            if self._abort_next and start >= len(payload) // 2:
                self._abort_next = False
                writer.transport.abort()
                return True
            writer.write(payload[start : start + _CHUNK])
            await writer.drain()
            if self.transfer_delay:
                await asyncio.sleep(self.transfer_delay)
        if self._abort_next:
            self._abort_next = False
            writer.transport.abort()
            return True
        return False

    def _close_data(self, state: _Session) -> None:
        state.done.set()
        if state.data_server is not None:
            state.data_server.close()
        state.data_server = None
        state.data = None

    def _listing(self, folder: str, *, names_only: bool) -> bytes:
        prefix = folder.rstrip("/") + "/"
        lines: list[str] = []
        subfolders = sorted(
            f for f in self.folders if f != folder and posixpath.dirname(f) == folder
        )
        for sub in subfolders:
            name = posixpath.basename(sub)
            lines.append(
                name if names_only else f"drwxrwxrwx   1 root  root        0 Jan  1 00:00 {name}"
            )
        for path, file in sorted(self.files.items()):
            if not path.startswith(prefix) or "/" in path[len(prefix) :]:
                continue
            name = path[len(prefix) :]
            stamp = file.modified.strftime("%b %d %H:%M")
            lines.append(
                name
                if names_only
                else f"-rw-rw-rw-   1 root  root {len(file.data):>8} {stamp} {name}"
            )
        return "".join(line + "\r\n" for line in lines).encode()


type _Reply = Callable[[str], Awaitable[None]]


@dataclass(slots=True)
class _Session:
    user: str | None = None
    logged_in: bool = False
    protected: bool = False
    data: asyncio.Future[tuple[asyncio.StreamReader, asyncio.StreamWriter]] | None = None
    data_server: asyncio.Server | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


def _norm(path: str) -> str:
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    return "/" + "/".join(parts)
