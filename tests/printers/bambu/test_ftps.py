"""The FTPS client against the simulated printer's implicit-FTPS server (real TLS sockets)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import io
from pathlib import Path
import threading

import pytest

from custom_components.printernizer.printers.bambu.ftps import (
    BambuFtpsClient,
    RemoteFileNotFoundError,
    TransferCancelledError,
    TransferTooLargeError,
    normalize_remote_path,
    parse_list_line,
)
from custom_components.printernizer.printers.errors import (
    PinMismatchError,
    PrinterAuthError,
    PrinterCommandError,
    PrinterConnectionError,
    PrinterTimeoutError,
)
from tests.simulators.bambu.simulator import BambuSimulator


def _client(printer: BambuSimulator, **kwargs: object) -> BambuFtpsClient:
    options: dict[str, object] = {"port": printer.ftps_port, "pin": printer.pin}
    options.update(kwargs)
    return BambuFtpsClient(
        printer.host,
        printer.serial,
        str(options.pop("access_code", printer.access_code)),
        **options,  # type: ignore[arg-type]
    )


async def test_list_download_upload_delete(bambu_printer: BambuSimulator, tmp_path: Path) -> None:
    """Every operation works with a pinned key and resumed TLS sessions on the data channel."""
    ftps = bambu_printer.ftps
    assert ftps is not None
    content = bytes(range(256)) * 1000
    ftps.put("/cache/benchy.3mf", content, datetime(2024, 3, 5, 10, 20, tzinfo=UTC))
    ftps.put("/model/cube.gcode.3mf", b"cube")
    client = _client(bambu_printer)

    root = await client.list_files("/")
    assert {entry.name for entry in root if entry.is_dir} >= {"cache", "model", "timelapse"}
    cache = await client.list_files("/cache")
    (benchy,) = cache
    assert (benchy.path, benchy.size, benchy.is_dir) == ("/cache/benchy.3mf", len(content), False)
    assert benchy.modified is not None
    assert (benchy.modified.month, benchy.modified.day) == (3, 5)

    progress: list[tuple[int, int | None]] = []
    target = tmp_path / "benchy.3mf"
    size = await client.download(
        "/cache/benchy.3mf", target, progress=lambda done, total: progress.append((done, total))
    )
    await asyncio.sleep(0)
    assert size == len(content)
    assert target.read_bytes() == content
    assert progress[-1] == (len(content), len(content))
    assert await client.size("/cache/benchy.3mf") == len(content)

    buffer = io.BytesIO()
    await client.download("model/cube.gcode.3mf", buffer)
    assert buffer.getvalue() == b"cube"

    source = tmp_path / "upload.gcode"
    source.write_bytes(b"G28\n" * 5000)
    sent: list[tuple[int, int | None]] = []
    assert await client.upload(source, "/upload.gcode", progress=lambda d, t: sent.append((d, t)))
    await asyncio.sleep(0)
    assert ftps.files["/upload.gcode"].data == source.read_bytes()
    assert sent[-1] == (20000, 20000)

    await client.delete("/upload.gcode")
    assert "/upload.gcode" not in ftps.files
    with pytest.raises(RemoteFileNotFoundError):
        await client.delete("/upload.gcode")
    with pytest.raises(RemoteFileNotFoundError):
        await client.download("/missing.3mf", io.BytesIO())
    with pytest.raises(RemoteFileNotFoundError):
        await client.list_files("/nowhere")
    # Every data connection resumed the control connection's session; the printer insists.
    assert ftps.data_sessions_reused
    assert all(ftps.data_sessions_reused)
    assert "PROT P" in ftps.commands
    assert "USER bblp" in ftps.commands


async def test_one_operation_at_a_time(bambu_printer: BambuSimulator) -> None:
    """Concurrent calls are serialized: the printer never sees two sessions."""
    ftps = bambu_printer.ftps
    assert ftps is not None
    ftps.put("/a.3mf", b"a" * 100_000)
    ftps.transfer_delay = 0.01
    client = _client(bambu_printer)
    results = await asyncio.gather(
        client.download("/a.3mf", io.BytesIO()),
        client.list_files("/"),
        client.download("/a.3mf", io.BytesIO()),
    )
    assert results[0] == results[2] == 100_000
    assert ftps.max_active == 1
    assert not client.busy


async def test_size_limit_and_cancel(bambu_printer: BambuSimulator) -> None:
    """Too large files are refused before the transfer; a cancel event stops it."""
    ftps = bambu_printer.ftps
    assert ftps is not None
    ftps.put("/big.3mf", b"x" * 200_000)
    client = _client(bambu_printer)
    with pytest.raises(TransferTooLargeError) as err:
        await client.download("/big.3mf", io.BytesIO(), max_size=1000)
    assert err.value.size == 200_000
    # Without SIZE the limit is enforced while receiving.
    ftps.fail_next("SIZE", "502 not here")
    with pytest.raises(TransferTooLargeError):
        await client.download("/big.3mf", io.BytesIO(), max_size=1000)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(TransferCancelledError):
        await client.download("/big.3mf", io.BytesIO(), cancel=cancel)


async def test_failures(bambu_printer: BambuSimulator, tmp_path: Path) -> None:
    """Wrong code, another key, server errors, cut transfers and a missing card."""
    ftps = bambu_printer.ftps
    assert ftps is not None
    ftps.put("/file.3mf", b"y" * 300_000)
    with pytest.raises(PrinterAuthError):
        await _client(bambu_printer, access_code="wrong").list_files()
    with pytest.raises(PinMismatchError):
        await _client(bambu_printer, pin="00" * 32).list_files()
    assert ftps.logins == 0

    client = _client(bambu_printer)
    ftps.fail_next("RETR", "451 Local error in processing")
    with pytest.raises(PrinterCommandError, match="451"):
        await client.download("/file.3mf", io.BytesIO())
    ftps.abort_next_transfer()
    with pytest.raises(PrinterConnectionError):
        await client.download("/file.3mf", io.BytesIO())
    source = tmp_path / "up.gcode"
    source.write_bytes(b"G1\n" * 100_000)
    ftps.abort_next_transfer()
    with pytest.raises(PrinterClientErrorTypes):
        await client.upload(source, "/up.gcode")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(TransferCancelledError):
        await client.upload(source, "/up.gcode", cancel=cancel)

    ftps.require_session_reuse = True
    bambu_printer.set_storage_present(False)
    assert bambu_printer.state["sdcard"] is False
    with pytest.raises(RemoteFileNotFoundError, match="no storage"):
        await client.list_files("/")
    bambu_printer.set_storage_present(True)
    assert await client.list_files("/")


PrinterClientErrorTypes = (PrinterCommandError, PrinterConnectionError)


async def test_session_reuse_is_required(bambu_printer: BambuSimulator) -> None:
    """A data connection without the control session is refused by the printer (522)."""
    ftps = bambu_printer.ftps
    assert ftps is not None
    client = _client(bambu_printer)
    # Break the resumption on purpose: a client that does not pass the session is refused.
    from custom_components.printernizer.printers.bambu import ftps as module

    original = module._ImplicitFtpTls.ntransfercmd

    def fresh_session(self: module._ImplicitFtpTls, cmd: str, rest: object = None) -> object:
        conn, size = module.ftplib.FTP.ntransfercmd(self, cmd, rest)
        return self.context.wrap_socket(conn), size

    module._ImplicitFtpTls.ntransfercmd = fresh_session  # type: ignore[assignment,method-assign]
    try:
        with pytest.raises(PrinterClientErrorTypes):
            await client.list_files("/")
    finally:
        module._ImplicitFtpTls.ntransfercmd = original  # type: ignore[method-assign]
    assert ftps.data_sessions_reused[-1] is False


async def test_unreachable_and_timeout(socket_enabled: None) -> None:
    """A closed port is a connection error; a silent server a timeout."""
    client = BambuFtpsClient("127.0.0.1", "SERIAL", "code", port=9, pin=None, timeout=1)
    with pytest.raises(PrinterConnectionError):
        await client.list_files()

    release = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        client = BambuFtpsClient("127.0.0.1", "SERIAL", "code", port=port, timeout=0.3)
        with pytest.raises(PrinterTimeoutError):
            await client.list_files()
    finally:
        release.set()
        server.close()
        await server.wait_closed()


def test_paths_and_listing() -> None:
    """Printer paths are normalized; escapes are refused; LIST lines of all kinds parse."""
    assert normalize_remote_path("cache//a.3mf") == "/cache/a.3mf"
    assert normalize_remote_path("./model/./b.3mf") == "/model/b.3mf"
    for bad in ("../etc/passwd", "/cache/../../x", "a\nDELE b", "a\0b"):
        with pytest.raises(ValueError, match="printer path"):
            normalize_remote_path(bad)
    now = datetime(2024, 2, 1, tzinfo=UTC)
    entry = parse_list_line("-rw-rw-rw- 1 root root 123 Dec 24 18:00 gift.3mf", "/", now=now)
    assert entry is not None
    assert entry.modified == datetime(2023, 12, 24, 18, 0, tzinfo=UTC)
    old = parse_list_line("-rw-r--r-- 1 u g 5 Mar  1  2021 old.gcode", "/cache", now=now)
    assert old is not None
    assert (old.path, old.modified) == ("/cache/old.gcode", datetime(2021, 3, 1, tzinfo=UTC))
    link = parse_list_line("lrwxrwxrwx 1 u g 5 Jan 1 2020 sd -> /mnt/sd", "/", now=now)
    assert link is not None
    assert link.name == "sd"
    assert parse_list_line("drwxr-xr-x 1 u g 0 Jan 1 2020 .", "/") is None
    assert parse_list_line("total 12", "/") is None
    bad_day = parse_list_line("-rw-r--r-- 1 u g 5 Feb 31 2021 x", "/", now=now)
    assert bad_day is not None
    assert bad_day.modified is None
