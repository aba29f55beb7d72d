"""Camera entities over real sockets: Bambu JPEG stream (port 6000), Bambu RTSPS, PrusaLink."""

from __future__ import annotations

import asyncio

from homeassistant.components.camera import async_get_image, async_get_stream_source
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.printernizer.const import CONF_CAMERA, DOMAIN
from tests import entity_id_of, setup_printer, wait_for_state
from tests.simulators.bambu.simulator import BambuSimulator
from tests.simulators.prusa.server import PrusaLinkSimulator


@pytest.mark.parametrize("bambu_printer", ["P1S"], indirect=True)
async def test_bambu_jpeg_camera(
    hass: HomeAssistant, bambu_printer: BambuSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """P1S: pictures from the port-6000 stream; every viewer shares one connection."""
    monkeypatch.setattr("custom_components.printernizer.printers.bambu.camera.RETRY_AFTER", 0)
    await setup_printer(hass, bambu_printer)
    camera = entity_id_of(hass, "camera", bambu_printer, "camera")
    images = await asyncio.gather(*(async_get_image(hass, camera) for _ in range(4)))
    assert all(image.content_type == "image/jpeg" for image in images)
    assert all(image.content.startswith(b"\xff\xd8") for image in images)
    server = bambu_printer.camera
    assert server is not None
    assert server.connections == 1
    assert (await async_get_image(hass, camera)).content
    assert server.connections == 1
    # A broken stream is a translated error, and the next request reconnects.
    # The printer goes away: a translated error; back again: the next request reconnects.
    await server.stop()
    with pytest.raises(HomeAssistantError):
        await async_get_image(hass, camera)
    await server.start()
    assert (await async_get_image(hass, camera)).content
    assert server.connections == 2


@pytest.mark.parametrize("bambu_printer", ["X1C"], indirect=True)
async def test_bambu_rtsps_camera(hass: HomeAssistant, bambu_printer: BambuSimulator) -> None:
    """X1C: the RTSPS stream of the report's ipcam, with the access code; off when disabled."""
    entry = await setup_printer(hass, bambu_printer)
    camera = entity_id_of(hass, "camera", bambu_printer, "camera")
    source = await async_get_stream_source(hass, camera)
    assert source == f"rtsps://bblp:{bambu_printer.access_code}@127.0.0.1:322/streaming/live/1"
    assert entry.data.get("camera_port") is None
    bambu_printer.state["ipcam"]["rtsp_url"] = "disable"  # LAN live view switched off
    bambu_printer.push_full()
    await wait_for_state(hass, camera, STATE_UNAVAILABLE)
    assert await async_get_stream_source(hass, camera) is None


async def test_prusa_camera(hass: HomeAssistant, prusa_simulator_factory: object) -> None:
    """A PrusaLink camera: snapshots from /api/v1/cameras/snap; failures are translated."""
    printer: PrusaLinkSimulator = await prusa_simulator_factory(camera=True)  # type: ignore[operator]
    await setup_printer(hass, printer)
    camera = entity_id_of(hass, "camera", printer, "camera")
    image = await async_get_image(hass, camera)
    assert image.content == printer.snapshot
    assert image.content_type == "image/png"
    printer.fail_next(status=500, path="/api/v1/cameras/snap")
    with pytest.raises(HomeAssistantError):
        await async_get_image(hass, camera)


async def test_no_camera(
    hass: HomeAssistant, prusa_printer: PrusaLinkSimulator, bambu_printer: BambuSimulator
) -> None:
    """No entity without a camera, or when switched off in the options."""
    await setup_printer(hass, prusa_printer)
    await setup_printer(hass, bambu_printer, options={CONF_CAMERA: False})
    registry = er.async_get(hass)
    for printer in (prusa_printer, bambu_printer):
        assert registry.async_get_entity_id("camera", DOMAIN, f"{printer.serial}_camera") is None
