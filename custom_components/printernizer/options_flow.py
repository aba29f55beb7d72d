"""Options of a printer."""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.const import UnitOfPower
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
)

from .const import (
    CONF_AUTO_DOWNLOAD,
    CONF_AUTO_DOWNLOAD_MAX_FILES,
    CONF_AUTO_DOWNLOAD_MAX_MB,
    CONF_CAMERA,
    CONF_ELECTRICITY_PRICE,
    CONF_ELECTRICITY_PRICE_ENTITY,
    CONF_FILAMENT_PRICE,
    CONF_FILAMENT_PRICES,
    CONF_IDLE_INTERVAL,
    CONF_JOB_RETENTION_DAYS,
    CONF_POWER,
    CONF_POWER_ENTITY,
    CONF_PRINTER_TYPE,
    CONF_PRINTING_INTERVAL,
    CONF_VERIFY_TLS,
    DEFAULT_AUTO_DOWNLOAD_MAX_FILES,
    DEFAULT_AUTO_DOWNLOAD_MAX_MB,
    DEFAULT_IDLE_INTERVAL,
    DEFAULT_PRINTING_INTERVAL,
    FILAMENT_MATERIALS,
    PRINTER_TYPE_BAMBU,
    PRINTER_TYPE_PRUSA,
)
from .energy import default_watts
from .schema import vol

STEP_ANALYTICS: Final = "analytics"
CONF_OTHER_PRICES: Final = "filament_prices_other"
"""Form field: prices of further materials as ``PVA=80; PLA-CF=35``."""
MATERIAL_FIELDS: Final = {f"filament_price_{m.lower()}": m for m in FILAMENT_MATERIALS}
"""Form field of each material's price."""
_OTHER_SPLIT: Final = re.compile(r"[;,\n]+")
_OTHER_ENTRY: Final = re.compile(r"^\s*([^=:]*?)\s*[=:]\s*([0-9]+(?:\.[0-9]+)?)\s*$")


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
_FILE_OPTIONS = frozenset(
    {CONF_CAMERA, CONF_AUTO_DOWNLOAD, CONF_AUTO_DOWNLOAD_MAX_FILES, CONF_AUTO_DOWNLOAD_MAX_MB}
)
# The options each step owns; the other steps' options are kept when one is saved.
_BAMBU_OPTIONS = frozenset({CONF_VERIFY_TLS, *_FILE_OPTIONS})
_PRUSA_OPTIONS = frozenset({CONF_PRINTING_INTERVAL, CONF_IDLE_INTERVAL, *_FILE_OPTIONS})
_ANALYTICS_OPTIONS = frozenset(
    {
        CONF_FILAMENT_PRICE,
        CONF_FILAMENT_PRICES,
        CONF_ELECTRICITY_PRICE,
        CONF_ELECTRICITY_PRICE_ENTITY,
        CONF_POWER,
        CONF_POWER_ENTITY,
        CONF_JOB_RETENTION_DAYS,
    }
)


def _price(unit: str) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=0, max=100_000, step="any", mode=NumberSelectorMode.BOX, unit_of_measurement=unit
        )
    )


def _analytics_schema(currency: str) -> vol.Schema:
    """Prices, energy and history (all optional: an empty field means the default)."""
    per_kg = _price(f"{currency}/kg")
    return vol.Schema(
        {
            vol.Optional(CONF_FILAMENT_PRICE): per_kg,
            **{vol.Optional(field): per_kg for field in MATERIAL_FIELDS},
            vol.Optional(CONF_OTHER_PRICES): TextSelector(),
            vol.Optional(CONF_ELECTRICITY_PRICE): _price(f"{currency}/kWh"),
            vol.Optional(CONF_ELECTRICITY_PRICE_ENTITY): EntitySelector(
                EntitySelectorConfig(domain=["sensor", "input_number", "number"])
            ),
            vol.Optional(CONF_POWER): NumberSelector(
                NumberSelectorConfig(
                    min=1,
                    max=10_000,
                    step=1,
                    mode=NumberSelectorMode.BOX,
                    unit_of_measurement=UnitOfPower.WATT,
                )
            ),
            vol.Optional(CONF_POWER_ENTITY): EntitySelector(
                EntitySelectorConfig(
                    domain="sensor",
                    device_class=[SensorDeviceClass.POWER, SensorDeviceClass.ENERGY],
                )
            ),
            vol.Optional(CONF_JOB_RETENTION_DAYS): NumberSelector(
                NumberSelectorConfig(
                    min=0, max=36_500, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="d"
                )
            ),
        }
    )


def _analytics_form_values(options: Mapping[str, Any]) -> dict[str, Any]:
    """Return the form values of the stored analytics options."""
    values = {
        key: options[key]
        for key in (
            CONF_FILAMENT_PRICE,
            CONF_ELECTRICITY_PRICE,
            CONF_ELECTRICITY_PRICE_ENTITY,
            CONF_POWER,
            CONF_POWER_ENTITY,
            CONF_JOB_RETENTION_DAYS,
        )
        if options.get(key) is not None
    }
    prices: dict[str, float] = dict(options.get(CONF_FILAMENT_PRICES) or {})
    for field, material in MATERIAL_FIELDS.items():
        if material in prices:
            values[field] = prices.pop(material)
    if prices:
        values[CONF_OTHER_PRICES] = "; ".join(f"{m}={p:g}" for m, p in prices.items())
    return values


def _parse_other_prices(text: str) -> dict[str, float]:
    """Parse ``PVA=80; PLA-CF=35.5``; raise ValueError for anything else."""
    prices: dict[str, float] = {}
    for part in _OTHER_SPLIT.split(text):
        if not part.strip():
            continue
        match = _OTHER_ENTRY.match(part)
        if match is None or not match.group(1):
            raise ValueError(part)
        prices[match.group(1).upper()] = float(match.group(2))
    return prices


def _analytics_options(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the options to store from the analytics form; raise ValueError for bad prices."""
    prices = _parse_other_prices(user_input.get(CONF_OTHER_PRICES, ""))
    for field, material in MATERIAL_FIELDS.items():
        if user_input.get(field) is not None:
            prices[material] = float(user_input[field])
    options: dict[str, Any] = {}
    for key in (CONF_FILAMENT_PRICE, CONF_ELECTRICITY_PRICE, CONF_POWER):
        if user_input.get(key) is not None:
            options[key] = float(user_input[key])
    if prices:
        options[CONF_FILAMENT_PRICES] = prices
    for key in (CONF_ELECTRICITY_PRICE_ENTITY, CONF_POWER_ENTITY):
        if user_input.get(key):
            options[key] = user_input[key]
    if user_input.get(CONF_JOB_RETENTION_DAYS):
        options[CONF_JOB_RETENTION_DAYS] = int(user_input[CONF_JOB_RETENTION_DAYS])
    return options


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
    """Change how Home Assistant talks to a printer, and what its prints cost."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Offer the printer's own options (each kind has its step) and the analytics options."""
        kind = self.config_entry.data[CONF_PRINTER_TYPE]
        vendor = PRINTER_TYPE_BAMBU if kind == PRINTER_TYPE_BAMBU else PRINTER_TYPE_PRUSA
        return self.async_show_menu(step_id="init", menu_options=[vendor, STEP_ANALYTICS])

    async def async_step_bambu(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and store the Bambu Lab options."""
        options = self.config_entry.options
        if user_input is None:
            schema = vol.Schema(
                {
                    vol.Required(
                        CONF_VERIFY_TLS, default=options.get(CONF_VERIFY_TLS, True)
                    ): BooleanSelector(),
                    **_file_options(options),
                }
            )
            return self.async_show_form(step_id="bambu", data_schema=schema)
        return self._save(
            _BAMBU_OPTIONS,
            {
                key: int(value) if key in _INT_OPTIONS else value
                for key, value in user_input.items()
            },
        )

    async def async_step_prusa(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and store the Prusa options."""
        options = self.config_entry.options
        if user_input is None:
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
        return self._save(
            _PRUSA_OPTIONS,
            {
                key: value if isinstance(value, bool) else int(value)
                for key, value in user_input.items()
            },
        )

    async def async_step_analytics(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and store prices, the printer's power and the job history's retention."""
        errors: dict[str, str] = {}
        values: Mapping[str, Any] = _analytics_form_values(self.config_entry.options)
        if user_input is not None:
            try:
                options = _analytics_options(user_input)
            except ValueError:
                errors[CONF_OTHER_PRICES] = "invalid_material_prices"
                values = user_input
            else:
                return self._save(_ANALYTICS_OPTIONS, options)
        currency = self.hass.config.currency
        coordinator = getattr(self.config_entry, "runtime_data", None)
        watts = default_watts(coordinator.info) if coordinator is not None else None
        return self.async_show_form(
            step_id=STEP_ANALYTICS,
            data_schema=self.add_suggested_values_to_schema(_analytics_schema(currency), values),
            errors=errors,
            description_placeholders={
                "currency": currency,
                "watts": "?" if watts is None else f"{watts:g}",
            },
        )

    def _save(self, owned: frozenset[str], values: dict[str, Any]) -> ConfigFlowResult:
        """Store ``values`` as the options a step owns; the other steps' options stay."""
        kept = {k: v for k, v in self.config_entry.options.items() if k not in owned}
        return self.async_create_entry(data={**kept, **values})
