"""Parser edge cases: garbage never raises, times do not jitter, state mapping, identity."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
import logging
from typing import Any

import pytest

from custom_components.printernizer.printers.model import ErrorSeverity, PrinterState, PrinterStatus
from custom_components.printernizer.printers.prusa.identity import is_resin, parse_printer_info
from custom_components.printernizer.printers.prusa.listing import (
    parse_file,
    parse_files,
    parse_storage,
    parse_transfer,
)
from custom_components.printernizer.printers.prusa.parser import (
    map_legacy_state,
    map_v1_state,
    parse_job,
    parse_legacy,
    parse_status,
)
from custom_components.printernizer.printers.prusa.values import ParseIssues

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def status(
    state: str = "PRINTING", job: dict[str, Any] | None = None, **printer: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"printer": {"state": state, **printer}}
    if job is not None:
        body["job"] = job
    return body


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("IDLE", PrinterStatus.IDLE),
        ("READY", PrinterStatus.IDLE),
        ("BUSY", PrinterStatus.BUSY),
        ("PRINTING", PrinterStatus.PRINTING),
        ("PAUSED", PrinterStatus.PAUSED),
        ("FINISHED", PrinterStatus.FINISHED),
        ("STOPPED", PrinterStatus.CANCELLED),
        ("ERROR", PrinterStatus.ERROR),
        ("ATTENTION", PrinterStatus.ATTENTION),
        ("printing", PrinterStatus.PRINTING),
    ],
)
def test_v1_states(raw: str, expected: PrinterStatus) -> None:
    assert map_v1_state(raw) is expected
    assert parse_status(status(raw), now=NOW).status is expected


def test_unknown_states() -> None:
    assert map_v1_state(3) is None
    assert map_legacy_state(None) is None
    issues = ParseIssues()
    assert parse_status(status("WARPING"), now=NOW, issues=issues).status is PrinterStatus.IDLE
    assert issues.count == 1
    assert parse_status({}, now=NOW).status is PrinterStatus.ERROR


def test_garbage_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    issues = ParseIssues()
    garbage: list[Any] = [
        None,
        [],
        "x",
        42,
        {"printer": "hot", "job": [1], "storage": 7, "camera": "yes"},
        {
            "printer": {
                "state": 5,
                "temp_nozzle": "warm",
                "target_bed": True,
                "speed": float("nan"),
                "flow": "95",
            }
        },
        {
            "printer": {"state": "PRINTING"},
            "job": {"id": {"x": 1}, "progress": "a", "time_remaining": -5},
        },
        {"printer": {"state": "IDLE"}, "storage": [{"name": "usb"}, "junk"]},
    ]
    with caplog.at_level(logging.DEBUG):
        for body in garbage:
            state = parse_status(body, now=NOW, issues=issues)
            assert isinstance(state, PrinterState)
            parse_legacy(body, body, now=NOW, issues=issues)
            parse_job(body, issues)
            parse_transfer(body, issues)
            parse_files(body, "usb", issues)
            parse_storage(body, issues)
            parse_printer_info(body, body, issues=issues)
    assert issues.count > 10
    messages = [
        r.getMessage()
        for r in caplog.records
        if "ignoring unexpected value at temp_nozzle" in r.getMessage()
    ]
    assert len(messages) == 1  # logged once, counted every time
    state = parse_status(garbage[5], now=NOW)
    assert state.nozzle_temperature is None
    assert state.bed_target_temperature is None
    assert state.print_speed is None
    assert state.flow == 95  # numeric strings are accepted


def test_job_end_does_not_jitter() -> None:
    first = parse_status(
        status(job={"id": 7, "progress": 10, "time_remaining": 3600, "time_printing": 400}), now=NOW
    )
    assert first.job_end == NOW + timedelta(hours=1)
    assert first.job_start == NOW - timedelta(seconds=400)
    # 5 s later the estimate says 3590 s: end moved by 5 s → keep the previous value.
    later = NOW + timedelta(seconds=5)
    second = parse_status(
        status(job={"id": 7, "progress": 11, "time_remaining": 3590, "time_printing": 405}),
        previous=first,
        now=later,
    )
    assert second.job_end == first.job_end
    assert second.job_start == first.job_start
    # A real change (estimate grew by 10 minutes) is taken.
    third = parse_status(
        status(job={"id": 7, "progress": 12, "time_remaining": 4200, "time_printing": 410}),
        previous=second,
        now=later,
    )
    assert third.job_end == later + timedelta(seconds=4200)
    # No remaining time this poll: keep what we had.
    fourth = parse_status(status(job={"id": 7}), previous=third, now=later)
    assert fourth.job_end == third.job_end
    # A different job starts fresh.
    other = parse_status(
        status(job={"id": 8, "time_remaining": 60, "time_printing": 0}), previous=third, now=later
    )
    assert other.job_start == later
    assert other.job_end == later + timedelta(seconds=60)


def test_job_end_when_finished() -> None:
    printing = parse_status(
        status(job={"id": 7, "time_remaining": 30, "time_printing": 100}), now=NOW
    )
    done_at = NOW + timedelta(seconds=40)
    finished = parse_status(
        status("FINISHED", job={"id": 7, "time_remaining": 0}), previous=printing, now=done_at
    )
    assert finished.status is PrinterStatus.FINISHED
    assert finished.job_end == done_at  # we saw it end
    still = parse_status(
        status("FINISHED", job={"id": 7}), previous=finished, now=done_at + timedelta(minutes=5)
    )
    assert still.job_end == done_at
    # Seen only after it ended: the real end is unknown.
    unknown = parse_status(status("STOPPED", job={"id": 9, "time_remaining": 0}), now=NOW)
    assert unknown.job_end is None
    assert unknown.status is PrinterStatus.CANCELLED
    idle = parse_status(status("IDLE"), previous=still, now=NOW)
    assert idle.job_id is None
    assert idle.job_start is None
    assert idle.job_end is None
    assert idle.file is None


def test_file_and_thumbnail_carried_over() -> None:
    job = parse_job(
        {
            "id": 3,
            "state": "PRINTING",
            "progress": 1,
            "time_printing": 5,
            "file": {
                "name": "A~1.GCO",
                "display_name": "a.gcode",
                "path": "/usb",
                "refs": {"icon": "/i"},
            },
        }
    )
    assert job is not None
    assert job.thumbnail_url == "/i"  # icon when no thumbnail
    first = parse_status(status(job={"id": 3}), job=job, now=NOW)
    assert first.file == "a.gcode"
    assert first.progress == 1
    assert first.thumbnail_url == "/i"
    second = parse_status(status(job={"id": 3, "progress": 2}), previous=first, now=NOW)
    assert second.file == "a.gcode"
    assert second.thumbnail_url == "/i"
    # Job gone: no file, but the last thumbnail stays for the image entity.
    idle = parse_status(status("IDLE"), previous=second, now=NOW)
    assert idle.file is None
    assert idle.thumbnail_url == "/i"
    # Status without job id but the job endpoint knew it.
    only_job = parse_status(status("PRINTING"), job=job, now=NOW)
    assert only_job.job_id == "3"
    assert only_job.file == "a.gcode"
    assert parse_job(None) is None
    assert parse_job({}) is None


def test_errors_and_extra() -> None:
    state = parse_status(
        {
            "printer": {
                "state": "ERROR",
                "axis_z": 1.5,
                "status_printer": {"ok": False, "message": "Heater failed"},
            },
            "transfer": {"id": 1, "time_transferring": 3},
            "camera": {"id": "cam"},
        },
        now=NOW,
    )
    assert state.error is not None
    assert state.error.code == "ERROR"
    assert state.error.severity is ErrorSeverity.SERIOUS
    assert state.error.text == "Heater failed"
    assert state.camera_url == "/api/v1/cameras/snap"
    assert state.extra["axis_z"] == 1.5
    assert state.extra["transfer"] == {"id": 1, "time_transferring": 3}
    attention = parse_status(
        status("ATTENTION", status_printer={"ok": True, "message": "OK"}), now=NOW
    )
    assert attention.error is not None
    assert attention.error.severity is ErrorSeverity.COMMON
    assert attention.error.text is None
    assert parse_status(status("IDLE"), now=NOW).errors == ()


def test_material() -> None:
    assert parse_status(status("IDLE"), now=NOW, material=" - ").external_spool is None
    state = parse_status(status("IDLE"), now=NOW, material="PETG")
    assert state.active_filament is not None
    assert state.active_filament.material == "PETG"


@pytest.mark.parametrize(
    ("printer", "expected"),
    [
        (
            {"state": {"flags": {"link_state": "FINISHED"}, "text": "Operational"}},
            PrinterStatus.FINISHED,
        ),
        ({"state": {"text": "Pausing"}}, PrinterStatus.PAUSED),
        ({"state": {"text": "Cancelling"}}, PrinterStatus.CANCELLED),
        ({"state": {"text": "Offline"}}, PrinterStatus.ERROR),
        ({"state": {"text": "??", "flags": {"printing": True}}}, PrinterStatus.PRINTING),
        ({"state": {"text": "??", "flags": {"closedOrError": True}}}, PrinterStatus.ERROR),
        ({"state": {"flags": {"busy": True}}}, PrinterStatus.BUSY),
        ({"state": {"flags": {}}}, PrinterStatus.IDLE),
    ],
)
def test_legacy_states(printer: dict[str, Any], expected: PrinterStatus) -> None:
    assert parse_legacy(printer, None, now=NOW).status is expected


def test_legacy_job_identity_and_percent() -> None:
    job = {
        "state": "Printing",
        "job": {"file": {"name": "a.gcode", "path": "/usb/A.GCO"}},
        "progress": {
            "completion": 42.5,
            "printTime": 100,
            "printTimeLeft": 600,
            "printSpeed": 90,
            "flow_factor": 95,
        },
    }
    first = parse_legacy(None, job, now=NOW)
    assert first.progress == 42.5  # OctoPrint-style percent stays percent
    assert first.file == "a.gcode"
    assert first.print_speed == 90
    assert first.flow == 95
    later = parse_legacy(None, job, previous=first, now=NOW + timedelta(seconds=20))
    assert later.job_start == first.job_start
    assert later.job_end == first.job_end
    spool = parse_legacy({"telemetry": {"material": "ASA"}}, None, now=NOW)
    kept = parse_legacy(None, {"state": "Operational"}, previous=spool, now=NOW)
    assert kept.external_spool is not None
    assert kept.external_spool.material == "ASA"
    thumb = parse_legacy(None, job, previous=replace(first, thumbnail_url="/t"), now=NOW)
    assert thumb.thumbnail_url == "/t"


def test_printer_info_variants() -> None:
    rpi = parse_printer_info(
        {
            "api": "0.9.0-legacy",
            "server": "0.7.2",
            "original": "PrusaLink I3MK3S",
            "firmware": "3.13.2-7080",
            "hostname": "pi",
        },
        {"serial": "CZPX123", "name": "Farm 1"},
        camera=True,
    )
    assert (rpi.serial, rpi.model, rpi.firmware, rpi.hardware, rpi.name) == (
        "CZPX123",
        "MK3S",
        "3.13.2-7080",
        "PrusaLink 0.7.2",
        "Farm 1",
    )
    assert parse_printer_info({}, None, fallback_serial="10.0.0.5").serial == "10.0.0.5"
    assert parse_printer_info({"printer": "1.4.1"}, {}).model == "MK4S"
    assert parse_printer_info({"printer": "9.9.9", "hostname": "prusa-mk25s"}, {}).model == "MK2.5S"
    assert parse_printer_info({"printer": "bogus", "hostname": "prusa.lan"}, {}).model is None
    assert parse_printer_info({"hostname": "PrusaMK3.5"}, {}).model == "MK3.5"


def test_is_resin() -> None:
    assert is_resin({"printer": "5.1.0"})
    assert is_resin({"text": "PrusaLink", "hostname": "prusa-sl1s"})
    assert not is_resin({"printer": "1.4.0", "hostname": "prusa-mk4"})
    assert not is_resin(None, {"hostname": "prusa-mini"})


def test_files_storage_transfer_shapes() -> None:
    assert parse_files({"children": "x"}, "usb") == []
    assert parse_files({"name": "usb"}, "usb") == []
    assert parse_file({"name": "A.GCO", "m_timestamp": -1, "read_only": True}, "/usb/") is not None
    entry = parse_file({"name": "A.GCO", "read_only": True}, "usb")
    assert entry is not None
    assert entry.read_only is True
    assert entry.type == "FILE"
    assert parse_file({"display_name": "no name"}, "usb") is None
    assert parse_storage([{"name": "usb"}, {"name": "local"}]) == [
        {"name": "usb"},
        {"name": "local"},
    ]
    assert parse_storage({"name": "usb", "path": "/usb/"}) == [{"name": "usb", "path": "/usb/"}]
    assert parse_storage(None) == []
    assert parse_transfer({}) is None
