"""Config, options, reauth and reconfigure flows, against the simulated printers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import (
    SOURCE_DHCP,
    SOURCE_INTEGRATION_DISCOVERY,
    SOURCE_USER,
    ConfigEntry,
)
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.printernizer.const import (
    CONF_ACCESS_CODE,
    CONF_AUTO_DOWNLOAD,
    CONF_AUTO_DOWNLOAD_MAX_FILES,
    CONF_AUTO_DOWNLOAD_MAX_MB,
    CONF_CAMERA,
    CONF_CERT_PIN,
    CONF_ELECTRICITY_PRICE,
    CONF_ELECTRICITY_PRICE_ENTITY,
    CONF_FILAMENT_PRICE,
    CONF_FILAMENT_PRICES,
    CONF_IDLE_INTERVAL,
    CONF_JOB_RETENTION_DAYS,
    CONF_MAC,
    CONF_POWER,
    CONF_POWER_ENTITY,
    CONF_PRINTER_TYPE,
    CONF_PRINTING_INTERVAL,
    CONF_SERIAL,
    CONF_VERIFY_TLS,
    DOMAIN,
)
from tests import printer_entry_data, setup_printer
from tests.simulators.bambu.simulator import BambuSimulator
from tests.simulators.prusa.server import PrusaLinkSimulator

BambuFactory = Callable[..., Awaitable[BambuSimulator]]
PrusaFactory = Callable[..., Awaitable[PrusaLinkSimulator]]
CLOSED = "127.0.0.1:9"  # discard port: nothing listens there


def _bambu_input(printer: BambuSimulator, **changes: str) -> dict[str, str]:
    return {
        CONF_HOST: f"{printer.host}:{printer.port}",
        CONF_SERIAL: printer.serial.lower(),
        CONF_ACCESS_CODE: printer.access_code,
        **changes,
    }


def _prusa_input(printer: PrusaLinkSimulator, **changes: str) -> dict[str, str]:
    return {
        CONF_HOST: f"{printer.host}:{printer.port}",
        CONF_USERNAME: printer.username,
        CONF_PASSWORD: printer.password,
        **changes,
    }


async def _start(hass: HomeAssistant, vendor: str) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["bambu", "prusa"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": vendor}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == vendor
    return result


# ---------------------------------------------------------------------------- Bambu Lab


async def test_bambu_user_flow(hass: HomeAssistant, bambu_printer: BambuSimulator) -> None:
    """The printer is checked, its certificate pinned and the entry created."""
    result = await _start(hass, "bambu")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _bambu_input(bambu_printer, **{CONF_ACCESS_CODE: "wrong123"})
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _bambu_input(bambu_printer)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == bambu_printer.serial
    assert result["title"] == f"X1 Carbon {bambu_printer.serial[-4:]}"
    assert result["data"] == {
        CONF_PRINTER_TYPE: "bambu",
        CONF_HOST: f"127.0.0.1:{bambu_printer.port}",
        CONF_SERIAL: bambu_printer.serial,
        CONF_ACCESS_CODE: bambu_printer.access_code,
        CONF_CERT_PIN: bambu_printer.pin,
    }


async def test_bambu_errors(
    hass: HomeAssistant,
    bambu_printer: BambuSimulator,
    bambu_printer_factory: BambuFactory,
    prusa_printer: PrusaLinkSimulator,
) -> None:
    """Unreachable, wrong serial, TLS failure and unexpected errors are distinct errors."""
    result = await _start(hass, "bambu")
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(
        flow_id, _bambu_input(bambu_printer, **{CONF_HOST: CLOSED})
    )
    assert result["errors"] == {"base": "cannot_connect"}

    impostor = await bambu_printer_factory("P1S", certificate_name="01P00A999999999")
    result = await hass.config_entries.flow.async_configure(flow_id, _bambu_input(impostor))
    assert result["errors"] == {"base": "wrong_serial"}

    # A plain HTTP server does not speak TLS.
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        _bambu_input(bambu_printer, **{CONF_HOST: f"127.0.0.1:{prusa_printer.port}"}),
    )
    assert result["errors"] == {"base": "tls_failed"}

    with patch(
        "custom_components.printernizer.config_flow.async_check_bambu",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(
            flow_id, _bambu_input(bambu_printer)
        )
    assert result["errors"] == {"base": "unknown"}

    result = await hass.config_entries.flow.async_configure(flow_id, _bambu_input(bambu_printer))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_bambu_already_configured_updates_host(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """Adding a known printer again updates its address and aborts."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=bambu_printer.serial,
        data={**(await printer_entry_data(bambu_printer)), CONF_HOST: "10.0.0.9"},
    )
    entry.add_to_hass(hass)
    result = await _start(hass, "bambu")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _bambu_input(bambu_printer)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == f"127.0.0.1:{bambu_printer.port}"


async def test_bambu_discovery(hass: HomeAssistant, bambu_printer: BambuSimulator) -> None:
    """A discovered printer only needs its access code."""
    discovery = {
        CONF_HOST: f"127.0.0.1:{bambu_printer.port}",
        CONF_SERIAL: bambu_printer.serial,
        "name": "Workshop X1C",
        "model": "X1 Carbon",
    }
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_INTEGRATION_DISCOVERY}, data=discovery
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "bambu_discovery_confirm"
    assert result["description_placeholders"]["name"] == "Workshop X1C"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_CODE: "nope1234"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_CODE: bambu_printer.access_code}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Workshop X1C"

    # Announced again (at a new address): the known printer's host follows.
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data={**discovery, CONF_HOST: "127.0.0.2"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert entry.data[CONF_HOST] == "127.0.0.2"


async def test_bambu_reauth(hass: HomeAssistant, bambu_printer: BambuSimulator) -> None:
    """A new access code is checked against the pinned printer and stored."""
    entry = await setup_printer(hass, bambu_printer)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "bambu_reauth"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_CODE: "wrong999"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_CODE: bambu_printer.access_code}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"


async def test_bambu_reconfigure(
    hass: HomeAssistant, bambu_printer: BambuSimulator, bambu_printer_factory: BambuFactory
) -> None:
    """The host can change; a different printer at the new address is refused."""
    entry = await setup_printer(hass, bambu_printer)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_HOST: CLOSED})
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: f"localhost:{bambu_printer.port}"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_HOST] == f"localhost:{bambu_printer.port}"

    other = await bambu_printer_factory("A1")
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: f"127.0.0.1:{other.port}"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"


# ---------------------------------------------------------------------------- Prusa


async def test_prusa_user_flow(hass: HomeAssistant, prusa_printer: PrusaLinkSimulator) -> None:
    """The PrusaLink login is checked and the serial becomes the unique id."""
    result = await _start(hass, "prusa")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _prusa_input(prusa_printer, **{CONF_PASSWORD: "wrong"})
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _prusa_input(prusa_printer, **{CONF_HOST: CLOSED})
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _prusa_input(prusa_printer)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == prusa_printer.serial
    assert result["data"] == {
        CONF_PRINTER_TYPE: "prusa",
        CONF_HOST: f"127.0.0.1:{prusa_printer.port}",
        CONF_USERNAME: "maker",
        CONF_PASSWORD: prusa_printer.password,
    }

    result = await _start(hass, "prusa")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _prusa_input(prusa_printer)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_prusa_not_prusalink_and_resin(
    hass: HomeAssistant, prusa_printer: PrusaLinkSimulator
) -> None:
    """Something that is not PrusaLink, and a resin printer, are told apart."""
    result = await _start(hass, "prusa")
    prusa_printer.set_response("/api/version", {"server": "nginx"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _prusa_input(prusa_printer)
    )
    assert result["errors"] == {"base": "not_prusalink"}
    prusa_printer.set_response(
        "/api/version",
        {"api": "2.0.0", "server": "2.1.2", "text": "PrusaLink SL1", "hostname": "prusa-sl1"},
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _prusa_input(prusa_printer)
    )
    assert result["errors"] == {"base": "unsupported_printer"}


async def test_prusa_dhcp(hass: HomeAssistant, prusa_printer: PrusaLinkSimulator) -> None:
    """A Prusa board joining the network is offered; the entry remembers its MAC."""
    info = DhcpServiceInfo(
        ip=f"127.0.0.1:{prusa_printer.port}", hostname="prusa-mk4", macaddress="109c70aabbcc"
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=info
    )
    assert result["step_id"] == "prusa_discovery_confirm"
    # A second announcement while the first is open is the same printer.
    second = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=info
    )
    assert second["reason"] == "already_in_progress"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "maker", CONF_PASSWORD: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "maker", CONF_PASSWORD: prusa_printer.password}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.data[CONF_MAC] == "10:9c:70:aa:bb:cc"

    # Same MAC at a new address: the host follows.
    moved = DhcpServiceInfo(ip="127.0.0.1", hostname="prusa-mk4", macaddress="109c70aabbcc")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=moved
    )
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == "127.0.0.1"
    # Same MAC and address: nothing to do.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=moved
    )
    assert result["reason"] == "already_configured"


async def test_prusa_dhcp_known_host_and_not_prusalink(
    hass: HomeAssistant, prusa_printer: PrusaLinkSimulator
) -> None:
    """A known address is not offered again; a device that is not PrusaLink is dropped."""
    MockConfigEntry(
        domain=DOMAIN, unique_id="other", data={CONF_PRINTER_TYPE: "bambu", CONF_HOST: "x"}
    ).add_to_hass(hass)
    known = MockConfigEntry(
        domain=DOMAIN,
        unique_id="known",
        data={CONF_PRINTER_TYPE: "prusa", CONF_HOST: "127.0.0.9", CONF_MAC: "10:9c:70:00:00:01"},
    )
    known.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_DHCP},
        data=DhcpServiceInfo(ip="127.0.0.9", hostname="x", macaddress="109c70000002"),
    )
    assert result["reason"] == "already_configured"

    prusa_printer.set_response("/api/version", {"server": "nginx"})
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_DHCP},
        data=DhcpServiceInfo(
            ip=f"127.0.0.1:{prusa_printer.port}", hostname="", macaddress="109c70000003"
        ),
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "maker", CONF_PASSWORD: prusa_printer.password}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_prusalink"


async def test_prusa_reauth(
    hass: HomeAssistant, prusa_printer: PrusaLinkSimulator, prusa_simulator_factory: PrusaFactory
) -> None:
    """A new login is stored; the login of another printer is refused."""
    entry = await setup_printer(hass, prusa_printer)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "prusa_reauth"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "maker", CONF_PASSWORD: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "maker", CONF_PASSWORD: prusa_printer.password}
    )
    assert result["reason"] == "reauth_successful"


async def test_prusa_reconfigure(
    hass: HomeAssistant, prusa_printer: PrusaLinkSimulator, prusa_simulator_factory: PrusaFactory
) -> None:
    """The host of a Prusa printer can change; another printer there is refused."""
    entry = await setup_printer(hass, prusa_printer)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: f"http://127.0.0.1:{prusa_printer.port}/"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_HOST] == f"http://127.0.0.1:{prusa_printer.port}/"
    other = await prusa_simulator_factory(serial="OTHER0001", password=prusa_printer.password)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: f"127.0.0.1:{other.port}"}
    )
    assert result["reason"] == "unique_id_mismatch"


# ---------------------------------------------------------------------------- options


async def _options(hass: HomeAssistant, entry: ConfigEntry, step: str) -> dict[str, Any]:
    """Open the options of ``entry`` and pick ``step`` from the menu."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == [entry.data[CONF_PRINTER_TYPE], "analytics"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": step}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step
    return result


async def test_bambu_options(hass: HomeAssistant, bambu_printer: BambuSimulator) -> None:
    """Certificate checks can be switched off (for MQTT proxies) and on again."""
    entry = await setup_printer(hass, bambu_printer)
    result = await _options(hass, entry, "bambu")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_VERIFY_TLS: False}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(entry.options) == {CONF_VERIFY_TLS: False}


async def test_prusa_options(hass: HomeAssistant, prusa_printer: PrusaLinkSimulator) -> None:
    """Poll intervals are stored as whole seconds."""
    entry = await setup_printer(hass, prusa_printer)
    result = await _options(hass, entry, "prusa")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_PRINTING_INTERVAL: 4.0, CONF_IDLE_INTERVAL: 60.0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(entry.options) == {CONF_PRINTING_INTERVAL: 4, CONF_IDLE_INTERVAL: 60}


async def test_file_and_camera_options(
    hass: HomeAssistant, bambu_printer: BambuSimulator, prusa_printer: PrusaLinkSimulator
) -> None:
    """Camera on/off and auto-download with its bounds, for both kinds of printer."""
    bambu = await setup_printer(hass, bambu_printer)
    result = await _options(hass, bambu, "bambu")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_VERIFY_TLS: True,
            CONF_CAMERA: False,
            CONF_AUTO_DOWNLOAD: True,
            CONF_AUTO_DOWNLOAD_MAX_FILES: 10.0,
            CONF_AUTO_DOWNLOAD_MAX_MB: 500.0,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(bambu.options) == {
        CONF_VERIFY_TLS: True,
        CONF_CAMERA: False,
        CONF_AUTO_DOWNLOAD: True,
        CONF_AUTO_DOWNLOAD_MAX_FILES: 10,
        CONF_AUTO_DOWNLOAD_MAX_MB: 500,
    }
    # The form suggests what is stored.
    result = await _options(hass, bambu, "bambu")
    schema = result["data_schema"].schema
    suggested = {
        str(key): key.description["suggested_value"]
        for key in schema
        if getattr(key, "description", None)
    }
    assert suggested[CONF_CAMERA] is False
    assert suggested[CONF_AUTO_DOWNLOAD_MAX_FILES] == 10
    await hass.config_entries.options.async_configure(result["flow_id"], {CONF_VERIFY_TLS: True})

    prusa = await setup_printer(hass, prusa_printer)
    result = await _options(hass, prusa, "prusa")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_PRINTING_INTERVAL: 5.0,
            CONF_IDLE_INTERVAL: 30.0,
            CONF_CAMERA: True,
            CONF_AUTO_DOWNLOAD: False,
        },
    )
    assert dict(prusa.options) == {
        CONF_PRINTING_INTERVAL: 5,
        CONF_IDLE_INTERVAL: 30,
        CONF_CAMERA: True,
        CONF_AUTO_DOWNLOAD: False,
    }


async def test_analytics_options(hass: HomeAssistant, prusa_printer: PrusaLinkSimulator) -> None:
    """Prices, power and retention: stored typed, suggested again, cleared, kept by other steps."""
    entry = await setup_printer(hass, prusa_printer, options={CONF_PRINTING_INTERVAL: 4})
    result = await _options(hass, entry, "analytics")
    assert result["description_placeholders"] == {"currency": "EUR", "watts": "80"}

    values: dict[str, Any] = {
        CONF_FILAMENT_PRICE: 20.0,
        "filament_price_petg": 25.0,
        "filament_prices_other": "pva=80; PLA-CF: 35.5",
        CONF_ELECTRICITY_PRICE: 0.3,
        CONF_ELECTRICITY_PRICE_ENTITY: "sensor.electricity_price",
        CONF_POWER: 120.0,
        CONF_POWER_ENTITY: "sensor.plug_power",
        CONF_JOB_RETENTION_DAYS: 90.0,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**values, "filament_prices_other": "PVA 80"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"filament_prices_other": "invalid_material_prices"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], values)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert dict(entry.options) == {
        CONF_PRINTING_INTERVAL: 4,
        CONF_FILAMENT_PRICE: 20.0,
        CONF_FILAMENT_PRICES: {"PVA": 80.0, "PLA-CF": 35.5, "PETG": 25.0},
        CONF_ELECTRICITY_PRICE: 0.3,
        CONF_ELECTRICITY_PRICE_ENTITY: "sensor.electricity_price",
        CONF_POWER: 120.0,
        CONF_POWER_ENTITY: "sensor.plug_power",
        CONF_JOB_RETENTION_DAYS: 90,
    }

    # The form suggests what is stored; emptied fields are removed.
    result = await _options(hass, entry, "analytics")
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if (key.description or {}).get("suggested_value") is not None
    }
    assert suggested == {
        **values,
        "filament_prices_other": "PVA=80; PLA-CF=35.5",
        CONF_JOB_RETENTION_DAYS: 90,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_FILAMENT_PRICE: 18.0, "filament_prices_other": " ; "}
    )
    await hass.async_block_till_done()
    assert dict(entry.options) == {CONF_PRINTING_INTERVAL: 4, CONF_FILAMENT_PRICE: 18.0}

    # Saving the printer's own options keeps the analytics options.
    result = await _options(hass, entry, "prusa")
    await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_PRINTING_INTERVAL: 6.0, CONF_IDLE_INTERVAL: 30.0}
    )
    await hass.async_block_till_done()
    assert dict(entry.options) == {
        CONF_PRINTING_INTERVAL: 6,
        CONF_IDLE_INTERVAL: 30,
        CONF_FILAMENT_PRICE: 18.0,
    }


async def test_analytics_options_of_unloaded_printer(hass: HomeAssistant) -> None:
    """A printer that is not loaded has no known model: its default power is not shown."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="01P00A000000001",
        data={
            CONF_PRINTER_TYPE: "bambu",
            CONF_HOST: CLOSED,
            CONF_SERIAL: "01P00A000000001",
            CONF_ACCESS_CODE: "12345678",
        },
    )
    entry.add_to_hass(hass)
    result = await _options(hass, entry, "analytics")
    assert result["description_placeholders"] == {"currency": "EUR", "watts": "?"}


async def test_bambu_reauth_with_changed_certificate(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """Reauth checks the pinned key too: another key is a TLS error, not a new pin."""
    entry = await setup_printer(hass, bambu_printer)
    await bambu_printer.change_certificate()
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_CODE: bambu_printer.access_code}
    )
    assert result["errors"] == {"base": "tls_failed"}


async def test_bambu_flow_without_version_answer(
    hass: HomeAssistant, bambu_printer: BambuSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A printer that does not answer get_version is named from its serial number."""
    monkeypatch.setattr("custom_components.printernizer.validation.VERSION_WAIT", 0.2)
    monkeypatch.setattr("custom_components.printernizer.bambu_coordinator.FIRST_REPORT_WAIT", 0.2)
    bambu_printer.stall(until_reconnect=False)
    result = await _start(hass, "bambu")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _bambu_input(bambu_printer)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"X1 Carbon {bambu_printer.serial[-4:]}"
