"""File actions on a simulated Bambu Lab printer (implicit FTPS over real sockets)."""

from __future__ import annotations

import asyncio
from functools import partial
import io
import os
from pathlib import Path
import zipfile

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
import pytest

from custom_components.printernizer.const import (
    CONF_AUTO_DOWNLOAD,
    CONF_AUTO_DOWNLOAD_MAX_FILES,
    DOMAIN,
    EVENT_FILE_TRANSFER,
)
from custom_components.printernizer.files import MAX_TRANSFER_BYTES
from tests import setup_printer, wait_for
from tests.simulators.bambu.simulator import BambuSimulator
from tests.simulators.prusa.machine import make_png


def files_in(folder: Path) -> list[Path]:
    """Return every file below ``folder``."""
    return [path for path in folder.rglob("*") if path.is_file()]


def read(path: str | Path) -> bytes:
    """Return a file's bytes."""
    return Path(path).read_bytes()


def exists(path: Path) -> bool:
    """Return whether a file exists."""
    return path.exists()


def missing(path: Path) -> bool:
    """Return whether a file is gone."""
    return not path.exists()


@pytest.fixture
def media(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Make ``tmp_path/media`` the only folder Home Assistant may use (and the media folder)."""
    folder = tmp_path / "media"
    folder.mkdir()
    hass.config.media_dirs = {"local": str(folder)}
    hass.config.allowlist_external_dirs = {str(folder)}
    return folder


def project_3mf(**kwargs: object) -> bytes:
    """Return the (cached) project for these arguments: zip members carry timestamps."""
    key = tuple(sorted(kwargs.items()))
    if key not in _PROJECTS:
        _PROJECTS[key] = _make_3mf(**kwargs)  # type: ignore[arg-type]
    return _PROJECTS[key]


_PROJECTS: dict[tuple[tuple[str, object], ...], bytes] = {}


def _make_3mf(*, minutes: int = 12, grams: float = 4.5, picture: bytes | None = None) -> bytes:
    """Build a small sliced project like Bambu Studio writes (slice_info + plate picture)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "Metadata/slice_info.config",
            '<config><plate><metadata key="index" value="1"/>'
            f'<metadata key="prediction" value="{minutes * 60}"/>'
            f'<metadata key="weight" value="{grams}"/>'
            f'<filament id="1" type="PETG" color="#FF0000" used_m="1.5" used_g="{grams}"/>'
            "</plate></config>",
        )
        archive.writestr("Metadata/plate_1.png", picture or make_png(12, 12, (200, 0, 0)))
    return buffer.getvalue()


def device_id(hass: HomeAssistant, printer: object) -> str:
    """Return the device id of a simulated printer's device."""
    serial = printer.serial  # type: ignore[attr-defined]
    entry = next(e for e in hass.config_entries.async_entries(DOMAIN) if e.unique_id == serial)
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, serial), entry.entry_id)
    assert device is not None
    return device.id


async def call(
    hass: HomeAssistant, service: str, data: dict[str, object], *, response: bool = False
) -> dict[str, object] | None:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=response
    )


async def test_list_download_upload_delete_start(
    hass: HomeAssistant, bambu_printer: BambuSimulator, media: Path
) -> None:
    """Every file action against the printer's SD card, with progress events."""
    ftps = bambu_printer.ftps
    assert ftps is not None
    ftps.put("/cache/benchy.3mf", project_3mf())
    ftps.put("/model/cube.3mf", b"cube")
    await setup_printer(hass, bambu_printer)
    device = device_id(hass, bambu_printer)
    events: list[Event] = []
    hass.bus.async_listen(EVENT_FILE_TRANSFER, events.append)

    listing = await call(hass, "list_files", {ATTR_DEVICE_ID: device}, response=True)
    assert listing is not None
    paths = {entry["path"]: entry for entry in listing["files"]}  # type: ignore[union-attr]
    assert paths["/cache/benchy.3mf"]["size"] == len(project_3mf())
    assert paths["/cache/benchy.3mf"]["type"] == "file"
    assert "/model/cube.3mf" in paths
    one = await call(hass, "list_files", {ATTR_DEVICE_ID: device, "path": "/model"}, response=True)
    assert one == {"files": [paths["/model/cube.3mf"]]}

    result = await call(
        hass, "download_file", {ATTR_DEVICE_ID: device, "path": "/cache/benchy.3mf"}, response=True
    )
    assert result is not None
    local = Path(str(result["path"]))
    assert local.parent == media / "printernizer" / f"printer_{bambu_printer.serial[-4:].lower()}"
    assert read(local) == project_3mf()
    assert result["size"] == len(project_3mf())
    await hass.async_block_till_done()
    assert events[0].data["state"] == "started"
    assert events[-1].data["state"] == "finished"
    assert events[-1].data["percent"] == 100.0
    assert events[-1].data["device_id"] == device

    # A second download into the same place needs overwrite; a folder target keeps the name.
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "download_file", {ATTR_DEVICE_ID: device, "path": "/cache/benchy.3mf"})
    assert err.value.translation_key == "local_file_exists"
    await call(
        hass,
        "download_file",
        {ATTR_DEVICE_ID: device, "path": "/cache/benchy.3mf", "overwrite": True},
    )
    copy = await call(
        hass,
        "download_file",
        {ATTR_DEVICE_ID: device, "path": "/model/cube.3mf", "target": "copies/"},
        response=True,
    )
    assert copy == {"path": str(media / "printernizer" / "copies" / "cube.3mf"), "size": 4}

    source = media / "upload.gcode.3mf"
    source.write_bytes(project_3mf(minutes=3))
    await call(hass, "upload_file", {ATTR_DEVICE_ID: device, "source": str(source)})
    assert ftps.files["/upload.gcode.3mf"].data == source.read_bytes()
    await hass.async_block_till_done()
    assert events[-1].data["direction"] == "upload"

    await call(
        hass,
        "start_print",
        {
            ATTR_DEVICE_ID: device,
            "path": "/cache/benchy.3mf",
            "plate": 2,
            "ams_mapping": [1, -1],
            "timelapse": True,
            "bed_levelling": False,
        },
    )
    request = (await bambu_printer.wait_for_request("project_file"))["print"]
    assert request["param"] == "Metadata/plate_2.gcode"
    assert request["url"] == "ftp:///cache/benchy.3mf"
    assert request["ams_mapping"] == [1, -1]
    assert request["use_ams"] is True
    assert request["timelapse"] is True
    assert request["bed_leveling"] is False

    await call(hass, "delete_file", {ATTR_DEVICE_ID: device, "path": "/upload.gcode.3mf"})
    assert "/upload.gcode.3mf" not in ftps.files
    assert all(ftps.data_sessions_reused)


async def test_upload_and_start(
    hass: HomeAssistant, bambu_printer: BambuSimulator, media: Path
) -> None:
    """``start`` prints the uploaded file; a rejected start is a translated error."""
    await setup_printer(hass, bambu_printer)
    device = device_id(hass, bambu_printer)
    source = media / "printernizer" / "part.3mf"
    source.parent.mkdir()
    source.write_bytes(project_3mf())
    await call(
        hass,
        "upload_file",
        {ATTR_DEVICE_ID: device, "source": "part.3mf", "path": "/cache/part.3mf", "start": True},
    )
    request = (await bambu_printer.wait_for_request("project_file"))["print"]
    assert request["url"] == "ftp:///cache/part.3mf"
    bambu_printer.reject_next("project_file", "printer is busy")
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "start_print", {ATTR_DEVICE_ID: device, "path": "/cache/part.3mf"})
    assert err.value.translation_key == "command_rejected"


@pytest.mark.parametrize(
    "attack",
    [
        "../secret.txt",
        "/etc/passwd",
        "printernizer/../../secret.txt",
        "link_out/secret.txt",
        "dangling",
        "",
    ],
)
async def test_path_attacks(
    hass: HomeAssistant, bambu_printer: BambuSimulator, media: Path, tmp_path: Path, attack: str
) -> None:
    """``..``, absolute escapes and symlinks out of allowed folders are refused both ways."""
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    (media / "printernizer").mkdir()
    os.symlink(tmp_path, media / "printernizer" / "link_out")
    os.symlink(tmp_path / "created-outside", media / "printernizer" / "dangling")
    bambu_printer.ftps.put("/a.3mf", b"a")  # type: ignore[union-attr]
    await setup_printer(hass, bambu_printer)
    device = device_id(hass, bambu_printer)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "upload_file", {ATTR_DEVICE_ID: device, "source": attack})
    assert err.value.translation_key in ("local_path_not_allowed", "local_file_not_found")
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "download_file",
            {ATTR_DEVICE_ID: device, "path": "/a.3mf", "target": attack or " ", "overwrite": True},
        )
    assert err.value.translation_key == "local_path_not_allowed"
    assert secret.read_text() == "top secret"
    assert not (tmp_path / "created-outside").exists()


async def test_printer_path_and_size_errors(
    hass: HomeAssistant, bambu_printer: BambuSimulator, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bad printer paths, missing files and too large files are user errors."""
    ftps = bambu_printer.ftps
    assert ftps is not None
    ftps.put("/big.3mf", b"b" * 5000)
    await setup_printer(hass, bambu_printer)
    device = device_id(hass, bambu_printer)
    for service, data in (
        ("delete_file", {"path": "/cache/../../etc"}),
        ("start_print", {"path": "../x.3mf"}),
        ("list_files", {"path": "/a/../.."}),
        ("download_file", {"path": "/"}),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call(
                hass, service, {ATTR_DEVICE_ID: device, **data}, response=service == "list_files"
            )
        assert err.value.translation_key == "invalid_printer_path", service
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "download_file", {ATTR_DEVICE_ID: device, "path": "/nope.3mf"})
    assert err.value.translation_key == "printer_file_not_found"
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "list_files", {ATTR_DEVICE_ID: device, "path": "/nope"}, response=True)
    assert err.value.translation_key == "printer_file_not_found"
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "start_print", {ATTR_DEVICE_ID: device, "path": "/"})
    assert err.value.translation_key == "invalid_printer_path"

    monkeypatch.setattr("custom_components.printernizer.files.MAX_TRANSFER_BYTES", 1000)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "download_file", {ATTR_DEVICE_ID: device, "path": "/big.3mf"})
    assert err.value.translation_key == "file_too_large"
    assert not list((media / "printernizer").rglob("*.part"))
    big = media / "big.bin"
    big.write_bytes(b"x" * 2000)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "upload_file", {ATTR_DEVICE_ID: device, "source": str(big)})
    assert err.value.translation_key == "file_too_large"
    assert MAX_TRANSFER_BYTES == 1024**3


async def test_missing_card(
    hass: HomeAssistant, bambu_printer: BambuSimulator, media: Path
) -> None:
    """No SD card: a translated error and a repair issue, gone once a card is back."""
    await setup_printer(hass, bambu_printer)
    device = device_id(hass, bambu_printer)
    bambu_printer.set_storage_present(False)
    bambu_printer.push_full()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    await wait_for(
        hass, lambda: entry.runtime_data.tracker.raw.get("sdcard") is False, what="sdcard false"
    )
    issues = ir.async_get(hass)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "list_files", {ATTR_DEVICE_ID: device}, response=True)
    assert err.value.translation_key == "no_storage"
    issue = issues.async_get_issue(DOMAIN, f"no_storage_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "no_storage"
    source = media / "x.gcode"
    source.write_text("G28\n")
    for service, data in (
        ("upload_file", {"source": str(source)}),
        ("delete_file", {"path": "/x.gcode"}),
        ("start_print", {"path": "/x.3mf"}),
        ("download_file", {"path": "/x.3mf"}),
    ):
        with pytest.raises(HomeAssistantError) as err:
            await call(hass, service, {ATTR_DEVICE_ID: device, **data})
        assert err.value.translation_key == "no_storage"

    # The report said nothing yet, but the FTP server has no card: same answer.
    bambu_printer.state.pop("sdcard")
    bambu_printer.ftps.storage_present = False  # type: ignore[union-attr]
    bambu_printer.push_full()
    bambu_printer.set_storage_present(True)
    bambu_printer.push_full()
    await wait_for(
        hass, lambda: entry.runtime_data.tracker.raw.get("sdcard") is True, what="sdcard true"
    )
    assert await call(hass, "list_files", {ATTR_DEVICE_ID: device}, response=True)
    assert issues.async_get_issue(DOMAIN, f"no_storage_{entry.entry_id}") is None


async def test_transfer_failures(
    hass: HomeAssistant,
    bambu_printer: BambuSimulator,
    media: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A cut transfer or a refusing server is a HomeAssistantError; nothing half-written stays."""
    ftps = bambu_printer.ftps
    assert ftps is not None
    ftps.put("/cache/f.3mf", b"z" * 200_000)
    await setup_printer(hass, bambu_printer)
    device = device_id(hass, bambu_printer)
    events: list[Event] = []
    hass.bus.async_listen(EVENT_FILE_TRANSFER, events.append)
    # Progress events of a long transfer (here: every chunk).
    monkeypatch.setattr("custom_components.printernizer.files.PROGRESS_INTERVAL", 0)
    ftps.transfer_delay = 0.001
    await call(hass, "download_file", {ATTR_DEVICE_ID: device, "path": "/cache/f.3mf"})
    await hass.async_block_till_done()
    running = [e.data for e in events if e.data["state"] == "running"]
    assert running
    assert 0 < running[0]["percent"] <= 100
    assert running[-1]["total"] == 200_000
    ftps.transfer_delay = 0
    for path in files_in(media):
        path.unlink()
    events.clear()
    ftps.abort_next_transfer()
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "download_file", {ATTR_DEVICE_ID: device, "path": "/cache/f.3mf"})
    assert err.value.translation_key == "communication_error"
    await hass.async_block_till_done()
    assert events[-1].data["state"] == "failed"
    assert not files_in(media)
    ftps.fail_next("DELE", "450 Requested file action not taken")
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "delete_file", {ATTR_DEVICE_ID: device, "path": "/cache/f.3mf"})
    assert err.value.translation_key == "command_rejected"
    source = media / "u.gcode"
    source.write_bytes(b"G1\n" * 50_000)
    ftps.abort_next_transfer()
    with pytest.raises(HomeAssistantError):
        await call(hass, "upload_file", {ATTR_DEVICE_ID: device, "source": str(source)})
    await hass.async_block_till_done()
    assert events[-1].data["state"] == "failed"
    await bambu_printer.ftps.stop()  # type: ignore[union-attr]
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "list_files", {ATTR_DEVICE_ID: device}, response=True)
    assert err.value.translation_key == "communication_error"


async def test_job_metadata_and_auto_download(
    hass: HomeAssistant, bambu_printer: BambuSimulator, media: Path
) -> None:
    """A job's project gives filament, time and picture; finished jobs are downloaded, bounded."""
    ftps = bambu_printer.ftps
    assert ftps is not None
    ftps.put("/cache/benchy.3mf", project_3mf(minutes=12, grams=4.5))
    ftps.put("/gear.gcode.3mf", project_3mf(minutes=30, grams=9))
    entry = await setup_printer(
        hass,
        bambu_printer,
        options={CONF_AUTO_DOWNLOAD: True, CONF_AUTO_DOWNLOAD_MAX_FILES: 1},
    )
    coordinator = entry.runtime_data
    assert await coordinator.async_job_file_info() is None  # no job yet

    job = bambu_printer.start_print("benchy.3mf", prepare_ticks=0, print_ticks=3)
    await wait_for(hass, lambda: coordinator.data.file == "benchy", what="job file")
    info = await coordinator.async_job_file_info()
    assert info is not None
    assert info.file == "/cache/benchy.3mf"
    assert info.metadata is not None
    assert (info.metadata.filament_g, info.metadata.estimated_s) == (4.5, 720)
    assert info.metadata.material == "PETG"
    assert info.thumbnail_path is not None
    assert read(info.thumbnail_path) == make_png(12, 12, (200, 0, 0))
    assert coordinator.files.cached_job_file_info() == info
    assert job.file == "benchy.3mf"

    folder = media / "printernizer" / f"printer_{bambu_printer.serial[-4:].lower()}"
    await wait_for(hass, partial(exists, folder / "benchy.3mf"), what="auto-download")
    await hass.async_block_till_done(wait_background_tasks=True)
    # The listing now carries the file's metadata.
    listing = await call(
        hass,
        "list_files",
        {ATTR_DEVICE_ID: device_id(hass, bambu_printer), "path": "/cache"},
        response=True,
    )
    assert listing["files"][0]["metadata"]["filament_g"] == 4.5  # type: ignore[index]

    bambu_printer.start_print("gear", prepare_ticks=0, print_ticks=3)
    await wait_for(hass, partial(exists, folder / "gear.gcode.3mf"), what="second download")
    await hass.async_block_till_done(wait_background_tasks=True)
    # Bounded to one file: the older download is gone.
    await wait_for(hass, partial(missing, folder / "benchy.3mf"), what="pruned")
    assert len(coordinator.files.auto_downloads) == 2


async def test_job_without_file(
    hass: HomeAssistant, bambu_printer: BambuSimulator, media: Path
) -> None:
    """A job whose file is not on the card has no metadata; auto-download does nothing."""
    entry = await setup_printer(hass, bambu_printer, options={CONF_AUTO_DOWNLOAD: True})
    coordinator = entry.runtime_data
    bambu_printer.start_print("ghost.3mf", prepare_ticks=0, print_ticks=2)
    await wait_for(hass, lambda: coordinator.data.file == "ghost", what="job")
    assert await coordinator.async_job_file_info() is None
    await wait_for(hass, lambda: coordinator.data.status == "finished", what="finish")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert coordinator.files.auto_downloads == []
    await asyncio.sleep(0)
