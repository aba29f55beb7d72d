"""The get_jobs and export_jobs actions, on jobs a simulated Prusa printer really ran."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.printernizer.const import DOMAIN
from custom_components.printernizer.schema import vol
from tests import setup_printer
from tests.simulators.prusa.machine import SimFile, make_png
from tests.simulators.prusa.server import PrusaLinkSimulator
from tests.test_job_scenarios import get_jobs

EVIL_NAME = "=HYPERLINK(evil).bgcode"


async def _poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = 31) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.fixture
async def history(
    hass: HomeAssistant, prusa_printer: PrusaLinkSimulator, freezer: FrozenDateTimeFactory
) -> dict[str, Any]:
    """Run three jobs an hour apart: finished, cancelled, failed (newest)."""
    machine = prusa_printer.machine
    machine.files.append(
        SimFile(
            name="EVIL~1.BGC",
            display_name=EVIL_NAME,
            duration=600,
            size=1,
            m_timestamp=1_729_000_000,
            thumbnail=make_png(2, 2, (0, 0, 0)),
            icon=make_png(1, 1, (0, 0, 0)),
        )
    )
    entry = await setup_printer(hass, prusa_printer)
    times = []
    for file, end in ((None, "finish"), ("EVIL~1.BGC", "stop"), (None, "error")):
        times.append(dt_util.utcnow())
        machine.start(file)
        await _poll(hass, freezer)
        getattr(machine, end)()
        await _poll(hass, freezer)
        machine.clear()
        await _poll(hass, freezer, 3600)
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, prusa_printer.serial), entry.entry_id
    )
    assert device is not None
    return {"device_id": device.id, "times": times, "entry": entry}


async def test_get_jobs_filters(hass: HomeAssistant, history: dict[str, Any]) -> None:
    """Printer, status, period and limit narrow the answer; newest first."""
    jobs = await get_jobs(hass)
    assert [job["status"] for job in jobs] == ["failed", "cancelled", "finished"]
    assert all(job["device_id"] == history["device_id"] for job in jobs)
    assert jobs[0]["printer"] == history["entry"].title
    assert [j["status"] for j in await get_jobs(hass, status=["finished", "failed"])] == [
        "failed",
        "finished",
    ]
    assert len(await get_jobs(hass, device_id=history["device_id"], limit=2)) == 2
    times = history["times"]
    window = await get_jobs(
        hass, **{"from": times[1].isoformat(), "to": (times[2] - timedelta(minutes=1)).isoformat()}
    )
    assert [job["status"] for job in window] == ["cancelled"]
    # Naive times are local times.
    local = dt_util.as_local(times[2]).replace(tzinfo=None)
    assert [job["status"] for job in await get_jobs(hass, **{"from": local.isoformat()})] == [
        "failed"
    ]


async def test_get_jobs_validation(hass: HomeAssistant, history: dict[str, Any]) -> None:
    """Mistakes are translated validation errors."""
    with pytest.raises(ServiceValidationError) as err:
        await get_jobs(hass, device_id="not-a-device")
    assert err.value.translation_key == "device_not_found"
    other = dr.async_get(hass).async_get_or_create(
        config_entry_id=history["entry"].entry_id, identifiers={(DOMAIN, "SOMETHING_ams_0")}
    )
    with pytest.raises(ServiceValidationError) as err:
        await get_jobs(hass, device_id=other.id)
    assert err.value.translation_key == "device_not_found"
    now = dt_util.utcnow()
    with pytest.raises(ServiceValidationError) as err:
        await get_jobs(hass, **{"from": now.isoformat(), "to": now.isoformat()})
    assert err.value.translation_key == "invalid_time_range"
    with pytest.raises(vol.Invalid):
        await get_jobs(hass, limit=0)
    with pytest.raises(vol.Invalid):
        await get_jobs(hass, status=["exploded"])


async def test_history_outlives_the_printer(hass: HomeAssistant, history: dict[str, Any]) -> None:
    """Jobs of a removed printer stay in the history, named by serial."""
    entry = history["entry"]
    serial = entry.unique_id
    assert await hass.config_entries.async_remove(entry.entry_id)
    jobs = await get_jobs(hass)
    assert len(jobs) == 3
    assert {(job["device_id"], job["printer"]) for job in jobs} == {(None, serial)}


async def _export(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "export_jobs", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


async def test_export_jobs(hass: HomeAssistant, history: dict[str, Any], tmp_path: Path) -> None:
    """CSV into an allowed folder; spreadsheet formulas in file names are defused."""
    allowed = tmp_path / "exports"
    allowed.mkdir()
    hass.config.allowlist_external_dirs = {str(allowed)}
    target = allowed / "jobs.csv"
    assert await _export(hass, path=str(target)) == {"path": str(target), "count": 3}
    rows = await hass.async_add_executor_job(_read, target)
    assert [row["status"] for row in rows] == ["failed", "cancelled", "finished"]
    assert rows[1]["file"] == f"'{EVIL_NAME}"
    assert rows[2]["progress"] == "100.0"
    assert rows[0]["device_id"] == history["device_id"]

    result = await _export(hass, path=str(target), status=["finished"], limit=1)
    assert result["count"] == 1
    # Without a path: a new file in the media folder.
    media = tmp_path / "media"
    hass.config.media_dirs = {"local": str(media)}
    hass.config.allowlist_external_dirs.add(str(media))
    result = await _export(hass)
    default = Path(result["path"])
    assert default.parent == media / "printernizer"
    assert default.name.startswith("printernizer-jobs-")
    assert len(await hass.async_add_executor_job(_read, default)) == 3
    # Response is optional.
    await hass.services.async_call(DOMAIN, "export_jobs", {"path": str(target)}, blocking=True)


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("relative/jobs.csv", "invalid_path"),
        ("{allowed}/../outside.csv", "invalid_path"),
        ("{tmp}/outside.csv", "path_not_allowed"),
        ("{allowed}/link/jobs.csv", "path_not_allowed"),
    ],
)
async def test_export_rejects_paths(
    hass: HomeAssistant, history: dict[str, Any], tmp_path: Path, path: str, key: str
) -> None:
    """Relative paths, traversal, folders outside the allowlist and escaping links are refused."""
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "link").symlink_to(tmp_path)
    hass.config.allowlist_external_dirs = {str(allowed)}
    with pytest.raises(ServiceValidationError) as err:
        await _export(hass, path=path.format(allowed=allowed, tmp=tmp_path))
    assert err.value.translation_key == key
    assert not (tmp_path / "outside.csv").exists()
    assert not (tmp_path / "jobs.csv").exists()


async def test_export_write_failure(
    hass: HomeAssistant, history: dict[str, Any], tmp_path: Path
) -> None:
    """A file that cannot be written is a translated Home Assistant error."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    (tmp_path / "taken").mkdir()
    with pytest.raises(HomeAssistantError) as err:
        await _export(hass, path=str(tmp_path / "taken"))
    assert err.value.translation_key == "export_failed"
