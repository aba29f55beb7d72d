"""Constants of the Printernizer integration."""

from __future__ import annotations

import logging
from typing import Final

from .printers.model import Vendor

DOMAIN: Final = "printernizer"
LOGGER: Final = logging.getLogger(__package__)

CONF_PRINTER_TYPE: Final = "printer_type"
CONF_SERIAL: Final = "serial"
CONF_ACCESS_CODE: Final = "access_code"
CONF_CERT_PIN: Final = "cert_pin"
CONF_VERIFY_TLS: Final = "verify_tls"
CONF_MAC: Final = "mac"
CONF_PRINTING_INTERVAL: Final = "printing_interval"
CONF_IDLE_INTERVAL: Final = "idle_interval"
DEFAULT_PRINTING_INTERVAL: Final = 5
DEFAULT_IDLE_INTERVAL: Final = 30
CONF_PORT: Final = "port"

PRINTER_TYPE_BAMBU: Final = "bambu"
PRINTER_TYPE_PRUSA: Final = "prusa"

DEFAULT_PRUSA_USERNAME: Final = "maker"

MANUFACTURERS: Final = {Vendor.BAMBU: "Bambu Lab", Vendor.PRUSA: "Prusa Research"}
