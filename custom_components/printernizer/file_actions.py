"""Actions on printer files: list, download, upload, delete, start a print."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv

from .const import DOMAIN
from .files import PrinterFiles
from .printers.model import Vendor
from .schema import vol

SERVICE_LIST_FILES: Final = "list_files"
SERVICE_DOWNLOAD_FILE: Final = "download_file"
SERVICE_UPLOAD_FILE: Final = "upload_file"
SERVICE_DELETE_FILE: Final = "delete_file"
SERVICE_START_PRINT: Final = "start_print"

ATTR_PATH: Final = "path"
ATTR_TARGET: Final = "target"
ATTR_SOURCE: Final = "source"
ATTR_OVERWRITE: Final = "overwrite"
ATTR_START: Final = "start"
ATTR_PLATE: Final = "plate"
ATTR_USE_AMS: Final = "use_ams"
ATTR_AMS_MAPPING: Final = "ams_mapping"
ATTR_BED_LEVELLING: Final = "bed_levelling"
ATTR_TIMELAPSE: Final = "timelapse"
ATTR_FLOW_CALIBRATION: Final = "flow_calibration"
ATTR_VIBRATION_CALIBRATION: Final = "vibration_calibration"
ATTR_LAYER_INSPECT: Final = "layer_inspect"

# Bambu project_file options: action field → commands.project_file keyword.
BAMBU_START_OPTIONS: Final = {
    ATTR_PLATE: "plate",
    ATTR_USE_AMS: "use_ams",
    ATTR_AMS_MAPPING: "ams_mapping",
    ATTR_BED_LEVELLING: "bed_levelling",
    ATTR_TIMELAPSE: "timelapse",
    ATTR_FLOW_CALIBRATION: "flow_calibration",
    ATTR_VIBRATION_CALIBRATION: "vibration_calibration",
    ATTR_LAYER_INSPECT: "layer_inspect",
}

_DEVICE: Final = {vol.Required(ATTR_DEVICE_ID): cv.string}
LIST_FILES_SCHEMA: Final = vol.Schema({**_DEVICE, vol.Optional(ATTR_PATH): cv.string})
DOWNLOAD_FILE_SCHEMA: Final = vol.Schema(
    {
        **_DEVICE,
        vol.Required(ATTR_PATH): cv.string,
        vol.Optional(ATTR_TARGET): cv.string,
        vol.Optional(ATTR_OVERWRITE, default=False): cv.boolean,
    }
)
UPLOAD_FILE_SCHEMA: Final = vol.Schema(
    {
        **_DEVICE,
        vol.Required(ATTR_SOURCE): cv.string,
        vol.Optional(ATTR_PATH): cv.string,
        vol.Optional(ATTR_OVERWRITE, default=False): cv.boolean,
        vol.Optional(ATTR_START, default=False): cv.boolean,
    }
)
DELETE_FILE_SCHEMA: Final = vol.Schema({**_DEVICE, vol.Required(ATTR_PATH): cv.string})
START_PRINT_SCHEMA: Final = vol.Schema(
    {
        **_DEVICE,
        vol.Required(ATTR_PATH): cv.string,
        vol.Optional(ATTR_PLATE): vol.All(vol.Coerce(int), vol.Range(min=1, max=64)),
        vol.Optional(ATTR_USE_AMS): cv.boolean,
        vol.Optional(ATTR_AMS_MAPPING): vol.All(
            cv.ensure_list, [vol.All(vol.Coerce(int), vol.Range(min=-1, max=255))]
        ),
        vol.Optional(ATTR_BED_LEVELLING): cv.boolean,
        vol.Optional(ATTR_TIMELAPSE): cv.boolean,
        vol.Optional(ATTR_FLOW_CALIBRATION): cv.boolean,
        vol.Optional(ATTR_VIBRATION_CALIBRATION): cv.boolean,
        vol.Optional(ATTR_LAYER_INSPECT): cv.boolean,
    }
)


def _files(call: ServiceCall) -> PrinterFiles:
    # Imported here: services.py imports this module, and coordinator_for_device lives there.
    from .services import coordinator_for_device  # noqa: PLC0415

    coordinator = coordinator_for_device(call.hass, call.data[ATTR_DEVICE_ID])
    if coordinator.files is None:  # pragma: no cover - set for every loaded printer
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_supported",
            translation_placeholders={"printer": coordinator.printer_name},
        )
    return coordinator.files


async def _async_list_files(call: ServiceCall) -> ServiceResponse:
    files = _files(call)
    entries = await files.async_list(call.data.get(ATTR_PATH))
    return {"files": [entry.as_dict() for entry in entries]}


async def _async_download_file(call: ServiceCall) -> ServiceResponse:
    files = _files(call)
    local, size = await files.async_download(
        call.data[ATTR_PATH], call.data.get(ATTR_TARGET), overwrite=call.data[ATTR_OVERWRITE]
    )
    return {"path": str(local), "size": size}


async def _async_upload_file(call: ServiceCall) -> None:
    files = _files(call)
    await files.async_upload(
        call.data[ATTR_SOURCE],
        call.data.get(ATTR_PATH),
        overwrite=call.data[ATTR_OVERWRITE],
        start=call.data[ATTR_START],
    )


async def _async_delete_file(call: ServiceCall) -> None:
    await _files(call).async_delete(call.data[ATTR_PATH])


async def _async_start_print(call: ServiceCall) -> None:
    files = _files(call)
    options: dict[str, Any] = {
        keyword: call.data[field]
        for field, keyword in BAMBU_START_OPTIONS.items()
        if field in call.data
    }
    if options and files.vendor is not Vendor.BAMBU:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="start_options_not_supported",
            translation_placeholders={
                "printer": files.printer_name,
                "options": ", ".join(sorted(k for k in BAMBU_START_OPTIONS if k in call.data)),
            },
        )
    if ATTR_AMS_MAPPING in call.data and ATTR_USE_AMS not in call.data:
        options["use_ams"] = True
    await files.async_start(call.data[ATTR_PATH], options)


@callback
def async_setup_file_services(hass: HomeAssistant) -> None:
    """Register the file actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_LIST_FILES,
        _async_list_files,
        schema=LIST_FILES_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_DOWNLOAD_FILE,
        _async_download_file,
        schema=DOWNLOAD_FILE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN, SERVICE_UPLOAD_FILE, _async_upload_file, schema=UPLOAD_FILE_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_DELETE_FILE, _async_delete_file, schema=DELETE_FILE_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_START_PRINT, _async_start_print, schema=START_PRINT_SCHEMA
    )
