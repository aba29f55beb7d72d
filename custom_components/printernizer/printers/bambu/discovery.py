"""Bambu Lab printers announce themselves with SSDP NOTIFY datagrams on UDP 2021 and 1990.

They do not use the standard SSDP port 1900, so Home Assistant's own SSDP listener never sees
them. A datagram looks like an HTTP request with headers such as ``Location`` (the printer's
IP address), ``USN`` (the serial), ``DevModel.bambu.com``, ``DevName.bambu.com`` and
``DevConnect.bambu.com`` (``lan`` or ``cloud``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
import logging
import socket
from typing import Final, override

_LOGGER = logging.getLogger(__name__)

DISCOVERY_PORTS: Final = (2021, 1990)
_BAMBU_URN: Final = "urn:bambulab-com:device:3dprinter:1"
_MAX_DATAGRAM: Final = 4096


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscoveredPrinter:
    """A printer that announced itself."""

    host: str
    serial: str
    model: str | None = None
    name: str | None = None
    connection: str | None = None
    firmware: str | None = None


def parse_notify(data: bytes, sender: str) -> DiscoveredPrinter | None:
    """Parse a NOTIFY datagram; return None for anything that is not a Bambu printer's."""
    if len(data) > _MAX_DATAGRAM:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or not lines[0].upper().startswith("NOTIFY "):
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    if headers.get("nt", _BAMBU_URN) != _BAMBU_URN:
        return None
    serial = headers.get("usn", "").strip().upper()
    if not serial or not serial.isalnum():
        return None
    # Location holds the bare IP address; fall back to the datagram's sender.
    host = headers.get("location", "").strip() or sender
    return DiscoveredPrinter(
        host=host,
        serial=serial,
        model=headers.get("devmodel.bambu.com") or None,
        name=headers.get("devname.bambu.com") or None,
        connection=headers.get("devconnect.bambu.com") or None,
        firmware=headers.get("devversion.bambu.com") or None,
    )


class _NotifyProtocol(asyncio.DatagramProtocol):
    def __init__(self, callback: Callable[[DiscoveredPrinter], None]) -> None:
        self._callback = callback

    @override
    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        printer = parse_notify(data, str(addr[0]))
        if printer is not None:
            self._callback(printer)


class DiscoveryListener:
    """Listens on the discovery ports; ports that are taken are skipped (logged once)."""

    def __init__(
        self,
        callback: Callable[[DiscoveredPrinter], None],
        *,
        ports: tuple[int, ...] = DISCOVERY_PORTS,
        bind: str = "0.0.0.0",  # noqa: S104 - printers broadcast to the whole LAN
    ) -> None:
        """Prepare a listener; nothing is bound until start()."""
        self._callback = callback
        self._ports = ports
        self._bind = bind
        self._transports: list[asyncio.DatagramTransport] = []

    @property
    def listening(self) -> int:
        """Return on how many ports the listener is bound."""
        return len(self._transports)

    async def start(self) -> None:
        """Bind the discovery ports."""
        loop = asyncio.get_running_loop()
        for port in self._ports:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if hasattr(socket, "SO_REUSEPORT"):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                sock.setblocking(False)
                sock.bind((self._bind, port))
            except OSError as err:
                sock.close()
                _LOGGER.debug("Bambu discovery cannot listen on UDP %s: %s", port, err)
                continue
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _NotifyProtocol(self._callback), sock=sock
            )
            self._transports.append(transport)

    def stop(self) -> None:
        """Close every port."""
        for transport in self._transports:
            transport.close()
        self._transports.clear()
