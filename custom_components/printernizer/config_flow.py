"""Config flow for Printernizer: Bambu Lab and Prusa printers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, override

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import callback
from homeassistant.helpers.device_registry import format_mac
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.helpers.typing import DiscoveryInfoType

from .const import (
    CONF_ACCESS_CODE,
    CONF_CERT_PIN,
    CONF_MAC,
    CONF_PRINTER_TYPE,
    CONF_SERIAL,
    CONF_VERIFY_TLS,
    DEFAULT_PRUSA_USERNAME,
    DOMAIN,
    LOGGER,
    PRINTER_TYPE_BAMBU,
    PRINTER_TYPE_PRUSA,
)
from .options_flow import PrinternizerOptionsFlow
from .printers.bambu.tls import CertificateNameMismatchError
from .printers.errors import (
    PrinterAuthError,
    PrinterConnectionError,
    PrinterProtocolError,
    PrinterTlsError,
    PrinterUnsupportedError,
)
from .schema import vol
from .validation import (
    BambuCheck,
    async_check_bambu,
    async_check_prusa,
)

if TYPE_CHECKING:
    from .printers.model import PrinterInfo

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


def _error_key(err: Exception) -> str:
    """Return the flow error for a failed check."""
    match err:
        case PrinterAuthError():
            return "invalid_auth"
        case CertificateNameMismatchError():
            return "wrong_serial"
        case PrinterTlsError():
            return "tls_failed"
        case PrinterUnsupportedError():
            return "unsupported_printer"
        case PrinterProtocolError():
            return "not_prusalink"
        case PrinterConnectionError():
            return "cannot_connect"
    LOGGER.exception("Unexpected error while checking the printer")
    return "unknown"


class PrinternizerConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Bambu Lab or Prusa printer."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing known."""
        self._host: str | None = None
        self._serial: str | None = None
        self._mac: str | None = None
        self._discovered_name: str | None = None
        self._discovered_model: str | None = None

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlowWithReload:
        """Return the options flow."""
        return PrinternizerOptionsFlow()

    @override
    def is_matching(self, other_flow: PrinternizerConfigFlow) -> bool:
        """Return whether another flow is about the same discovered printer."""
        return self._host is not None and other_flow._host == self._host

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the kind of printer."""
        return self.async_show_menu(step_id="user", menu_options=["bambu", "prusa"])

    # ------------------------------------------------------------------------------ Bambu Lab

    async def _async_bambu_entry(
        self, host: str, serial: str, access_code: str, check: BambuCheck
    ) -> ConfigFlowResult:
        await self.async_set_unique_id(serial)
        self._abort_if_unique_id_configured(updates={CONF_HOST: host})
        return self.async_create_entry(
            title=self._discovered_name or check.title,
            data={
                CONF_PRINTER_TYPE: PRINTER_TYPE_BAMBU,
                CONF_HOST: host,
                CONF_SERIAL: serial,
                CONF_ACCESS_CODE: access_code,
                CONF_CERT_PIN: check.pin,
            },
        )

    async def async_step_bambu(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for a Bambu Lab printer's address, serial number and access code."""
        errors: dict[str, str] = {}
        if user_input is not None:
            host = user_input[CONF_HOST].strip()
            serial = user_input[CONF_SERIAL].strip().upper()
            access_code = user_input[CONF_ACCESS_CODE].strip()
            await self.async_set_unique_id(serial)
            self._abort_if_unique_id_configured(updates={CONF_HOST: host})
            try:
                check = await async_check_bambu(self.hass, host, serial, access_code)
            except Exception as err:  # noqa: BLE001 - every failure becomes a form error
                errors["base"] = _error_key(err)
            else:
                return await self._async_bambu_entry(host, serial, access_code, check)
        return self.async_show_form(
            step_id="bambu",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_HOST): str,
                        vol.Required(CONF_SERIAL): str,
                        vol.Required(CONF_ACCESS_CODE): _PASSWORD,
                    }
                ),
                user_input,
            ),
            errors=errors,
        )

    async def async_step_integration_discovery(
        self, discovery_info: DiscoveryInfoType
    ) -> ConfigFlowResult:
        """Handle a Bambu Lab printer announcing itself on the network."""
        self._host = discovery_info[CONF_HOST]
        self._serial = str(discovery_info[CONF_SERIAL]).upper()
        self._discovered_name = discovery_info.get("name")
        self._discovered_model = discovery_info.get("model")
        await self.async_set_unique_id(self._serial)
        self._abort_if_unique_id_configured(updates={CONF_HOST: self._host})
        self.context["title_placeholders"] = {"name": self._discovered_name or self._serial}
        return await self.async_step_bambu_discovery_confirm()

    async def async_step_bambu_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the access code of a discovered Bambu Lab printer."""
        assert self._host is not None
        assert self._serial is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            access_code = user_input[CONF_ACCESS_CODE].strip()
            try:
                check = await async_check_bambu(self.hass, self._host, self._serial, access_code)
            except Exception as err:  # noqa: BLE001 - every failure becomes a form error
                errors["base"] = _error_key(err)
            else:
                return await self._async_bambu_entry(self._host, self._serial, access_code, check)
        return self.async_show_form(
            step_id="bambu_discovery_confirm",
            data_schema=vol.Schema({vol.Required(CONF_ACCESS_CODE): _PASSWORD}),
            description_placeholders={
                "model": self._discovered_model or "Bambu Lab",
                "name": self._discovered_name or "",
                "serial": self._serial,
                "host": self._host,
            },
            errors=errors,
        )

    # ------------------------------------------------------------------------------ Prusa

    async def _async_prusa_entry(
        self, host: str, username: str, password: str, info: PrinterInfo
    ) -> ConfigFlowResult:
        await self.async_set_unique_id(info.serial)
        updates: dict[str, Any] = {CONF_HOST: host}
        if self._mac:
            updates[CONF_MAC] = self._mac
        self._abort_if_unique_id_configured(updates=updates)
        data: dict[str, Any] = {
            CONF_PRINTER_TYPE: PRINTER_TYPE_PRUSA,
            CONF_HOST: host,
            CONF_USERNAME: username,
            CONF_PASSWORD: password,
        }
        if self._mac:
            data[CONF_MAC] = self._mac
        return self.async_create_entry(title=info.name or info.model or host, data=data)

    async def async_step_prusa(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for a Prusa printer's PrusaLink address and login."""
        errors: dict[str, str] = {}
        if user_input is not None:
            host = user_input[CONF_HOST].strip()
            try:
                info = await async_check_prusa(
                    self.hass, host, user_input[CONF_USERNAME], user_input[CONF_PASSWORD]
                )
            except Exception as err:  # noqa: BLE001 - every failure becomes a form error
                errors["base"] = _error_key(err)
            else:
                return await self._async_prusa_entry(
                    host, user_input[CONF_USERNAME], user_input[CONF_PASSWORD], info
                )
        return self.async_show_form(
            step_id="prusa",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_HOST): str,
                        vol.Required(CONF_USERNAME, default=DEFAULT_PRUSA_USERNAME): str,
                        vol.Required(CONF_PASSWORD): _PASSWORD,
                    }
                ),
                user_input,
            ),
            errors=errors,
        )

    async def async_step_dhcp(self, discovery_info: DhcpServiceInfo) -> ConfigFlowResult:
        """Handle a Prusa printer (MAC prefix 10:9C:70) joining the network."""
        self._host = discovery_info.ip
        self._mac = format_mac(discovery_info.macaddress)
        for entry in self._async_current_entries(include_ignore=False):
            if entry.data.get(CONF_PRINTER_TYPE) != PRINTER_TYPE_PRUSA:
                continue
            if entry.data.get(CONF_MAC) == self._mac:
                if entry.data[CONF_HOST] != self._host:
                    self.hass.config_entries.async_update_entry(
                        entry, data={**entry.data, CONF_HOST: self._host}
                    )
                    self.hass.config_entries.async_schedule_reload(entry.entry_id)
                return self.async_abort(reason="already_configured")
        self._async_abort_entries_match({CONF_HOST: self._host})
        if self.hass.config_entries.flow.async_has_matching_flow(self):
            return self.async_abort(reason="already_in_progress")
        self.context["title_placeholders"] = {"name": discovery_info.hostname or self._host}
        return await self.async_step_prusa_discovery_confirm()

    async def async_step_prusa_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the PrusaLink login of a discovered printer."""
        assert self._host is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                info = await async_check_prusa(
                    self.hass, self._host, user_input[CONF_USERNAME], user_input[CONF_PASSWORD]
                )
            except PrinterProtocolError:
                return self.async_abort(reason="not_prusalink")
            except Exception as err:  # noqa: BLE001 - every failure becomes a form error
                errors["base"] = _error_key(err)
            else:
                return await self._async_prusa_entry(
                    self._host, user_input[CONF_USERNAME], user_input[CONF_PASSWORD], info
                )
        return self.async_show_form(
            step_id="prusa_discovery_confirm",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_USERNAME, default=DEFAULT_PRUSA_USERNAME): str,
                    vol.Required(CONF_PASSWORD): _PASSWORD,
                }
            ),
            description_placeholders={"host": self._host},
            errors=errors,
        )

    # ------------------------------------------------------------------------------ reauth

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Ask for new credentials after the printer refused the stored ones."""
        if entry_data[CONF_PRINTER_TYPE] == PRINTER_TYPE_BAMBU:
            return await self.async_step_bambu_reauth()
        return await self.async_step_prusa_reauth()

    async def async_step_bambu_reauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new access code."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            access_code = user_input[CONF_ACCESS_CODE].strip()
            try:
                await async_check_bambu(
                    self.hass,
                    entry.data[CONF_HOST],
                    entry.data[CONF_SERIAL],
                    access_code,
                    pin=entry.data.get(CONF_CERT_PIN),
                    verify=entry.options.get(CONF_VERIFY_TLS, True),
                )
            except Exception as err:  # noqa: BLE001 - every failure becomes a form error
                errors["base"] = _error_key(err)
            else:
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_ACCESS_CODE: access_code}
                )
        return self.async_show_form(
            step_id="bambu_reauth",
            data_schema=vol.Schema({vol.Required(CONF_ACCESS_CODE): _PASSWORD}),
            description_placeholders={"name": entry.title},
            errors=errors,
        )

    async def async_step_prusa_reauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new PrusaLink login."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                info = await async_check_prusa(
                    self.hass,
                    entry.data[CONF_HOST],
                    user_input[CONF_USERNAME],
                    user_input[CONF_PASSWORD],
                )
            except Exception as err:  # noqa: BLE001 - every failure becomes a form error
                errors["base"] = _error_key(err)
            else:
                await self.async_set_unique_id(info.serial)
                self._abort_if_unique_id_mismatch()
                return self.async_update_reload_and_abort(
                    entry,
                    data_updates={
                        CONF_USERNAME: user_input[CONF_USERNAME],
                        CONF_PASSWORD: user_input[CONF_PASSWORD],
                    },
                )
        return self.async_show_form(
            step_id="prusa_reauth",
            data_schema=vol.Schema(
                {
                    vol.Required(
                        CONF_USERNAME,
                        default=entry.data.get(CONF_USERNAME, DEFAULT_PRUSA_USERNAME),
                    ): str,
                    vol.Required(CONF_PASSWORD): _PASSWORD,
                }
            ),
            description_placeholders={"name": entry.title},
            errors=errors,
        )

    # ------------------------------------------------------------------------------ reconfigure

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the address of a configured printer."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            host = user_input[CONF_HOST].strip()
            try:
                if entry.data[CONF_PRINTER_TYPE] == PRINTER_TYPE_BAMBU:
                    await async_check_bambu(
                        self.hass,
                        host,
                        entry.data[CONF_SERIAL],
                        entry.data[CONF_ACCESS_CODE],
                        pin=entry.data.get(CONF_CERT_PIN),
                        verify=entry.options.get(CONF_VERIFY_TLS, True),
                    )
                    serial = entry.data[CONF_SERIAL]
                else:
                    info = await async_check_prusa(
                        self.hass, host, entry.data[CONF_USERNAME], entry.data[CONF_PASSWORD]
                    )
                    serial = info.serial
            except CertificateNameMismatchError:
                return self.async_abort(reason="unique_id_mismatch")
            except Exception as err:  # noqa: BLE001 - every failure becomes a form error
                errors["base"] = _error_key(err)
            else:
                await self.async_set_unique_id(serial)
                self._abort_if_unique_id_mismatch()
                return self.async_update_reload_and_abort(entry, data_updates={CONF_HOST: host})
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema({vol.Required(CONF_HOST): str}),
                user_input or {CONF_HOST: entry.data[CONF_HOST]},
            ),
            description_placeholders={"name": entry.title},
            errors=errors,
        )
