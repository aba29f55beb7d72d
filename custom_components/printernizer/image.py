"""The picture of a printer's current or last job."""

from __future__ import annotations

from datetime import datetime
from typing import override

from homeassistant.components.image import ImageEntity, ImageEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import PrinternizerConfigEntry, PrinternizerCoordinator
from .entity import PrinternizerEntity
from .files import JobFileInfo

# The picture is looked up when the job changes, not polled.
PARALLEL_UPDATES = 0

THUMBNAIL = ImageEntityDescription(key="thumbnail", translation_key="thumbnail")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the job picture of the printer."""
    async_add_entities([JobThumbnail(entry.runtime_data, THUMBNAIL)])


class JobThumbnail(PrinternizerEntity, ImageEntity):
    """Slicer picture of the current or last job: 3MF plate PNG, G-code/BGCODE, PrusaLink."""

    _state_fields = frozenset({"job_id", "file"})

    def __init__(
        self, coordinator: PrinternizerCoordinator, description: ImageEntityDescription
    ) -> None:
        """Initialize both bases."""
        super().__init__(coordinator, description)
        ImageEntity.__init__(self, coordinator.hass)
        self._info: JobFileInfo | None = None
        self._job: tuple[str | None, str | None] | None = None

    @override
    def _update_from_state(self) -> object:
        state = self.coordinator.data
        job = (state.job_id, state.file)
        if state.file and job != self._job:
            self._job = job
            self.coordinator.config_entry.async_create_background_task(
                self.hass, self._async_load(), f"printernizer thumbnail {self.entity_id}"
            )
        return self._attr_image_last_updated

    async def _async_load(self) -> None:
        files = self.coordinator.files
        if files is None:  # pragma: no cover - set before the platforms
            return
        info = await files.async_job_file_info(self.coordinator.data)
        if info is None or info.thumbnail_path is None:
            return  # keep showing the last job's picture
        self._set_info(info, dt_util.utcnow())

    @callback
    def _set_info(self, info: JobFileInfo, when: datetime) -> None:
        self._info = info
        self._attr_content_type = info.content_type or "image/png"
        self._attr_image_last_updated = when
        self._cached_image = None
        self._written = (self.available, when)
        self.async_write_ha_state()

    @override
    async def async_image(self) -> bytes | None:
        if self._info is None or self.coordinator.files is None:
            return None
        return await self.coordinator.files.async_read_picture(self._info)
