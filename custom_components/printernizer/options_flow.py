"""Options of a printer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)

from .const import (
    CONF_AUTO_DOWNLOAD,
    CONF_AUTO_DOWNLOAD_MAX_FILES,
    CONF_AUTO_DOWNLOAD_MAX_MB,
    CONF_CAMERA,
    CONF_IDLE_INTERVAL,
    CONF_PRINTER_TYPE,
    CONF_PRINTING_INTERVAL,
    CONF_VERIFY_TLS,
    DEFAULT_AUTO_DOWNLOAD_MAX_FILES,
    DEFAULT_AUTO_DOWNLOAD_MAX_MB,
    DEFAULT_IDLE_INTERVAL,
    DEFAULT_PRINTING_INTERVAL,
    PRINTER_TYPE_BAMBU,
)
from .schema import vol


def _seconds(minimum: int, maximum: int) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=1,
            mode=NumberSelectorMode.BOX,
            unit_of_measurement="s",
        )
    )


_INT_OPTIONS = frozenset({CONF_AUTO_DOWNLOAD_MAX_FILES, CONF_AUTO_DOWNLOAD_MAX_MB})


def _file_options(options: Mapping[str, Any]) -> dict[Any, Any]:
    """Camera and auto-download options (suggested, so untouched forms store nothing new)."""

    def suggested(key: str, default: Any) -> dict[str, Any]:
        return {"suggested_value": options.get(key, default)}

    return {
        vol.Optional(CONF_CAMERA, description=suggested(CONF_CAMERA, True)): BooleanSelector(),
        vol.Optional(
            CONF_AUTO_DOWNLOAD, description=suggested(CONF_AUTO_DOWNLOAD, False)
        ): BooleanSelector(),
        vol.Optional(
            CONF_AUTO_DOWNLOAD_MAX_FILES,
            description=suggested(CONF_AUTO_DOWNLOAD_MAX_FILES, DEFAULT_AUTO_DOWNLOAD_MAX_FILES),
        ): NumberSelector(
            NumberSelectorConfig(min=1, max=10000, step=1, mode=NumberSelectorMode.BOX)
        ),
        vol.Optional(
            CONF_AUTO_DOWNLOAD_MAX_MB,
            description=suggested(CONF_AUTO_DOWNLOAD_MAX_MB, DEFAULT_AUTO_DOWNLOAD_MAX_MB),
        ): NumberSelector(
            NumberSelectorConfig(
                min=1, max=1_000_000, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="MB"
            )
        ),
    }


class PrinternizerOptionsFlow(OptionsFlowWithReload):
    """Change how Home Assistant talks to a printer."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options of the printer's kind (each kind has its own step)."""
        options = self.config_entry.options
        if self.config_entry.data[CONF_PRINTER_TYPE] == PRINTER_TYPE_BAMBU:
            schema = vol.Schema(
                {
                    vol.Required(
                        CONF_VERIFY_TLS, default=options.get(CONF_VERIFY_TLS, True)
                    ): BooleanSelector(),
                    **_file_options(options),
                }
            )
            return self.async_show_form(step_id="bambu", data_schema=schema)
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_PRINTING_INTERVAL,
                    default=options.get(CONF_PRINTING_INTERVAL, DEFAULT_PRINTING_INTERVAL),
                ): _seconds(2, 60),
                vol.Required(
                    CONF_IDLE_INTERVAL,
                    default=options.get(CONF_IDLE_INTERVAL, DEFAULT_IDLE_INTERVAL),
                ): _seconds(10, 300),
                **_file_options(options),
            }
        )
        return self.async_show_form(step_id="prusa", data_schema=schema)

    async def async_step_bambu(self, user_input: dict[str, Any]) -> ConfigFlowResult:
        """Store the Bambu Lab options."""
        return self.async_create_entry(
            data={
                key: int(value) if key in _INT_OPTIONS else value
                for key, value in user_input.items()
            }
        )

    async def async_step_prusa(self, user_input: dict[str, Any]) -> ConfigFlowResult:
        """Store the Prusa options."""
        return self.async_create_entry(
            data={
                key: value if isinstance(value, bool) else int(value)
                for key, value in user_input.items()
            }
        )
