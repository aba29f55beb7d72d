"""Bambu Lab printers announcing themselves (SSDP NOTIFY on UDP) start a config flow."""

from __future__ import annotations

import socket

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest

from custom_components.printernizer.const import DOMAIN
from custom_components.printernizer.printers.bambu.discovery import parse_notify
from tests import wait_for

NOTIFY = (
    "NOTIFY * HTTP/1.1\r\n"
    "HOST: 239.255.255.250:1990\r\n"
    "Server: Buildroot/2018.02-rc3 UPnP/1.0 ssdpd/1.8\r\n"
    "Location: 192.168.1.77\r\n"
    "NT: urn:bambulab-com:device:3dprinter:1\r\n"
    "USN: 01p00a123456789\r\n"
    "Cache-Control: max-age=1800\r\n"
    "DevModel.bambu.com: C11\r\n"
    "DevName.bambu.com: Garage P1P\r\n"
    "DevSignal.bambu.com: -44\r\n"
    "DevConnect.bambu.com: lan\r\n"
    "DevBind.bambu.com: free\r\n"
    "DevVersion.bambu.com: 01.07.00.00\r\n"
    "\r\n"
)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_announcement_starts_a_flow(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch, socket_enabled: None
) -> None:
    """A NOTIFY datagram becomes a discovery flow that asks for the access code."""
    port = _free_udp_port()
    monkeypatch.setattr("custom_components.printernizer.discovery.DISCOVERY_PORTS", (port,))
    assert await async_setup_component(hass, DOMAIN, {})
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(b"M-SEARCH * HTTP/1.1\r\n\r\n", ("127.0.0.1", port))
        sender.sendto(NOTIFY.encode(), ("127.0.0.1", port))

    def flows() -> list:
        return hass.config_entries.flow.async_progress_by_handler(DOMAIN)

    await wait_for(hass, lambda: len(flows()) == 1, what="discovery flow")
    flow = flows()[0]
    assert flow["step_id"] == "bambu_discovery_confirm"
    assert flow["context"]["unique_id"] == "01P00A123456789"
    assert flow["context"]["title_placeholders"] == {"name": "Garage P1P"}
    await hass.async_stop()


@pytest.mark.parametrize(
    "datagram",
    [
        b"HTTP/1.1 200 OK\r\n\r\n",
        b"NOTIFY * HTTP/1.1\r\nNT: urn:other:device\r\nUSN: X\r\n",
        b"NOTIFY * HTTP/1.1\r\nNT: urn:bambulab-com:device:3dprinter:1\r\n",
        b"NOTIFY * HTTP/1.1\r\nUSN: ../etc\r\n",
        b"\xff\xfe",
        b"NOTIFY " + b"x" * 5000,
    ],
)
def test_not_a_printer(datagram: bytes) -> None:
    """Anything but a Bambu printer's announcement is ignored."""
    assert parse_notify(datagram, "10.0.0.2") is None


def test_location_falls_back_to_sender() -> None:
    """Without Location the sender's address is the printer's."""
    printer = parse_notify(
        b"NOTIFY * HTTP/1.1\nNT: urn:bambulab-com:device:3dprinter:1\nUSN: 00M09A1\n", "10.0.0.2"
    )
    assert printer is not None
    assert printer.host == "10.0.0.2"
    assert printer.serial == "00M09A1"
    assert printer.model is None


async def test_busy_port_is_skipped(hass: HomeAssistant, socket_enabled: None) -> None:
    """A port another program holds exclusively is skipped, not fatal."""
    from custom_components.printernizer.printers.bambu.discovery import (
        DiscoveryListener,
    )

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        listener = DiscoveryListener(lambda _: None, ports=(port,), bind="127.0.0.1")
        await listener.start()
        assert listener.listening == 0
        listener.stop()
