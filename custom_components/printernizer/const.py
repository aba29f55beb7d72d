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

# Jobs and history
CONF_JOB_RETENTION_DAYS: Final = "job_retention_days"
"""Days an ended job is kept in the job history (unset or 0: forever)."""

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
