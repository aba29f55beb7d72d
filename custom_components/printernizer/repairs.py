"""Repair issues: a changed printer certificate, switched-off checks, signed-command firmware."""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import CONF_CERT_PIN, CONF_SERIAL, DOMAIN
from .printers.bambu.client import DEFAULT_PORT as BAMBU_PORT
from .printers.bambu.tls import fetch_certificate, format_fingerprint
from .printers.errors import PinMismatchError, PrinterClientError
from .schema import vol
from .validation import split_host_port


def pin_issue_id(entry: ConfigEntry) -> str:
    """Return the id of the changed-certificate issue of an entry."""
    return f"pin_mismatch_{entry.entry_id}"


def signed_commands_issue_id(entry: ConfigEntry) -> str:
    """Return the id of the signed-commands issue of an entry."""
    return f"signed_commands_{entry.entry_id}"


def tls_disabled_issue_id(entry: ConfigEntry) -> str:
    """Return the id of the switched-off-certificate-checks issue of an entry."""
    return f"tls_disabled_{entry.entry_id}"


def no_storage_issue_id(entry: ConfigEntry) -> str:
    """Return the id of the no-SD-card issue of an entry."""
    return f"no_storage_{entry.entry_id}"


def async_create_no_storage_issue(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Tell the user that file actions need an SD card (or USB drive) in the printer."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        no_storage_issue_id(entry),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="no_storage",
        translation_placeholders={"printer": entry.title},
    )


def async_create_pin_issue(hass: HomeAssistant, entry: ConfigEntry, err: PinMismatchError) -> None:
    """Tell the user the printer presents another certificate; only they may trust it."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        pin_issue_id(entry),
        is_fixable=True,
        is_persistent=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="pin_mismatch",
        translation_placeholders={"printer": entry.title},
        data={"entry_id": entry.entry_id},
    )


def async_update_tls_issue(hass: HomeAssistant, entry: ConfigEntry, verify: bool) -> None:
    """Keep a warning up for as long as certificate checks are switched off."""
    if verify:
        ir.async_delete_issue(hass, DOMAIN, tls_disabled_issue_id(entry))
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        tls_disabled_issue_id(entry),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="tls_verification_disabled",
        translation_placeholders={"printer": entry.title},
    )


def async_update_firmware_issue(
    hass: HomeAssistant, entry: ConfigEntry, legacy_api: bool, api_version: str | None
) -> None:
    """Suggest a firmware update while a Prusa printer only offers the legacy PrusaLink API."""
    issue_id = f"firmware_too_old_{entry.entry_id}"
    if not legacy_api:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="firmware_too_old",
        translation_placeholders={"printer": entry.title, "version": api_version or "?"},
        learn_more_url="https://help.prusa3d.com/article/prusa-firmware-specifications_745",
    )


class PinMismatchRepairFlow(RepairsFlow):
    """Show the old and the new certificate key, and re-pin only when the user confirms."""

    def __init__(self, entry: ConfigEntry) -> None:
        """Remember the entry whose printer changed its certificate."""
        self._entry = entry
        self._new_pin: str | None = None

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Start with the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Show both fingerprints; store the new pin once confirmed."""
        entry = self._entry
        if user_input is not None and self._new_pin is not None:
            self.hass.config_entries.async_update_entry(
                entry, data={**entry.data, CONF_CERT_PIN: self._new_pin}
            )
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
            return self.async_create_entry(data={})
        host, port = split_host_port(entry.data[CONF_HOST], BAMBU_PORT)
        try:
            certificate = await fetch_certificate(host, port, entry.data[CONF_SERIAL])
        except PrinterClientError:
            return self.async_abort(reason="cannot_connect")
        expected = entry.data.get(CONF_CERT_PIN)
        if expected == certificate.pin:
            return self.async_abort(reason="pin_unchanged")
        self._new_pin = certificate.pin
        return self.async_show_form(
            step_id="confirm",
            data_schema=vol.Schema({}),
            description_placeholders={
                "printer": entry.title,
                "host": entry.data[CONF_HOST],
                "expected": format_fingerprint(expected) if expected else "-",
                "actual": format_fingerprint(certificate.pin),
            },
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Create the flow that fixes a fixable issue."""
    assert data is not None
    entry = hass.config_entries.async_get_entry(str(data["entry_id"]))
    assert entry is not None
    return PinMismatchRepairFlow(entry)
