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
# Six seconds keeps a printing Buddy board at about 10 requests a minute, digest nonce renewals
# (every 5 minutes) and the occasional job or filament read included.
DEFAULT_PRINTING_INTERVAL: Final = 6
DEFAULT_IDLE_INTERVAL: Final = 30
CONF_PORT: Final = "port"

PRINTER_TYPE_BAMBU: Final = "bambu"
PRINTER_TYPE_PRUSA: Final = "prusa"

DEFAULT_PRUSA_USERNAME: Final = "maker"

MANUFACTURERS: Final = {Vendor.BAMBU: "Bambu Lab", Vendor.PRUSA: "Prusa Research"}

# Jobs and history
CONF_JOB_RETENTION_DAYS: Final = "job_retention_days"
"""Days an ended job is kept in the job history (unset or 0: forever)."""

# Analytics: prices and energy (options; prices are in the Home Assistant currency)
CONF_FILAMENT_PRICE: Final = "filament_price"
"""Option: price per kg of filament of any material without a price of its own."""
CONF_FILAMENT_PRICES: Final = "filament_prices"
"""Option: price per kg by material, e.g. ``{"PETG": 25.0}`` (upper-case material names)."""
CONF_ELECTRICITY_PRICE: Final = "electricity_price"
"""Option: price per kWh (used when no price entity is set or it has no value)."""
CONF_ELECTRICITY_PRICE_ENTITY: Final = "electricity_price_entity"
"""Option: entity whose state is the current price per kWh (time-weighted over each job)."""
CONF_POWER: Final = "power"
"""Option: average draw of the printer in W while printing (default: per model)."""
CONF_POWER_ENTITY: Final = "power_entity"
"""Option: power (W) or energy (kWh) sensor of the printer's plug; measures each job."""
FILAMENT_MATERIALS: Final = ("PLA", "PETG", "ABS", "ASA", "TPU", "PA", "PC")
"""Materials with their own price field in the options (others as ``MATERIAL=price`` text)."""

# Files, pictures and cameras
CONF_FTPS_PORT: Final = "ftps_port"
"""Entry data: FTPS port of a Bambu printer (default 990; simulators and proxies differ)."""
CONF_CAMERA_PORT: Final = "camera_port"
"""Entry data: port of the P1/A1 JPEG image stream (default 6000)."""
CONF_RTSP_PORT: Final = "rtsp_port"
"""Entry data: port of the X1/H2/P2S RTSPS stream (default 322)."""
CONF_CAMERA: Final = "camera"
"""Option: create the camera entity (default on)."""
CONF_AUTO_DOWNLOAD: Final = "auto_download"
"""Option: copy each finished job's file to ``<media>/printernizer/<printer>/``."""
CONF_AUTO_DOWNLOAD_MAX_FILES: Final = "auto_download_max_files"
CONF_AUTO_DOWNLOAD_MAX_MB: Final = "auto_download_max_mb"
DEFAULT_AUTO_DOWNLOAD_MAX_FILES: Final = 50
DEFAULT_AUTO_DOWNLOAD_MAX_MB: Final = 2000
EVENT_FILE_TRANSFER: Final = "printernizer_file_transfer"
"""Bus event with the progress of downloads and uploads."""
