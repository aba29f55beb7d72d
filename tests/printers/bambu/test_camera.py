"""The port-6000 chamber camera client against the simulated image stream (real TLS)."""

from __future__ import annotations

import asyncio
import struct

import pytest

from custom_components.printernizer.printers.bambu.camera import (
    ChamberCamera,
    auth_packet,
    frame_size,
)
from custom_components.printernizer.printers.errors import (
    PinMismatchError,
    PrinterClientError,
    PrinterConnectionError,
    PrinterProtocolError,
    PrinterTimeoutError,
)
from tests.simulators.bambu.camera import make_frame
from tests.simulators.bambu.simulator import BambuSimulator


def _camera(printer: BambuSimulator, **kwargs: object) -> ChamberCamera:
    options: dict[str, object] = {"port": printer.camera_port, "pin": printer.pin}
    options.update(kwargs)
    code = str(options.pop("access_code", printer.access_code))
    return ChamberCamera(printer.host, printer.serial, code, **options)  # type: ignore[arg-type]


async def _first_error(camera: ChamberCamera) -> Exception:
    """Ask for fresh frames until one request fails; return its error."""
    for _ in range(50):
        try:
            await camera.get_frame(max_age=0)
        except PrinterClientError as err:
            return err
    raise AssertionError("no error")


@pytest.mark.parametrize("bambu_printer", ["P1S"], indirect=True)
async def test_frames_shared_connection(bambu_printer: BambuSimulator) -> None:
    """Frames arrive; many viewers share one upstream connection; idle closes it."""
    server = bambu_printer.camera
    assert server is not None
    camera = _camera(bambu_printer, idle_timeout=0.2)
    try:
        frames = await asyncio.gather(*(camera.get_frame(max_age=0) for _ in range(5)))
        assert all(
            frame.startswith(b"\xff\xd8") and frame.endswith(b"\xff\xd9") for frame in frames
        )
        assert server.connections == 1
        assert camera.connections == 1
        cached = await camera.get_frame(max_age=60)
        assert cached == camera.last_frame
        newer = await camera.get_frame(max_age=0)
        assert newer != frames[0]
        assert server.connections == 1
        # Nobody asks for pictures: the stream closes by itself.
        async with asyncio.timeout(5):
            while camera.streaming:  # noqa: ASYNC110 - the client has no event for this
                await asyncio.sleep(0.05)
        assert await camera.get_frame()
        assert server.connections == 2
    finally:
        await camera.close()
    assert not camera.streaming


@pytest.mark.parametrize("bambu_printer", ["A1"], indirect=True)
async def test_failures(bambu_printer: BambuSimulator) -> None:
    """Wrong code, another key, a bad frame, a dropped connection and nobody listening."""
    server = bambu_printer.camera
    assert server is not None
    wrong = _camera(bambu_printer, access_code="nope")
    with pytest.raises(PrinterConnectionError, match="access code"):
        await wrong.get_frame()
    # Within the retry delay the same error comes back without a new attempt.
    with pytest.raises(PrinterConnectionError):
        await wrong.get_frame()
    assert server.auth_failures == 1

    with pytest.raises(PinMismatchError):
        await _camera(bambu_printer, pin="11" * 32).get_frame()
    assert server.auth_failures == 1  # the access code was never sent

    camera = _camera(bambu_printer)
    try:
        assert await camera.get_frame()
        server.corrupt_next()
        assert isinstance(await _first_error(camera), PrinterProtocolError)
        camera = _camera(bambu_printer)
        assert await camera.get_frame()
        server.drop()
        assert isinstance(await _first_error(camera), PrinterConnectionError)
    finally:
        await camera.close()

    closed = ChamberCamera("127.0.0.1", bambu_printer.serial, "x", port=9, pin=None)
    with pytest.raises(PrinterConnectionError):
        await closed.get_frame()


async def test_silent_server_times_out(socket_enabled: None) -> None:
    """A server that never completes TLS (or never sends a frame) is a timeout."""
    release = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    camera = ChamberCamera("127.0.0.1", "S", "c", port=port, verify=False, frame_timeout=0.3)
    try:
        with pytest.raises(PrinterTimeoutError):
            await camera.get_frame()
    finally:
        await camera.close()
        release.set()
        server.close()
        await server.wait_closed()


def test_packets() -> None:
    """Login layout and frame header checks."""
    packet = auth_packet("12345678")
    assert len(packet) == 80
    assert struct.unpack_from("<IIII", packet) == (0x40, 0x3000, 0, 0)
    assert packet[16:20] == b"bblp"
    assert packet[48:56] == b"12345678"
    with pytest.raises(ValueError, match="32 bytes"):
        auth_packet("x" * 33)
    frame = make_frame(1)
    assert frame_size(struct.pack("<IIII", len(frame), 0, 1, 0)) == len(frame)
    for bad in (b"short", struct.pack("<IIII", 0, 0, 0, 0), struct.pack("<IIII", 1 << 30, 0, 0, 0)):
        with pytest.raises(PrinterProtocolError):
            frame_size(bad)
