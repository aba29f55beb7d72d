"""Secrets never reach the logs: marker secrets through flows, setup and faults."""

from __future__ import annotations

import logging

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
import pytest

from custom_components.printernizer.const import CONF_ACCESS_CODE, CONF_SERIAL, DOMAIN
from tests import wait_for
from tests.simulators.bambu.simulator import BambuSimulator
from tests.simulators.prusa.server import PrusaLinkSimulator

ACCESS_CODE = "S3cr3tAC"
PASSWORD = "pw-S3cr3t-marker"


def _ours(caplog: pytest.LogCaptureFixture) -> str:
    """Return every message our integration, its clients and paho logged."""
    return "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(("custom_components", "paho"))
    )


@pytest.mark.parametrize("bambu_printer", [{"access_code": ACCESS_CODE}], indirect=True)
async def test_bambu_secrets_stay_out_of_logs(
    hass: HomeAssistant, bambu_printer: BambuSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Access code and certificate pin are never logged, not even at debug level."""
    caplog.set_level(logging.DEBUG)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "bambu"}
    )
    user_input = {
        CONF_HOST: f"127.0.0.1:{bambu_printer.port}",
        CONF_SERIAL: bambu_printer.serial,
        CONF_ACCESS_CODE: "Wr0ngC0d",
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**user_input, CONF_ACCESS_CODE: ACCESS_CODE}
    )
    entry = result["result"]
    await hass.async_block_till_done()
    bambu_printer.start_print("secret.3mf")
    await bambu_printer.drop()
    await wait_for(hass, lambda: entry.runtime_data.client.stats.reconnects >= 1, timeout=20)
    await hass.config_entries.async_unload(entry.entry_id)
    logged = caplog.text + _ours(caplog)
    for secret in (ACCESS_CODE, "Wr0ngC0d", bambu_printer.pin):
        assert secret not in logged
    # Our own log lines name the printer by its serial's tail and never its address.
    ours = _ours(caplog)
    assert bambu_printer.serial not in ours
    assert f"127.0.0.1:{bambu_printer.port}" not in ours


async def test_prusa_password_stays_out_of_logs(
    hass: HomeAssistant,
    prusa_simulator_factory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The PrusaLink password (and its digest) are never logged."""
    caplog.set_level(logging.DEBUG)
    printer: PrusaLinkSimulator = await prusa_simulator_factory(password=PASSWORD)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "prusa"}
    )
    user_input = {
        CONF_HOST: f"127.0.0.1:{printer.port}",
        CONF_USERNAME: "maker",
        CONF_PASSWORD: "wrong-" + PASSWORD,
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**user_input, CONF_PASSWORD: PASSWORD}
    )
    entry = result["result"]
    await hass.async_block_till_done()
    printer.fail_next(401)
    await entry.runtime_data.async_refresh()
    await hass.config_entries.async_unload(entry.entry_id)
    assert PASSWORD not in caplog.text
    assert "S3cr3t" not in caplog.text
    assert printer.serial not in _ours(caplog)
