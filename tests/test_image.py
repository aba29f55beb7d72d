"""The job picture (image entity) for both vendors, from real printer files."""

from __future__ import annotations

from http import HTTPStatus
import io
import os
from pathlib import Path

from homeassistant.core import HomeAssistant
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.printernizer.local_files import ThumbnailCache, prune_folder
from tests import entity_id_of, setup_printer, wait_for
from tests.shared import SHARED_PROTOCOL, requires_shared
from tests.simulators.bambu.simulator import BambuSimulator
from tests.simulators.prusa.machine import make_png
from tests.simulators.prusa.server import PrusaLinkSimulator
from tests.test_files import media, project_3mf  # noqa: F401 - fixture

PRUSA_HEADER = (
    SHARED_PROTOCOL
    / "slicer"
    / "prusaslicer-2.8.1_mk4s_mini_cube.gcode.header-thumbnail-excerpt.txt"
)


async def _picture(hass: HomeAssistant, client: ClientSessionGenerator, entity_id: str) -> bytes:
    http = await client()
    state = hass.states.get(entity_id)
    assert state is not None
    response = await http.get(state.attributes["entity_picture"])
    assert response.status == HTTPStatus.OK
    return await response.read()


async def test_bambu_3mf_picture(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    bambu_printer: BambuSimulator,
    media: Path,  # noqa: F811
) -> None:
    """The plate PNG of the printed 3MF; the picture stays after the job."""
    picture = make_png(12, 12, (200, 0, 0))
    bambu_printer.ftps.put("/cache/benchy.3mf", project_3mf(picture=picture))  # type: ignore[union-attr]
    await setup_printer(hass, bambu_printer)
    image = entity_id_of(hass, "image", bambu_printer, "thumbnail")
    assert hass.states.get(image).state == "unknown"
    bambu_printer.start_print("benchy.3mf", prepare_ticks=0, print_ticks=2)
    await wait_for(hass, lambda: hass.states.get(image).state != "unknown", what="picture")
    assert await _picture(hass, hass_client, image) == picture
    updated = hass.states.get(image).state
    bambu_printer.finish()
    await hass.async_block_till_done()
    assert hass.states.get(image).state == updated
    assert await _picture(hass, hass_client, image) == picture


@requires_shared
async def test_bambu_gcode_qoi_picture(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    bambu_printer: BambuSimulator,
    media: Path,  # noqa: F811
) -> None:
    """A G-code job with PrusaSlicer's QOI thumbnail is served as PNG."""
    bambu_printer.ftps.put("/cube.gcode", PRUSA_HEADER.read_bytes())  # type: ignore[union-attr]
    await setup_printer(hass, bambu_printer)
    image = entity_id_of(hass, "image", bambu_printer, "thumbnail")
    bambu_printer.start_print("cube.gcode", prepare_ticks=0, print_ticks=50)
    await wait_for(hass, lambda: hass.states.get(image).state != "unknown", what="picture")
    data = await _picture(hass, hass_client, image)
    assert data.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(data)).size == (16, 16)


async def test_prusa_picture(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    prusa_printer: PrusaLinkSimulator,
    media: Path,  # noqa: F811
) -> None:
    """A Prusa job's refs.thumbnail."""
    entry = await setup_printer(hass, prusa_printer)
    image = entity_id_of(hass, "image", prusa_printer, "thumbnail")
    prusa_printer.machine.start("CALIBR~1.BGC")
    await entry.runtime_data.async_refresh()
    await wait_for(hass, lambda: hass.states.get(image).state != "unknown", what="picture")
    assert await _picture(hass, hass_client, image) == prusa_printer.machine.files[1].thumbnail


async def test_no_picture(
    hass: HomeAssistant,
    bambu_printer: BambuSimulator,
    media: Path,  # noqa: F811
) -> None:
    """A job whose file is not on the card leaves the entity without a picture."""
    entry = await setup_printer(hass, bambu_printer)
    image = entity_id_of(hass, "image", bambu_printer, "thumbnail")
    bambu_printer.start_print("unknown.3mf", prepare_ticks=0, print_ticks=50)
    await wait_for(hass, lambda: entry.runtime_data.data.file == "unknown", what="job")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(image).state == "unknown"


def test_thumbnail_cache_bounds(tmp_path: Path) -> None:
    """The cache keeps the newest pictures within its count and byte bounds."""
    cache = ThumbnailCache(tmp_path / "thumbs", max_files=3, max_bytes=250)
    keys = [ThumbnailCache.key("printer", index) for index in range(5)]
    for index, key in enumerate(keys):
        path = cache.put(key, bytes([index]) * 100, "image/png" if index % 2 else "image/jpeg")
        stamp = 1_700_000_000 + index
        os.utime(path, (stamp, stamp))
    cache.prune()
    remaining = sorted(p.name for p in (tmp_path / "thumbs").iterdir())
    assert len(remaining) == 2  # 250 bytes hold two 100-byte pictures
    assert cache.find(keys[4]) == (tmp_path / "thumbs" / f"{keys[4]}.jpg", "image/jpeg")
    assert cache.find(keys[3]) == (tmp_path / "thumbs" / f"{keys[3]}.png", "image/png")
    assert cache.find(keys[0]) is None


def test_prune_folder(tmp_path: Path) -> None:
    """Auto-download folders are bounded by count and size; a missing folder is fine."""
    for index in range(4):
        path = tmp_path / f"f{index}.3mf"
        path.write_bytes(b"x" * 10)
        os.utime(path, (1_700_000_000 + index, 1_700_000_000 + index))
    assert [p.name for p in prune_folder(tmp_path, max_files=3, max_bytes=1000)] == ["f0.3mf"]
    deleted = prune_folder(tmp_path, max_files=9, max_bytes=15)
    assert sorted(p.name for p in deleted) == ["f1.3mf", "f2.3mf"]
    assert prune_folder(tmp_path / "missing", max_files=1, max_bytes=1) == []


@pytest.fixture(autouse=True)
def _socket(socket_enabled: None) -> None:
    """Allow sockets: the picture is fetched through Home Assistant's HTTP view."""
