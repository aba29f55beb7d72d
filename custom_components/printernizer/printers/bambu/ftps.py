"""Files on a Bambu Lab printer's SD card or USB drive over implicit FTPS (no Home Assistant).

Facts the client follows:

- Implicit TLS on port 990 (the TLS handshake comes first, no ``AUTH TLS``), user ``bblp``,
  password = LAN access code, ``PROT P`` for encrypted data channels.
- The printer's FTP server requires the data connection to resume the control connection's TLS
  session; a data connection with a fresh session is refused. The session is passed on.
- The certificate is checked like the MQTT connection's: the same pinned public key (see
  :mod:`.tls`) on the control *and* on every data connection.
- The printer handles one transfer at a time and only a few connections at all: every operation
  takes a per-printer lock and opens one short-lived control connection.

The blocking :mod:`ftplib` runs in an executor thread; progress callbacks and cancellation cross
back with thread-safe calls, so the event loop never waits on the network.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import ftplib
import logging
from pathlib import Path
import posixpath
import re
import socket
import ssl
import threading
from typing import IO, Final

from ..errors import (
    PinMismatchError,
    PrinterAuthError,
    PrinterClientError,
    PrinterCommandError,
    PrinterConnectionError,
    PrinterTimeoutError,
    PrinterTlsError,
)
from .tls import create_client_context

_LOGGER = logging.getLogger(__name__)

DEFAULT_FTPS_PORT: Final = 990
USERNAME: Final = "bblp"
DEFAULT_TIMEOUT: Final = 20.0
BLOCK_SIZE: Final = 64 * 1024
# Folders where printers keep files: sent prints, cloud prints, MakerWorld models, timelapses.
KNOWN_FOLDERS: Final = ("/", "/cache", "/model", "/timelapse")
_LIST_LINE: Final = re.compile(
    r"^(?P<mode>[dl\-][rwxsStT\-]{9})\s+\d+\s+\S+\s+\S+\s+(?P<size>\d+)\s+"
    r"(?P<month>[A-Z][a-z]{2})\s+(?P<day>\d{1,2})\s+(?P<time_or_year>\d{1,2}:\d{2}|\d{4})\s+"
    r"(?P<name>.+)$"
)
_MONTHS: Final = {
    name: index
    for index, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}

type Progress = Callable[[int, int | None], None]
"""Called with (bytes done, total bytes or None) from the event loop."""


class RemoteFileNotFoundError(PrinterCommandError):
    """The file or folder does not exist on the printer (FTP 550)."""


class TransferTooLargeError(PrinterCommandError):
    """The file is larger than the caller allows."""

    def __init__(self, size: int, limit: int) -> None:
        """Keep both sizes for the message."""
        super().__init__(f"file of {size} bytes exceeds the limit of {limit} bytes")
        self.size = size
        self.limit = limit


class TransferCancelledError(PrinterClientError):
    """The transfer was cancelled by the caller."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteFile:
    """One entry of a folder on the printer."""

    path: str
    name: str
    size: int | None
    modified: datetime | None
    is_dir: bool


def normalize_remote_path(path: str) -> str:
    """Return an absolute printer path; ``..`` and NUL/newlines are refused."""
    text = path.strip().replace("\\", "/")
    if any(c in text for c in "\0\r\n"):
        raise ValueError("invalid characters in printer path")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts):
        raise ValueError("'..' is not allowed in printer paths")
    return "/" + "/".join(parts)


def parse_list_line(line: str, folder: str, *, now: datetime | None = None) -> RemoteFile | None:
    """Parse one line of a Unix-style ``LIST`` answer (what Bambu printers send)."""
    match = _LIST_LINE.match(line.strip())
    if match is None:
        return None
    name = match.group("name")
    if name in (".", ".."):
        return None
    if match.group("mode").startswith("l") and " -> " in name:
        name = name.split(" -> ", 1)[0]
    now = now or datetime.now(UTC)
    month = _MONTHS.get(match.group("month"))
    modified: datetime | None = None
    if month is not None:
        day = int(match.group("day"))
        stamp = match.group("time_or_year")
        try:
            if ":" in stamp:
                hour, minute = (int(v) for v in stamp.split(":"))
                modified = datetime(now.year, month, day, hour, minute, tzinfo=UTC)
                # "Mon DD HH:MM" is within the last six months; later than now is last year.
                if modified > now + timedelta(days=1):
                    modified = modified.replace(year=now.year - 1)
            else:
                modified = datetime(int(stamp), month, day, tzinfo=UTC)
        except ValueError:
            modified = None
    is_dir = match.group("mode").startswith("d")
    return RemoteFile(
        path=posixpath.join(folder, name),
        name=name,
        size=None if is_dir else int(match.group("size")),
        modified=modified,
        is_dir=is_dir,
    )


class _ImplicitFtpTls(ftplib.FTP_TLS):
    """``FTP_TLS`` for implicit TLS whose data connections resume the control session."""

    def connect_implicit(self, host: str, port: int, timeout: float) -> str:
        """Connect, handshake (the context checks the pin), read the greeting."""
        self.host = host
        self.port = port
        self.timeout = timeout
        raw = socket.create_connection((host, port), timeout)
        try:
            self.sock = self.context.wrap_socket(raw, server_hostname=None)
        except BaseException:
            raw.close()
            raise
        self.af = self.sock.family
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome

    def ntransfercmd(
        self, cmd: str, rest: int | str | None = None
    ) -> tuple[socket.socket, int | None]:
        """Open the data connection and wrap it with the control connection's TLS session."""
        # Plain FTP's data connection, wrapped below (the control connection is TLS already).
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)  # noqa: S321
        if self._prot_p:  # type: ignore[attr-defined]
            session = self.sock.session if isinstance(self.sock, ssl.SSLSocket) else None
            try:
                conn = self.context.wrap_socket(conn, server_hostname=None, session=session)
            except BaseException:
                conn.close()
                raise
        return conn, size


class BambuFtpsClient:
    """File operations on one printer; every call opens and closes its own connection."""

    def __init__(
        self,
        host: str,
        serial: str,
        access_code: str,
        *,
        port: int = DEFAULT_FTPS_PORT,
        pin: str | None = None,
        verify: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Prepare a client; nothing is sent until the first call."""
        self.host = host
        self.serial = serial
        self.port = port
        self._access_code = access_code
        self._pin = pin
        self._verify = verify
        self._timeout = timeout
        self._lock = asyncio.Lock()

    @property
    def busy(self) -> bool:
        """Return whether a transfer or listing is running."""
        return self._lock.locked()

    # ------------------------------------------------------------------ session

    def _open(self) -> _ImplicitFtpTls:
        """Connect and log in (blocking; runs in the executor)."""
        context = create_client_context(self.serial, self._pin, verify=self._verify)
        ftp = _ImplicitFtpTls(context=context, timeout=self._timeout)
        try:
            ftp.connect_implicit(self.host, self.port, self._timeout)
            ftp.login(USERNAME, self._access_code)
            ftp.prot_p()
        except BaseException:
            _close(ftp)
            raise
        return ftp

    async def _run[R](self, what: str, func: Callable[[_ImplicitFtpTls], R]) -> R:
        """Run ``func`` on a fresh session in the executor, one operation at a time."""
        loop = asyncio.get_running_loop()

        def job() -> R:
            ftp = self._open()
            try:
                result = func(ftp)
                with contextlib.suppress(*_TRANSPORT_ERRORS):
                    ftp.quit()
                return result
            finally:
                _close(ftp)

        async with self._lock:
            try:
                return await loop.run_in_executor(None, job)
            except PrinterClientError:
                raise
            except BaseException as err:
                if isinstance(err, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
                    raise
                raise _translate(err, f"{what} on {self.host}:{self.port}") from err

    # ------------------------------------------------------------------ operations

    async def list_files(self, folder: str = "/") -> list[RemoteFile]:
        """List one folder (``LIST``)."""
        path = normalize_remote_path(folder)

        def run(ftp: _ImplicitFtpTls) -> list[RemoteFile]:
            lines: list[str] = []
            ftp.retrlines(f"LIST {path}", lines.append)
            return [entry for line in lines if (entry := parse_list_line(line, path)) is not None]

        return await self._run(f"LIST {path}", run)

    async def size(self, path: str) -> int | None:
        """Return a file's size (``SIZE``), None when the server does not say."""
        remote = normalize_remote_path(path)

        def run(ftp: _ImplicitFtpTls) -> int | None:
            ftp.voidcmd("TYPE I")
            return ftp.size(remote)

        return await self._run(f"SIZE {remote}", run)

    async def download(
        self,
        path: str,
        target: IO[bytes] | Path,
        *,
        max_size: int | None = None,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> int:
        """Copy a printer file into ``target`` (a file object or a path); return the bytes.

        ``max_size`` refuses larger files before and while transferring
        (:class:`TransferTooLargeError`); a set ``cancel`` event aborts the transfer.
        """
        remote = normalize_remote_path(path)
        loop = asyncio.get_running_loop()

        def run(ftp: _ImplicitFtpTls) -> int:
            ftp.voidcmd("TYPE I")
            total: int | None = None
            with contextlib.suppress(ftplib.error_perm, ftplib.error_reply):
                total = ftp.size(remote)
            if max_size is not None and total is not None and total > max_size:
                raise TransferTooLargeError(total, max_size)
            with _open_target(target) as out:
                done = 0

                def write(chunk: bytes) -> None:
                    nonlocal done
                    if cancel is not None and cancel.is_set():
                        raise TransferCancelledError(f"download of {remote} cancelled")
                    done += len(chunk)
                    if max_size is not None and done > max_size:
                        raise TransferTooLargeError(done, max_size)
                    out.write(chunk)
                    if progress is not None:
                        loop.call_soon_threadsafe(progress, done, total)

                ftp.retrbinary(f"RETR {remote}", write, blocksize=BLOCK_SIZE)
            return done

        return await self._run(f"RETR {remote}", run)

    async def upload(
        self,
        source: Path,
        path: str,
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> int:
        """Send a local file to the printer (``STOR``); return the bytes sent."""
        remote = normalize_remote_path(path)
        loop = asyncio.get_running_loop()

        def run(ftp: _ImplicitFtpTls) -> int:
            total = source.stat().st_size
            done = 0

            def sent(chunk: bytes) -> None:
                nonlocal done
                if cancel is not None and cancel.is_set():
                    raise TransferCancelledError(f"upload of {remote} cancelled")
                done += len(chunk)
                if progress is not None:
                    loop.call_soon_threadsafe(progress, done, total)

            with source.open("rb") as file:
                ftp.storbinary(f"STOR {remote}", file, blocksize=BLOCK_SIZE, callback=sent)
            return done

        return await self._run(f"STOR {remote}", run)

    async def delete(self, path: str) -> None:
        """Delete a printer file (``DELE``)."""
        remote = normalize_remote_path(path)

        def run(ftp: _ImplicitFtpTls) -> None:
            ftp.delete(remote)

        await self._run(f"DELE {remote}", run)


_TRANSPORT_ERRORS: Final = (OSError, EOFError, ftplib.Error)


@contextlib.contextmanager
def _open_target(target: IO[bytes] | Path) -> Iterator[IO[bytes]]:
    if isinstance(target, Path):
        with target.open("wb") as file:
            yield file
    else:
        yield target


def _close(ftp: ftplib.FTP) -> None:
    with contextlib.suppress(*_TRANSPORT_ERRORS):
        ftp.close()


def _translate(err: BaseException, where: str) -> PrinterClientError:
    """Map ftplib/socket/ssl errors to the printer client errors."""
    if isinstance(err, PinMismatchError | PrinterTlsError):
        return err
    if isinstance(err, ftplib.error_perm):
        text = str(err)
        code = text[:3]
        if code == "530":
            return PrinterAuthError(f"{where}: access code refused")
        if code == "550":
            return RemoteFileNotFoundError(f"{where}: {text}", reason=text[4:] or text)
        return PrinterCommandError(f"{where}: {text}", reason=text[4:] or text)
    if isinstance(err, ftplib.error_temp | ftplib.error_reply | ftplib.error_proto):
        return PrinterCommandError(f"{where}: {err}", reason=str(err)[4:] or str(err))
    if isinstance(err, TimeoutError | socket.timeout):
        return PrinterTimeoutError(f"{where}: no answer")
    if isinstance(err, ssl.SSLError):
        return PrinterTlsError(f"{where}: TLS failed: {err}")
    if isinstance(err, OSError | EOFError):
        return PrinterConnectionError(f"{where}: {err or type(err).__name__}")
    _LOGGER.debug("unexpected FTPS error", exc_info=err)
    return PrinterClientError(f"{where}: {err}")
