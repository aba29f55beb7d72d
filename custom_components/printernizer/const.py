"""Constants of the Printernizer integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "printernizer"
LOGGER: Final = logging.getLogger(__package__)

CONF_PRINTER_TYPE: Final = "printer_type"
CONF_SERIAL: Final = "serial"
CONF_ACCESS_CODE: Final = "access_code"
CONF_CERT_PIN: Final = "cert_pin"
CONF_VERIFY_TLS: Final = "verify_tls"

PRINTER_TYPE_BAMBU: Final = "bambu"
PRINTER_TYPE_PRUSA: Final = "prusa"

DEFAULT_PRUSA_USERNAME: Final = "maker"

MANUFACTURER_BAMBU: Final = "Bambu Lab"
MANUFACTURER_PRUSA: Final = "Prusa Research"
