"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import importlib.util
import sys
import types

import pytest

if importlib.util.find_spec("turbojpeg") is None:  # pragma: no cover - depends on the venv
    # Home Assistant's camera component imports PyTurboJPEG at import time; Home Assistant
    # installs it when the component is first set up, and the minimum-version test venv does
    # not have it. Without the native library the camera falls back to Pillow, which is what
    # this stand-in makes happen (the newest venv has the module but not the library either).
    _stub = types.ModuleType("turbojpeg")

    class _MissingTurboJPEG:
        def __init__(self, *_args: object, **_kwargs: object) -> None:
            raise RuntimeError("libturbojpeg is not installed")

    _stub.TurboJPEG = _MissingTurboJPEG  # type: ignore[attr-defined]
    sys.modules["turbojpeg"] = _stub


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Let Home Assistant load the integration from custom_components in tests that use hass."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


pytest_plugins = [
    "tests.simulators.bambu.fixtures",
    "tests.simulators.prusa.fixtures",
]


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """Give every test its own config folder: the job database (printernizer.db) lives there."""
    return hass_tmp_config_dir


@pytest.fixture(autouse=True)
def no_discovery_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep tests off the real Bambu discovery ports; discovery tests choose their own."""
    monkeypatch.setattr("custom_components.printernizer.discovery.DISCOVERY_PORTS", ())


@pytest.fixture(autouse=True)
def no_hms_text_download(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the Bambu error-text lookup at a closed local port unless a test serves one."""
    monkeypatch.setattr(
        "custom_components.printernizer.bambu_coordinator.hms_text_url",
        "http://127.0.0.1:9/query.php",
    )


@pytest.fixture(autouse=True)
def fast_read_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scale the shared MQTT read interval like the simulators' clocks (a push every 0.1 s, not 1 s).

    The batching itself is tested at its real interval in tests/printers/bambu/test_batch.py.
    """
    monkeypatch.setattr("custom_components.printernizer.printers.bambu.batch.BATCH_INTERVAL", 0.025)
