"""The automation blueprints in blueprints/automation/printernizer load and do what they say.

Each blueprint is validated with Home Assistant's own blueprint model and automation blueprint
schema, then used by a real automation in a test Home Assistant with printer states set by hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
import shutil
from typing import Any

from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from homeassistant.util import yaml as yaml_util
import pytest
from pytest_homeassistant_custom_component.common import async_mock_service

BLUEPRINTS = Path(__file__).parent.parent / "blueprints" / "automation" / "printernizer"
BLUEPRINT_FILES = sorted(p.name for p in BLUEPRINTS.glob("*.yaml"))

STATUS = "sensor.x1_carbon_status"
FILE = "sensor.x1_carbon_current_file"
NOZZLE = "sensor.x1_carbon_nozzle_temperature"
THUMBNAIL = "image.x1_carbon_job_picture"
PLUG = "switch.printer_plug"
PAUSE = "button.x1_carbon_pause"
SMOKE = "binary_sensor.smoke_detector"


def test_blueprints_exist() -> None:
    """The three blueprints the README documents are there."""
    assert BLUEPRINT_FILES == [
        "notify_print_status.yaml",
        "pause_on_problem.yaml",
        "plug_off_after_cooldown.yaml",
    ]


@pytest.mark.parametrize("name", BLUEPRINT_FILES)
def test_blueprint_validates(name: str) -> None:
    """Each file is a valid automation blueprint with named, described inputs."""
    path = BLUEPRINTS / name
    data = yaml_util.load_yaml_dict(path)
    blueprint = Blueprint(
        data,
        path=f"printernizer/{name}",
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    assert blueprint.domain == "automation"
    assert blueprint.name.startswith("Printernizer - ")
    assert blueprint.metadata["source_url"].endswith(f"/blueprints/automation/printernizer/{name}")
    for key, spec in blueprint.inputs.items():
        assert spec, key
        assert spec.get("name"), key
        assert spec.get("selector"), key
    assert blueprint.validate() is None


@pytest.fixture
async def blueprint_hass(hass: HomeAssistant, tmp_path: Path) -> HomeAssistant:
    """Return a Home Assistant whose blueprint folder holds the Printernizer blueprints."""
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints" / "automation" / "printernizer")
    assert await async_setup_component(hass, "persistent_notification", {})
    return hass


async def use_blueprint(hass: HomeAssistant, name: str, inputs: dict[str, Any]) -> None:
    """Set up one automation from a blueprint."""
    config = {
        "automation": [
            {
                "id": "printernizer_test",
                "alias": "Printernizer test",
                "use_blueprint": {"path": f"printernizer/{name}", "input": inputs},
            }
        ]
    }
    assert await async_setup_component(hass, "automation", config)
    await hass.async_block_till_done()
    state = hass.states.get("automation.printernizer_test")
    assert state is not None
    assert state.state == "on", state.attributes


async def until(condition: Callable[[], bool]) -> None:
    """Wait until a condition holds (automations that wait never let hass block till done)."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition did not hold within 5 s")


async def let_run(hass: HomeAssistant) -> None:
    """Give waiting automation runs time to react (for checks that nothing happened)."""
    for _ in range(10):
        await asyncio.sleep(0.01)


def notifications(hass: HomeAssistant) -> dict[str, Any]:
    """Return the persistent notifications."""
    from homeassistant.components.persistent_notification import _async_get_or_create_notifications

    return dict(_async_get_or_create_notifications(hass))


async def test_notify_finished_with_thumbnail(blueprint_hass: HomeAssistant) -> None:
    """A finished print sends the notify action and a persistent notification with the picture."""
    hass = blueprint_hass
    calls: list[ServiceCall] = async_mock_service(hass, "notify", "mobile_app_phone")
    hass.states.async_set(STATUS, "printing")
    hass.states.async_set(FILE, "benchy.3mf")
    hass.states.async_set(
        THUMBNAIL, "2026-01-01T00:00:00+00:00", {"entity_picture": "/api/image_proxy/x?token=1"}
    )
    await use_blueprint(
        hass,
        "notify_print_status.yaml",
        {
            "printer": STATUS,
            "file_sensor": FILE,
            "thumbnail": THUMBNAIL,
            "notify_action": "mobile_app_phone",
        },
    )
    hass.states.async_set(STATUS, "finished", {"friendly_name": "X1 Carbon Status"})
    await hass.async_block_till_done()

    assert len(calls) == 1
    data = calls[0].data
    assert data["title"] == "X1 Carbon Status: print finished"
    assert data["message"] == "X1 Carbon Status finished: benchy.3mf."
    assert data["data"] == {
        "image": "/api/image_proxy/x?token=1",
        "tag": f"printernizer_{STATUS}",
    }
    notification = notifications(hass)[f"printernizer_{STATUS}"]
    assert notification["title"] == "X1 Carbon Status: print finished"
    assert "![benchy.3mf](/api/image_proxy/x?token=1)" in notification["message"]


async def test_notify_only_chosen_states(blueprint_hass: HomeAssistant) -> None:
    """Only the chosen states notify; without optional inputs the message still reads well."""
    hass = blueprint_hass
    hass.states.async_set(STATUS, "printing", {"friendly_name": "Prusa"})
    await use_blueprint(
        hass, "notify_print_status.yaml", {"printer": STATUS, "notify_on": ["failed"]}
    )
    hass.states.async_set(STATUS, "paused", {"friendly_name": "Prusa"})
    await hass.async_block_till_done()
    assert not notifications(hass)

    hass.states.async_set(STATUS, "failed", {"friendly_name": "Prusa"})
    await hass.async_block_till_done()
    notification = notifications(hass)[f"printernizer_{STATUS}"]
    assert notification["title"] == "Prusa: print failed"
    assert notification["message"] == "Prusa failed."


async def test_plug_off_after_cooldown(blueprint_hass: HomeAssistant) -> None:
    """The plug goes off only once the nozzle is cool and the printer is still done."""
    hass = blueprint_hass
    calls: list[ServiceCall] = async_mock_service(hass, "switch", "turn_off")
    hass.states.async_set(STATUS, "printing")
    hass.states.async_set(NOZZLE, "220")
    hass.states.async_set(PLUG, "on")
    await use_blueprint(
        hass,
        "plug_off_after_cooldown.yaml",
        {
            "printer": STATUS,
            "nozzle_temperature": NOZZLE,
            "plug": PLUG,
            "extra_delay": {"seconds": 0},
        },
    )
    hass.states.async_set(STATUS, "finished")
    await let_run(hass)
    hass.states.async_set(NOZZLE, "120")
    await let_run(hass)
    assert not calls

    hass.states.async_set(NOZZLE, "45")
    await until(lambda: len(calls) == 1)
    assert calls[0].data["entity_id"] == [PLUG]


async def test_plug_stays_on_when_a_new_print_starts(blueprint_hass: HomeAssistant) -> None:
    """A print that starts while the nozzle cools down keeps the plug on."""
    hass = blueprint_hass
    calls: list[ServiceCall] = async_mock_service(hass, "switch", "turn_off")
    hass.states.async_set(STATUS, "printing")
    hass.states.async_set(NOZZLE, "220")
    await use_blueprint(
        hass,
        "plug_off_after_cooldown.yaml",
        {
            "printer": STATUS,
            "nozzle_temperature": NOZZLE,
            "plug": PLUG,
            "end_states": ["finished", "cancelled"],
            "extra_delay": {"seconds": 0},
        },
    )
    hass.states.async_set(STATUS, "cancelled")
    await let_run(hass)
    hass.states.async_set(STATUS, "printing")
    hass.states.async_set(NOZZLE, "40")
    await let_run(hass)
    assert not calls


async def test_pause_on_problem(blueprint_hass: HomeAssistant) -> None:
    """A problem sensor pauses a running print, and only a running one."""
    hass = blueprint_hass
    calls: list[ServiceCall] = async_mock_service(hass, "button", "press")
    hass.states.async_set(STATUS, "idle", {"friendly_name": "X1 Carbon Status"})
    hass.states.async_set(PAUSE, "unknown", {"friendly_name": "X1 Carbon Pause"})
    hass.states.async_set(SMOKE, "off", {"friendly_name": "Smoke detector"})
    await use_blueprint(
        hass,
        "pause_on_problem.yaml",
        {"problem_sensors": [SMOKE], "printer": STATUS, "button": PAUSE},
    )
    hass.states.async_set(SMOKE, "on", {"friendly_name": "Smoke detector"})
    await hass.async_block_till_done()
    assert not calls

    hass.states.async_set(SMOKE, "off", {"friendly_name": "Smoke detector"})
    hass.states.async_set(STATUS, "printing", {"friendly_name": "X1 Carbon Status"})
    hass.states.async_set(SMOKE, "on", {"friendly_name": "Smoke detector"})
    await hass.async_block_till_done()
    assert len(calls) == 1
    assert calls[0].data["entity_id"] == [PAUSE]
    notification = notifications(hass)[f"printernizer_problem_{STATUS}"]
    assert "Smoke detector reported a problem" in notification["message"]
