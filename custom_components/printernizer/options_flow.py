"""Options of a printer."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)

from .const import (
    CONF_IDLE_INTERVAL,
    CONF_PRINTER_TYPE,
    CONF_PRINTING_INTERVAL,
    CONF_VERIFY_TLS,
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
            }
        )
        return self.async_show_form(step_id="prusa", data_schema=schema)

    async def async_step_bambu(self, user_input: dict[str, Any]) -> ConfigFlowResult:
        """Store the Bambu Lab options."""
        return self.async_create_entry(data=user_input)

    async def async_step_prusa(self, user_input: dict[str, Any]) -> ConfigFlowResult:
        """Store the Prusa options."""
        return self.async_create_entry(data={key: int(value) for key, value in user_input.items()})
