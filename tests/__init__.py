"""Tests for the Printernizer integration."""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.printernizer.const import (
    CONF_ACCESS_CODE,
    CONF_CERT_PIN,
    CONF_PRINTER_TYPE,
    CONF_SERIAL,
    DOMAIN,
    PRINTER_TYPE_BAMBU,
    PRINTER_TYPE_PRUSA,
)
from custom_components.printernizer.printers.bambu.tls import fetch_certificate


async def printer_entry_data(printer: Any) -> dict[str, Any]:
    """Return the config entry data (SPEC §2 keys) for a simulated printer."""
    host = f"{printer.host}:{printer.port}"
    if hasattr(printer, "access_code"):
        # Pinned on first use, as the config flow does.
        certificate = await fetch_certificate(printer.host, printer.port, printer.serial)
        return {
            CONF_PRINTER_TYPE: PRINTER_TYPE_BAMBU,
            CONF_HOST: host,
            CONF_SERIAL: printer.serial,
            CONF_ACCESS_CODE: printer.access_code,
            CONF_CERT_PIN: certificate.pin,
            # Simulators listen on random ports: FTPS, and the P1/A1 JPEG camera stream.
            "ftps_port": printer.ftps_port,
            **({"camera_port": printer.camera_port} if printer.camera_port else {}),
        }
    return {
        CONF_PRINTER_TYPE: PRINTER_TYPE_PRUSA,
        CONF_HOST: host,
        CONF_USERNAME: printer.username,
        CONF_PASSWORD: printer.password,
    }


async def setup_printer(
    hass: HomeAssistant, printer: Any, *, options: dict[str, Any] | None = None
) -> ConfigEntry:
    """Create the config entry of a simulated printer, set it up and wait until it is loaded."""
    data = await printer_entry_data(printer)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Printer {printer.serial[-4:]}",
        unique_id=printer.serial,
        data=data,
        options=options or {},
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED, entry.state
    return entry


async def wait_for(
    hass: HomeAssistant,
    condition: Any,
    *,
    timeout: float = 10.0,  # noqa: ASYNC109
    what: str = "condition",
) -> None:
    """Wait (in real time: the printers are real servers) until ``condition()`` is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
        await hass.async_block_till_done()


async def wait_for_state(
    hass: HomeAssistant,
    entity_id: str,
    expected: str,
    *,
    timeout: float = 10.0,  # noqa: ASYNC109
) -> None:
    """Wait until an entity shows ``expected``."""

    def reached() -> bool:
        state = hass.states.get(entity_id)
        return state is not None and state.state == expected

    try:
        await wait_for(hass, reached, timeout=timeout, what=f"{entity_id} == {expected}")
    except AssertionError:
        state = hass.states.get(entity_id)
        raise AssertionError(
            f"{entity_id} is {state.state if state else None!r}, expected {expected!r}"
        ) from None


def entity_id_of(hass: HomeAssistant, domain: str, printer: Any, key: str) -> str:
    """Return the entity id of ``<serial>_<key>`` on platform ``domain``."""
    from homeassistant.helpers import entity_registry as er

    found = er.async_get(hass).async_get_entity_id(domain, DOMAIN, f"{printer.serial}_{key}")
    assert found is not None, f"no {domain} entity {printer.serial}_{key}"
    return found
