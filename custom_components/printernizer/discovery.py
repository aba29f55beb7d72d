"""Start config flows for Bambu Lab printers that announce themselves on the network."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY
from homeassistant.const import CONF_HOST, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import discovery_flow

from .const import CONF_SERIAL, DOMAIN
from .printers.bambu.discovery import DISCOVERY_PORTS, DiscoveredPrinter, DiscoveryListener
from .printers.bambu.models import model_from_serial


async def async_start_discovery(hass: HomeAssistant) -> DiscoveryListener:
    """Listen for printers until Home Assistant stops."""

    @callback
    def found(printer: DiscoveredPrinter) -> None:
        model = model_from_serial(printer.serial)
        discovery_flow.async_create_flow(
            hass,
            DOMAIN,
            context={"source": SOURCE_INTEGRATION_DISCOVERY},
            data={
                CONF_HOST: printer.host,
                CONF_SERIAL: printer.serial,
                "name": printer.name,
                "model": model.name if model else printer.model,
            },
        )

    listener = DiscoveryListener(found, ports=DISCOVERY_PORTS)
    await listener.start()

    @callback
    def stop(_: Event) -> None:
        listener.stop()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, stop)
    return listener
