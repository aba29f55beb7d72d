"""Checks that a printer answers with the given settings (config flow and repairs)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .printers.bambu.client import DEFAULT_PORT as BAMBU_PORT, BambuClient
from .printers.bambu.state import BambuStateTracker
from .printers.bambu.tls import fetch_certificate
from .printers.errors import PinMismatchError
from .printers.model import PrinterInfo
from .printers.prusa.client import PrusaLinkClient

# How long to wait for the printer's get_version answer, which names the model.
VERSION_WAIT: Final = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class BambuCheck:
    """What a successful Bambu Lab check learned."""

    pin: str | None
    info: PrinterInfo

    @property
    def title(self) -> str:
        """Return the entry title: the model and the serial's tail."""
        model = self.info.model or "Bambu Lab"
        return f"{model} {self.info.serial[-4:]}"


def split_host_port(host: str, default_port: int) -> tuple[str, int]:
    """Split ``host[:port]`` (a port is useful behind MQTT proxies and for simulators)."""
    name, sep, port = host.rpartition(":")
    if sep and port.isdigit() and name and not name.endswith(":"):
        return name.strip("[]"), int(port)
    return host, default_port


async def async_check_bambu(
    hass: HomeAssistant,
    host: str,
    serial: str,
    access_code: str,
    *,
    pin: str | None = None,
    verify: bool = True,
) -> BambuCheck:
    """Connect to a Bambu Lab printer like the integration will, and identify it.

    With ``verify`` the printer's certificate must name ``serial``; its key is pinned here on
    first use, or must match ``pin`` when one is stored already.
    """
    address, port = split_host_port(host, BAMBU_PORT)
    found_pin: str | None = None
    if verify:
        certificate = await fetch_certificate(address, port, serial)
        if pin is not None and certificate.pin != pin:
            raise PinMismatchError(pin, certificate.pin)
        found_pin = certificate.pin
    tracker = BambuStateTracker(serial)
    identified = asyncio.Event()

    def on_message(message: dict[str, Any]) -> None:
        tracker.apply(message)
        if "info" in message:
            identified.set()

    client = BambuClient(
        address,
        serial,
        access_code,
        port=port,
        pin=found_pin,
        verify=verify,
        on_message=on_message,
    )
    try:
        await client.connect()
        try:
            async with asyncio.timeout(VERSION_WAIT):
                await identified.wait()
        except TimeoutError:
            # Older firmware answers get_version late; the serial prefix names the model then.
            pass
    finally:
        await client.stop()
    return BambuCheck(pin=found_pin, info=tracker.info)


async def async_check_prusa(
    hass: HomeAssistant, host: str, username: str, password: str
) -> PrinterInfo:
    """Ask a PrusaLink printer who it is with the given login."""
    client = PrusaLinkClient(async_get_clientsession(hass), host, username, password)
    return await client.get_printer_info()
