"""File actions on a simulated Prusa printer (PrusaLink /api/v1/files over real HTTP)."""

from __future__ import annotations

from pathlib import Path

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest

from custom_components.printernizer.const import EVENT_FILE_TRANSFER
from custom_components.printernizer.printers.prusa import files as prusa_files
from tests import setup_printer
from tests.simulators.prusa.machine import PRINTING, SimFile, make_png
from tests.simulators.prusa.server import PrusaLinkSimulator
from tests.test_files import call, device_id, files_in, media, read  # noqa: F401 - fixture


async def test_list_download_upload_start_delete(
    hass: HomeAssistant,
    prusa_printer: PrusaLinkSimulator,
    media: Path,  # noqa: F811
) -> None:
    """Every action through PrusaLink: folders, refs.download, PUT headers, POST, DELETE."""
    machine = prusa_printer.machine
    machine.files.append(
        SimFile(
            name="PART~1.GCO",
            display_name="part.gcode",
            duration=60,
            size=5,
            m_timestamp=1_729_000_000,
            thumbnail=make_png(4, 4, (9, 9, 9)),
            icon=make_png(2, 2, (9, 9, 9)),
            content=b"G28\n\n",
            folder="PROJECTS",
        )
    )
    await setup_printer(hass, prusa_printer)
    device = device_id(hass, prusa_printer)
    events: list[Event] = []
    hass.bus.async_listen(EVENT_FILE_TRANSFER, events.append)

    listing = await call(hass, "list_files", {ATTR_DEVICE_ID: device}, response=True)
    assert listing is not None
    entries = {entry["path"]: entry for entry in listing["files"]}  # type: ignore[union-attr]
    assert entries["/usb/PROJECTS"]["type"] == "folder"
    assert entries["/usb/BENCHY~1.BGC"]["name"] == "benchy_0.4n_0.2mm_PLA_MK4_45m.bgcode"
    assert entries["/usb/BENCHY~1.BGC"]["size"] == 100_000
    sub = await call(
        hass, "list_files", {ATTR_DEVICE_ID: device, "path": "/usb/PROJECTS"}, response=True
    )
    assert [e["path"] for e in sub["files"]] == ["/usb/PROJECTS/PART~1.GCO"]  # type: ignore[index]

    result = await call(
        hass,
        "download_file",
        {ATTR_DEVICE_ID: device, "path": "/usb/BENCHY~1.BGC", "target": "prusa/benchy.bgcode"},
        response=True,
    )
    assert result is not None
    local = media / "printernizer" / "prusa" / "benchy.bgcode"
    assert result == {"path": str(local), "size": 100_000}
    assert local.read_bytes() == machine.files[0].data
    assert ("GET", "/usb/BENCHY~1.BGC") in prusa_printer.requests
    await hass.async_block_till_done()
    assert events[-1].data["state"] == "finished"
    await call(
        hass,
        "download_file",
        {ATTR_DEVICE_ID: device, "path": "/usb/PROJECTS/PART~1.GCO", "target": str(media) + "/"},
    )
    assert (media / "PART~1.GCO").read_bytes() == b"G28\n\n"

    source = media / "new.gcode"
    source.write_bytes(b"G28\nG1 X10\n" * 1000)
    await call(hass, "upload_file", {ATTR_DEVICE_ID: device, "source": str(source)})
    path, headers = prusa_printer.uploads[-1]
    assert path == "new.gcode"
    assert headers["Overwrite"] == "?0"
    assert headers["Print-After-Upload"] == "?0"
    assert machine.file_by_name("new.gcode").data == source.read_bytes()  # type: ignore[union-attr]
    # Exists: refused without overwrite (409), replaced with it, and started on request.
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "upload_file", {ATTR_DEVICE_ID: device, "source": str(source)})
    assert err.value.translation_key == "not_possible_now"
    await call(
        hass,
        "upload_file",
        {ATTR_DEVICE_ID: device, "source": str(source), "overwrite": True, "start": True},
    )
    assert prusa_printer.uploads[-1][1]["Print-After-Upload"] == "?1"
    assert machine.state == PRINTING
    # Deleting the file being printed is refused (409); stop, then delete works.
    with pytest.raises(ServiceValidationError):
        await call(hass, "delete_file", {ATTR_DEVICE_ID: device, "path": "/usb/new.gcode"})
    machine.stop()
    await call(hass, "delete_file", {ATTR_DEVICE_ID: device, "path": "/usb/new.gcode"})
    assert machine.file_by_name("new.gcode") is None
    machine.clear()
    await call(hass, "start_print", {ATTR_DEVICE_ID: device, "path": "/usb/CALIBR~1.BGC"})
    assert ("POST", "/api/v1/files/usb/CALIBR~1.BGC") in prusa_printer.requests
    assert machine.job is not None
    assert machine.job.file.name == "CALIBR~1.BGC"


async def test_errors(
    hass: HomeAssistant,
    prusa_printer: PrusaLinkSimulator,
    media: Path,  # noqa: F811
) -> None:
    """Missing files, bad paths, Bambu-only options, too large files and a failing printer."""
    await setup_printer(hass, prusa_printer)
    device = device_id(hass, prusa_printer)
    for service, data, key in (
        ("download_file", {"path": "/usb/NOPE.GCO"}, "printer_file_not_found"),
        ("delete_file", {"path": "/usb/NOPE.GCO"}, "printer_file_not_found"),
        ("start_print", {"path": "/usb/NOPE.GCO"}, "printer_file_not_found"),
        ("start_print", {"path": "/usb"}, "invalid_printer_path"),
        ("delete_file", {"path": "/usb/../x"}, "invalid_printer_path"),
        ("start_print", {"path": "/usb/BENCHY~1.BGC", "plate": 2}, "start_options_not_supported"),
        ("upload_file", {"source": str(media / "missing.gcode")}, "local_file_not_found"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, service, {ATTR_DEVICE_ID: device, **data})
        assert err.value.translation_key == key, service
    for path in ("/", "/usb/../.."):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, "list_files", {ATTR_DEVICE_ID: device, "path": path}, response=True)
        assert err.value.translation_key == "invalid_printer_path"
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "list_files", {ATTR_DEVICE_ID: device, "path": "/usb/NOPE"}, response=True)
    assert err.value.translation_key == "printer_file_not_found"

    prusa_printer.fail_next(status=500, path="/usb/BENCHY~1.BGC")
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "download_file", {ATTR_DEVICE_ID: device, "path": "/usb/BENCHY~1.BGC"})
    assert err.value.translation_key == "communication_error"
    assert not files_in(media)


async def test_size_limit(
    hass: HomeAssistant,
    prusa_printer: PrusaLinkSimulator,
    media: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Files above the limit are refused: by the announced size and while streaming."""
    await setup_printer(hass, prusa_printer)
    device = device_id(hass, prusa_printer)
    monkeypatch.setattr("custom_components.printernizer.files.MAX_TRANSFER_BYTES", 50_000)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "download_file", {ATTR_DEVICE_ID: device, "path": "/usb/BENCHY~1.BGC"})
    assert err.value.translation_key == "file_too_large"
    prusa_printer.machine.files[0].size = 10  # announced small, streams 100 kB
    prusa_printer.machine.files[0].content = b"x" * 100_000
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "download_file", {ATTR_DEVICE_ID: device, "path": "/usb/BENCHY~1.BGC"})
    assert err.value.translation_key == "file_too_large"


async def test_job_metadata(
    hass: HomeAssistant,
    prusa_printer: PrusaLinkSimulator,
    media: Path,  # noqa: F811
) -> None:
    """A Prusa job's metadata comes from the file's PrusaLink ``meta``; the picture from refs."""
    entry = await setup_printer(hass, prusa_printer)
    coordinator = entry.runtime_data
    prusa_printer.machine.start("VASE_S~1.BGC")
    await coordinator.async_refresh()
    info = await coordinator.async_job_file_info()
    assert info is not None
    assert info.file == "/usb/VASE_S~1.BGC"
    assert info.metadata is not None
    assert info.metadata.estimated_s == 125 * 60
    assert info.metadata.filament_g == 25.0
    assert info.metadata.material == "PLA"
    assert info.thumbnail_path is not None
    assert read(info.thumbnail_path) == prusa_printer.machine.files[2].thumbnail
    assert info.content_type == "image/png"
    # Asked once per job.
    count = prusa_printer.count("/api/v1/files/usb/VASE_S~1.BGC")
    assert await coordinator.async_job_file_info() == info
    assert prusa_printer.count("/api/v1/files/usb/VASE_S~1.BGC") == count


def test_split_path() -> None:
    """Storage and path come apart; escapes are refused."""
    target = prusa_files.split_path("/usb/a b/C.GCO")
    assert (target.storage, target.path, target.display) == ("usb", "a b/C.GCO", "/usb/a b/C.GCO")
    assert target.api_path == "/api/v1/files/usb/a%20b/C.GCO"
    for bad in ("/usb", "", "/usb/../etc", "/usb/a\nb"):
        with pytest.raises(ValueError, match="printer path"):
            prusa_files.split_path(bad)
