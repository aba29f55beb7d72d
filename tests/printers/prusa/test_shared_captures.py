"""Every published PrusaLink response, served by the simulator and parsed through the client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from custom_components.printernizer.printers.model import PrinterStatus
from custom_components.printernizer.printers.prusa.client import PrusaLinkClient
from custom_components.printernizer.printers.prusa.parser import (
    parse_job,
    parse_legacy,
    parse_legacy_material,
    parse_status,
)
from tests.shared import load_capture, requires_shared, shared_files
from tests.simulators.prusa.server import PrusaLinkSimulator

pytestmark = requires_shared
NOW = datetime(2025, 1, 2, 12, 0, tzinfo=UTC)
FILES = {path.name: path for path in shared_files("prusalink/responses")}


def capture(name: str) -> Any:
    return load_capture(FILES[name])


# ---------------------------------------------------------------- /api/version (+ no v1 info)

VERSION_EXPECTED = {
    "api-version_legacy-fw__pyprusalink_test.json": ("prusa-mk39", "MK3.9", None, None),
    "core-one_api-version_fw6.5.3__pyprusalink_test.json": (
        "prusa-core-one",
        "CORE One",
        "7.1.0",
        "6.5.3+12780",
    ),
    "mini_api-version__ha-core_conftest-old.json": ("PrusaMINI", "MINI", None, None),
    "mk4_api-version__emischorr_prusa_link.json": ("prusa-mk4", "MK4", None, None),
    "xl_api-version__ha-core_conftest.json": ("PrusaXL", "XL", None, None),
}


@pytest.mark.parametrize("name", sorted(VERSION_EXPECTED))
async def test_version(
    name: str, prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient
) -> None:
    prusa_printer.set_response("/api/version", capture(name))
    prusa_printer.set_response("/api/v1/info", {"title": "Not Found"}, 404)
    info = await client.get_printer_info()
    serial, model, model_id, firmware = VERSION_EXPECTED[name]
    assert info.serial == serial  # fallback: hostname from /api/version
    assert info.name == serial
    assert info.model == model
    assert info.model_id == model_id
    assert info.firmware == firmware
    assert client.version == capture(name)


# ---------------------------------------------------------------- /api/v1/info

INFO_EXPECTED = {
    "mk4_v1-info__emischorr_prusa_link.json": ("1234567890", "prusa-mk4"),
    "v1-info_full__pyprusalink_test.json": ("CZPX4720X004XC34242", "MuadDib"),
    "v1-info_minimal__pyprusalink_test.json": ("CZPX4720X004XC34242", "prusa-mk4"),
    "xl_v1-info__ha-core_conftest.json": ("serial-1337", "prusa-mk4"),
}


@pytest.mark.parametrize("name", sorted(INFO_EXPECTED))
async def test_info(name: str, prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient) -> None:
    prusa_printer.set_response("/api/v1/info", capture(name))
    info = await client.get_printer_info()
    serial, printer_name = INFO_EXPECTED[name]
    assert info.serial == serial
    assert info.name == printer_name
    assert info.model == "MK4"  # from the simulator's /api/version printer type 1.4.0
    assert info.model_id == "1.4.0"


# ---------------------------------------------------------------- /api/v1/status

STATUS_EXPECTED: dict[str, dict[str, Any]] = {
    "mk4-family_v1-status_IDLE__link-sync_conftest.json": {
        "status": PrinterStatus.IDLE,
        "nozzle_temperature": 26.5,
        "nozzle_target_temperature": 0.0,
        "bed_temperature": 25.1,
        "bed_target_temperature": 0.0,
        "print_speed": 100,
        "flow": 100,
        "hotend_fan_rpm": 0,
        "print_fan_rpm": 0,
        "job_id": None,
        "progress": None,
        "remaining_time": None,
    },
    "mk4_v1-status_PRINTING__emischorr_prusa_link.json": {
        "status": PrinterStatus.PRINTING,
        "nozzle_temperature": 209.9,
        "nozzle_target_temperature": 210.0,
        "bed_temperature": 60.0,
        "bed_target_temperature": 60.0,
        "print_speed": 100,
        "flow": 100,
        "hotend_fan_rpm": 3099,
        "print_fan_rpm": 5964,
        "job_id": "297",
        "progress": 91.0,
        "remaining_time": 10,
        "job_start": NOW - timedelta(seconds=7718),
        "job_end": NOW + timedelta(seconds=600),
    },
    "v1-status_IDLE__ha-core_conftest.json": {
        "status": PrinterStatus.IDLE,
        "nozzle_temperature": 47.8,
        "nozzle_target_temperature": 210.1,
        "bed_temperature": 41.9,
        "bed_target_temperature": 60.5,
        "hotend_fan_rpm": 100,
        "print_fan_rpm": 75,
        "job_id": None,
    },
    "v1-status_IDLE__pyprusalink_test.json": {
        "status": PrinterStatus.IDLE,
        "nozzle_temperature": 27.6,
        "nozzle_target_temperature": 0.0,
        "bed_temperature": 24.3,
        "bed_target_temperature": 0.0,
        "job_id": None,
    },
    "v1-status_PRINTING__ha-core_conftest.json": {
        "status": PrinterStatus.PRINTING,
        "nozzle_temperature": 6.0,
        "nozzle_target_temperature": 0.0,
        "bed_temperature": 53.9,
        "bed_target_temperature": 85.0,
        "hotend_fan_rpm": 5000,
        "print_fan_rpm": 2500,
        "job_id": "129",
        "progress": 37.0,
        "remaining_time": 1217,
        "job_start": NOW - timedelta(seconds=43987),
        "job_end": NOW + timedelta(seconds=73020),
    },
    "v1-status_PRINTING__pyprusalink_test.json": {
        "status": PrinterStatus.PRINTING,
        "nozzle_temperature": 214.9,
        "nozzle_target_temperature": 215.0,
        "bed_temperature": 59.5,
        "bed_target_temperature": 60.0,
        "hotend_fan_rpm": 1200,
        "print_fan_rpm": 4500,
        "job_id": "42",
        "progress": 55.0,
        "remaining_time": 16,
        "job_start": NOW - timedelta(seconds=1200),
        "job_end": NOW + timedelta(seconds=980),
    },
}


@pytest.mark.parametrize("name", sorted(STATUS_EXPECTED))
async def test_status(
    name: str, prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient
) -> None:
    prusa_printer.set_response("/api/v1/status", capture(name))
    state = parse_status(await client.get_status(), now=NOW, issues=client.issues)
    for attribute, expected in STATUS_EXPECTED[name].items():
        assert getattr(state, attribute) == expected, attribute
    assert state.extra["storage"][0]["name"] == "usb"
    assert client.issues.count == 0
    if name == "v1-status_PRINTING__pyprusalink_test.json":
        assert state.extra["storage"][0]["free_space"] == 4202335


# ---------------------------------------------------------------- /api/v1/job

JOB_EXPECTED: dict[str, dict[str, Any]] = {
    "mk3_v1-job_IDLE-with-file__ha-core_conftest.json": {
        "job_id": "129",
        "state": "IDLE",
        "file": "TabletStand3.bgcode",
        "path": "/usb/TabletStand3~4.BGC",
        "thumbnail_url": "/thumb/l/usb/TabletStand3~4.BGC",
        "size": 754535,
        "progress": 0.0,
        "time_remaining": None,
        "time_printing": 0.0,
    },
    "mk4_v1-job_PRINTING__emischorr_prusa_link.json": {
        "job_id": "297",
        "state": "PRINTING",
        "file": "murcielago-grande_0.4n_0.2mm_PLA_MK4_2h16m.bgcode",
        "path": "/usb/MURCIE~1.BGC",
        "thumbnail_url": "/thumb/l/usb/MURCIE~1.BGC",
        "size": 1176046,
        "progress": 92.0,
        "time_remaining": 540.0,
        "time_printing": 7799.0,
    },
    "v1-job_PRINTING__ha-core_conftest.json": {
        "job_id": "129",
        "state": "PRINTING",
        "file": "TabletStand3.bgcode",
        "thumbnail_url": "/thumb/l/usb/TabletStand3~4.BGC",
        "progress": 37.0,
        "time_remaining": 73020.0,
        "time_printing": 43987.0,
    },
    "v1-job_PRINTING__pyprusalink_test.json": {
        "job_id": "42",
        "state": "PRINTING",
        "file": "test_print.gcode",
        "path": "/local/TEST~1.gco",
        "thumbnail_url": "/api/thumbnails/local/test.gcode.orig.png",
        "size": 2393142,
        "progress": 55.0,
        "time_remaining": 980.0,
        "time_printing": 1200.0,
    },
}


@pytest.mark.parametrize("name", sorted(JOB_EXPECTED))
async def test_job(name: str, prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient) -> None:
    prusa_printer.set_response("/api/v1/job", capture(name))
    job = parse_job(await client.get_job())
    assert job is not None
    for attribute, expected in JOB_EXPECTED[name].items():
        assert getattr(job, attribute) == expected, attribute
    # Combined with a status of the same job: file and thumbnail reach the state.
    status = {"printer": {"state": "PRINTING"}, "job": {"id": int(job.job_id or 0)}}
    state = parse_status(status, job=job, now=NOW)
    assert state.file == JOB_EXPECTED[name]["file"]
    assert state.thumbnail_url == JOB_EXPECTED[name]["thumbnail_url"]
    assert state.progress == JOB_EXPECTED[name]["progress"]


# ---------------------------------------------------------------- legacy /api/job

LEGACY_JOB_EXPECTED: dict[str, dict[str, Any]] = {
    "mini_legacy-api-job_Operational-nojob__ha-core_conftest-old.json": {
        "status": PrinterStatus.IDLE,
        "file": None,
        "progress": None,
        "remaining_time": None,
        "job_start": None,
    },
    "mini_legacy-api-job_after-finish-Operational_fw4.4.1__issue_Prusa-Link-Web-431.json": {
        "status": PrinterStatus.IDLE,
        "file": None,
        "progress": None,
    },
    "mini_legacy-api-job_Printing__ha-core_conftest-old.json": {
        "status": PrinterStatus.PRINTING,
        "file": "TabletStand3.gcode",
        "progress": pytest.approx(37.0),
        "remaining_time": 1217,
        "job_start": NOW - timedelta(seconds=43987),
        "job_end": NOW + timedelta(seconds=73020),
    },
    "mini_legacy-api-job_Printing__issue_gethomepage-606.json": {
        "status": PrinterStatus.PRINTING,
        "file": "1,75-Clip-Closed-Hole_0.15mm_PLA_MINI_8m.gcode",
        "progress": pytest.approx(23.0),
        "remaining_time": 6,
        "job_start": NOW - timedelta(seconds=290),
    },
    "mk4_legacy-api-job_Printing__issue_Prusa-Link-Web-373.json": {
        "status": PrinterStatus.PRINTING,
        "file": "HatPlate_0.4n_0.3mm_PLA_MK4_2h32m.gcode",
        "progress": pytest.approx(24.0),
        "remaining_time": 114,
        "job_start": NOW - timedelta(seconds=2455),
    },
    "mk4_legacy-api-job_Printing_fw4.7.0__issue_Prusa-Firmware-Buddy-3135.json": {
        "status": PrinterStatus.PRINTING,
        "file": "filename.gcode",
        "progress": pytest.approx(88.0),
        "remaining_time": 16,
        "job_end": NOW + timedelta(seconds=960),
    },
}


@pytest.mark.parametrize("name", sorted(LEGACY_JOB_EXPECTED))
async def test_legacy_job(
    name: str, prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient
) -> None:
    prusa_printer.set_response("/api/job", capture(name))
    state = parse_legacy(None, await client.get_legacy_job(), now=NOW)
    for attribute, expected in LEGACY_JOB_EXPECTED[name].items():
        assert getattr(state, attribute) == expected, attribute


# ---------------------------------------------------------------- legacy /api/printer

LEGACY_PRINTER_EXPECTED: dict[str, dict[str, Any]] = {
    "legacy-api-printer_minimal__ha-core_conftest.json": {
        "status": PrinterStatus.IDLE,
        "nozzle_temperature": None,
    },
    "legacy-api-printer_minimal__pyprusalink_test.json": {
        "status": PrinterStatus.IDLE,
        "bed_temperature": None,
    },
    "mini_legacy-api-printer_Operational__ha-core_conftest-old.json": {
        "status": PrinterStatus.IDLE,
        "nozzle_temperature": 47.8,
        "nozzle_target_temperature": 210.1,
        "bed_temperature": 41.9,
        "bed_target_temperature": 60.5,
        "print_speed": 100,
    },
}


@pytest.mark.parametrize("name", sorted(LEGACY_PRINTER_EXPECTED))
async def test_legacy_printer(
    name: str, prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient
) -> None:
    prusa_printer.set_response("/api/printer", capture(name))
    data = await client.get_legacy_printer()
    assert parse_legacy_material(data) == "PLA"
    state = parse_legacy(data, None, now=NOW)
    for attribute, expected in LEGACY_PRINTER_EXPECTED[name].items():
        assert getattr(state, attribute) == expected, attribute
    assert state.external_spool is not None
    assert state.external_spool.material == "PLA"
    assert state.active_filament == state.external_spool


# ---------------------------------------------------------------- files, storage, transfer


async def test_files_listing_mk4(
    prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient
) -> None:
    prusa_printer.set_response(
        "/api/v1/files/usb", capture("mk4_v1-files-usb_listing__emischorr_prusa_link.json")
    )
    files = await client.get_files("usb")
    assert [f.display_name for f in files] == [
        "painting_cone_0.4n_0.2mm_PETG_MK4_31m.bgcode",
        "ghost_0.4n_0.2mm_PLA_MK4_1h50m.bgcode",
    ]
    first = files[0]
    assert first.name == "PAINTI~1.BGC"
    assert first.path == "/usb/PAINTI~1.BGC"
    assert first.type == "PRINT_FILE"
    assert first.size is None
    assert first.read_only is False
    assert first.modified == datetime.fromtimestamp(1729258582, UTC)
    assert first.thumbnail_url == "/thumb/l/usb/PAINTI~1.BGC"
    assert first.download_url == "/usb/PAINTI~1.BGC"


async def test_files_listing_with_folder(
    prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient
) -> None:
    prusa_printer.set_response(
        "/api/v1/files/usb", capture("v1-files-usb_listing_with-folder__link-sync_conftest.json")
    )
    files = await client.get_files("usb")
    assert [(f.name, f.display_name, f.type) for f in files] == [
        ("BENCHY.GCO", "benchy.gcode", "PRINT_FILE"),
        ("OTHER", "Other", "FOLDER"),
    ]
    assert files[1].thumbnail_url is None
    assert files[1].modified == datetime.fromtimestamp(1693516266, UTC)


async def test_upload_response(prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient) -> None:
    prusa_printer.set_response(
        "/api/v1/files/usb/ATLC~1.BGC",
        capture("mk4_v1-files-usb_PUT-upload-response__emischorr_prusa_link.json"),
    )
    entry = await client.get_file_info("usb", "ATLC~1.BGC")
    assert entry is not None
    assert entry.display_name == "atlc.bgcode"
    assert entry.path == "/usb/ATLC~1.BGC"
    assert entry.size == 437662
    assert entry.thumbnail_url == "/thumb/l/usb/ATLC~1.BGC"
    assert entry.modified == datetime.fromtimestamp(1730217507, UTC)


@pytest.mark.parametrize(
    ("name", "free"),
    [
        ("mk4_v1-storage__emischorr_prusa_link.json", None),
        ("v1-storage__pyprusalink_test.json", 14123456789),
    ],
)
async def test_storage(
    name: str, free: int | None, prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient
) -> None:
    prusa_printer.set_response("/api/v1/storage", capture(name))
    storages = await client.get_storage()
    assert len(storages) == 1
    assert storages[0]["name"] == "usb"
    assert storages[0]["available"] is True
    assert storages[0].get("free_space") == free


async def test_transfer(prusa_printer: PrusaLinkSimulator, client: PrusaLinkClient) -> None:
    prusa_printer.set_response("/api/v1/transfer", capture("v1-transfer__pyprusalink_test.json"))
    transfer = await client.get_transfer()
    assert transfer is not None
    assert transfer.transfer_id == "7"
    assert transfer.type == "FROM_WEB"
    assert transfer.display_name == "model.gcode"
    assert transfer.size == 2393142  # a string in the capture
    assert transfer.progress == 42.25
    assert transfer.remaining_time == 1
    assert transfer.to_print is False


HANDLED = (
    set(VERSION_EXPECTED)
    | set(INFO_EXPECTED)
    | set(STATUS_EXPECTED)
    | set(JOB_EXPECTED)
    | set(LEGACY_JOB_EXPECTED)
    | set(LEGACY_PRINTER_EXPECTED)
    | {
        "mk4_v1-files-usb_listing__emischorr_prusa_link.json",
        "v1-files-usb_listing_with-folder__link-sync_conftest.json",
        "mk4_v1-files-usb_PUT-upload-response__emischorr_prusa_link.json",
        "mk4_v1-storage__emischorr_prusa_link.json",
        "v1-storage__pyprusalink_test.json",
        "v1-transfer__pyprusalink_test.json",
    }
)


def test_every_capture_is_covered() -> None:
    """A new capture in the shared folder must get explicit assertions here."""
    assert FILES, "no captures found"
    assert set(FILES) == HANDLED, set(FILES) ^ HANDLED
    assert all(isinstance(path, Path) for path in FILES.values())
