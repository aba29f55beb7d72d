"""Printer cameras: Bambu P1/A1 JPEG stream, Bambu X1/H2/P2S RTSPS, PrusaLink snapshots."""

from __future__ import annotations

from typing import Final, override

from homeassistant.components.camera import Camera, CameraEntityDescription, CameraEntityFeature
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .bambu_coordinator import BambuCoordinator
from .const import (
    CONF_ACCESS_CODE,
    CONF_CAMERA,
    CONF_CAMERA_PORT,
    CONF_CERT_PIN,
    CONF_RTSP_PORT,
    CONF_SERIAL,
    CONF_VERIFY_TLS,
)
from .coordinator import PrinternizerConfigEntry, PrinternizerCoordinator
from .entity import PrinternizerEntity
from .helpers import translate_client_error
from .printers.bambu.camera import DEFAULT_CAMERA_PORT, ChamberCamera
from .printers.bambu.models import CameraKind
from .printers.errors import PrinterClientError
from .printers.model import Capability
from .prusa_coordinator import PrusaCoordinator
from .validation import split_host_port

# Pictures are fetched on demand; nothing is polled.
PARALLEL_UPDATES = 0

DEFAULT_RTSP_PORT: Final = 322
RTSP_PATH: Final = "/streaming/live/1"
# The P1/A1 stream sends one or two frames a second; asking more often only repeats frames.
JPEG_FRAME_INTERVAL: Final = 0.5

CAMERA = CameraEntityDescription(key="camera", translation_key="camera")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the printer's camera (unless switched off in the options)."""
    coordinator = entry.runtime_data
    if not entry.options.get(CONF_CAMERA, True):
        return
    if isinstance(coordinator, BambuCoordinator):
        if not coordinator.supports(Capability.CAMERA):
            return  # pragma: no cover - every Bambu model has a camera
        model = coordinator.tracker.model
        rtsps = (
            model.camera is CameraKind.RTSPS_322
            if model is not None
            else coordinator.data.camera_url is not None
        )
        if rtsps:
            async_add_entities([BambuRtspsCamera(coordinator, CAMERA)])
            return
        host, _port = split_host_port(entry.data[CONF_HOST], 0)
        verify = entry.options.get(CONF_VERIFY_TLS, True)
        stream = ChamberCamera(
            host,
            entry.data[CONF_SERIAL],
            entry.data[CONF_ACCESS_CODE],
            port=int(entry.data.get(CONF_CAMERA_PORT, DEFAULT_CAMERA_PORT)),
            pin=entry.data.get(CONF_CERT_PIN) if verify else None,
            verify=verify,
        )
        entry.async_on_unload(stream.close)
        async_add_entities([BambuJpegCamera(coordinator, CAMERA, stream)])
    elif isinstance(coordinator, PrusaCoordinator) and coordinator.client.has_camera:
        async_add_entities([PrusaCamera(coordinator, CAMERA)])


class PrinternizerCamera(PrinternizerEntity, Camera):
    """A camera entity of a printer."""

    _state_fields = frozenset()  # pictures are fetched on request

    def __init__(
        self, coordinator: PrinternizerCoordinator, description: CameraEntityDescription
    ) -> None:
        """Initialize both bases."""
        super().__init__(coordinator, description)
        Camera.__init__(self)

    @override
    def _update_from_state(self) -> object:
        return None


class BambuJpegCamera(PrinternizerCamera):
    """P1/A1/A2L: JPEG frames over TLS port 6000, one upstream connection for every viewer."""

    _attr_frame_interval = JPEG_FRAME_INTERVAL

    def __init__(
        self,
        coordinator: BambuCoordinator,
        description: CameraEntityDescription,
        stream: ChamberCamera,
    ) -> None:
        """Keep the shared image stream."""
        super().__init__(coordinator, description)
        self._stream = stream
        self.content_type = "image/jpeg"

    @override
    async def async_camera_image(
        self, width: int | None = None, height: int | None = None
    ) -> bytes | None:
        try:
            return await self._stream.get_frame(max_age=JPEG_FRAME_INTERVAL)
        except PrinterClientError as err:
            raise translate_client_error(err, self.printer_name) from err


class BambuRtspsCamera(PrinternizerCamera):
    """X1/H2/P2S/X2: RTSP over TLS on port 322, when LAN live view is on (``ipcam.rtsp_url``)."""

    _attr_supported_features = CameraEntityFeature.STREAM
    # Pictures (entity picture, snapshots) come from the stream's keyframes.
    _attr_use_stream_for_stills = True
    _state_fields = frozenset({"camera_url"})

    @property
    @override
    def available(self) -> bool:
        return super().available and self.coordinator.data.camera_url is not None

    @override
    def _update_from_state(self) -> object:
        return self.coordinator.data.camera_url

    @override
    async def stream_source(self) -> str | None:
        if self.coordinator.data.camera_url is None:
            return None
        data = self.coordinator.config_entry.data
        host, _port = split_host_port(data[CONF_HOST], 0)
        port = int(data.get(CONF_RTSP_PORT, DEFAULT_RTSP_PORT))
        return f"rtsps://bblp:{data[CONF_ACCESS_CODE]}@{host}:{port}{RTSP_PATH}"


class PrusaCamera(PrinternizerCamera):
    """A camera connected to PrusaLink (``/api/v1/cameras/snap``)."""

    coordinator: PrusaCoordinator

    @override
    async def async_camera_image(
        self, width: int | None = None, height: int | None = None
    ) -> bytes | None:
        try:
            image = await self.coordinator.client.get_camera_snapshot()
        except PrinterClientError as err:
            raise translate_client_error(err, self.printer_name) from err
        if image is not None:
            self.content_type = "image/jpeg" if image.startswith(b"\xff\xd8") else "image/png"
        return image
