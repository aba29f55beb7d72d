"""Set-up, unload and the repair issues of Bambu Lab printers (certificate pinning)."""

from __future__ import annotations

from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.printernizer.const import CONF_ACCESS_CODE, CONF_CERT_PIN, DOMAIN
from tests import entity_id_of, printer_entry_data, setup_printer, wait_for, wait_for_state
from tests.simulators.bambu.simulator import BambuSimulator


async def _entry(hass: HomeAssistant, printer: BambuSimulator, **changes: str) -> MockConfigEntry:
    data = {**(await printer_entry_data(printer)), **changes}
    entry = MockConfigEntry(domain=DOMAIN, title="Bench", unique_id=printer.serial, data=data)
    entry.add_to_hass(hass)
    return entry


async def _repair_flow(hass: HomeAssistant, issue_id: str) -> dict:
    assert await async_setup_component(hass, "repairs", {})
    flow_manager = repairs_flow_manager(hass)
    assert flow_manager is not None
    return await flow_manager.async_init(DOMAIN, data={"issue_id": issue_id})


async def test_wrong_access_code_starts_reauth(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """A refused access code at start-up asks the user for a new one."""
    entry = await _entry(hass, bambu_printer, **{CONF_ACCESS_CODE: "stale000"})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_unreachable_is_retried(hass: HomeAssistant, bambu_printer: BambuSimulator) -> None:
    """A printer that is off at start-up is set up later."""
    entry = await _entry(hass, bambu_printer)
    await bambu_printer.go_offline()
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_changed_certificate_at_setup(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """Another key than the pinned one: no connection, a fixable issue, re-pin on confirm."""
    entry = await _entry(hass, bambu_printer)
    old_pin = entry.data[CONF_CERT_PIN]
    new_pin = await bambu_printer.change_certificate()
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    issue_id = f"pin_mismatch_{entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable

    result = await _repair_flow(hass, issue_id)
    assert result["type"] is FlowResultType.FORM
    placeholders = result["description_placeholders"]
    assert placeholders["expected"] != placeholders["actual"]
    assert placeholders["actual"].replace(":", "").lower() == new_pin.replace(":", "").lower()
    assert entry.data[CONF_CERT_PIN] == old_pin  # nothing changes before the user confirms

    flow_manager = repairs_flow_manager(hass)
    assert flow_manager is not None
    result = await flow_manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.data[CONF_CERT_PIN] == new_pin
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_changed_certificate_while_running(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """A new key on reconnect stops the connection and raises the issue."""
    entry = await setup_printer(hass, bambu_printer)
    status = entity_id_of(hass, "sensor", bambu_printer, "status")
    await bambu_printer.change_certificate()
    await bambu_printer.drop()
    await wait_for_state(hass, status, STATE_UNAVAILABLE)
    await wait_for(
        hass,
        lambda: (
            ir.async_get(hass).async_get_issue(DOMAIN, f"pin_mismatch_{entry.entry_id}") is not None
        ),
        what="pin issue",
    )


async def test_repair_flow_when_pin_is_back(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """If the printer presents the pinned key again, the repair has nothing to do."""
    entry = await setup_printer(hass, bambu_printer)
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"pin_mismatch_{entry.entry_id}",
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key="pin_mismatch",
        translation_placeholders={"printer": entry.title},
        data={"entry_id": entry.entry_id},
    )
    result = await _repair_flow(hass, f"pin_mismatch_{entry.entry_id}")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "pin_unchanged"
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_HOST: "127.0.0.1:9"})
    result = await _repair_flow(hass, f"pin_mismatch_{entry.entry_id}")
    assert result["reason"] == "cannot_connect"


async def test_tls_opt_out_raises_a_warning(
    hass: HomeAssistant, bambu_printer: BambuSimulator
) -> None:
    """Certificate checks off (MQTT proxy): it works, and a repair issue warns."""
    entry = await _entry(hass, bambu_printer)
    await bambu_printer.change_certificate(common_name="proxy.local")
    hass.config_entries.async_update_entry(entry, options={"verify_tls": False})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"tls_disabled_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "tls_verification_disabled"
