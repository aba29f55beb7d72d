"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Let Home Assistant load the integration from custom_components in tests that use hass."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


pytest_plugins = [
    "tests.simulators.bambu.fixtures",
    "tests.simulators.prusa.fixtures",
]


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
