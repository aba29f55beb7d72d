"""Printer files in Home Assistant: local paths, transfers, job pictures and metadata.

One :class:`PrinterFiles` per printer (``coordinator.files``) hides the vendor:

- Bambu Lab (:mod:`.files_bambu`): implicit FTPS, printing with ``project_file``;
- Prusa (:mod:`.files_prusa`): PrusaLink ``/api/v1/files``.

Local paths and the picture cache are in :mod:`.local_files`.

Job metadata (filament, estimated time, cost, picture) for the jobs history comes from
:meth:`PrinterFiles.async_job_file_info`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from dataclasses import dataclass
from datetime import datetime
import os
from pathlib import Path
import time
from typing import IO, TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.storage import STORAGE_DIR
from homeassistant.util import slugify

from .const import (
    CONF_AUTO_DOWNLOAD,
    CONF_AUTO_DOWNLOAD_MAX_FILES,
    CONF_AUTO_DOWNLOAD_MAX_MB,
    DEFAULT_AUTO_DOWNLOAD_MAX_FILES,
    DEFAULT_AUTO_DOWNLOAD_MAX_MB,
    DOMAIN,
    EVENT_FILE_TRANSFER,
    LOGGER,
)
from .helpers import translate_client_error
from .local_files import (
    PartialFile,
    ThumbnailCache,
    default_folder,
    prune_folder,
    resolve_local_path,
)
from .printers.errors import PrinterClientError
from .printers.model import JOB_END_STATUSES, PrinterState, PrinterStatus, Vendor
from .printers.slicer import (
    FileMetadata,
    MetadataError,
    thumbnail_png,
)

if TYPE_CHECKING:
    from .coordinator import PrinternizerCoordinator

MAX_TRANSFER_BYTES: Final = 1024 * 1024 * 1024
"""Largest file a download or upload moves (1 GiB)."""
PROGRESS_INTERVAL: Final = 1.0
"""Seconds between transfer progress events."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PrinterFile:
    """One entry of a printer folder."""

    path: str
    name: str
    size: int | None
    modified: datetime | None
    folder: bool = False
    display_name: str | None = None
    metadata: FileMetadata | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the entry for the ``list_files`` response."""
        result: dict[str, Any] = {
            "path": self.path,
            "name": self.display_name or self.name,
            "type": "folder" if self.folder else "file",
            "size": self.size,
            "modified": self.modified.isoformat() if self.modified else None,
        }
        if self.metadata is not None:
            result["metadata"] = self.metadata.as_dict()
        return result


@dataclass(frozen=True, slots=True, kw_only=True)
class JobFileInfo:
    """What the printer's file says about a job (the hook for the jobs history)."""

    file: str
    """Path of the job's file on the printer, as found."""
    metadata: FileMetadata | None
    """Filament (g/mm), material, estimated seconds, cost, plates."""
    thumbnail_path: str | None
    """The job's picture in the thumbnail cache (PNG or JPEG), when there is one."""
    content_type: str | None = None


# ---------------------------------------------------------------------------- local paths


class TransferProgress:
    """Fires ``printernizer_file_transfer`` events: start, about once a second, and the end."""

    def __init__(
        self,
        coordinator: PrinternizerCoordinator,
        direction: str,
        path: str,
        total: int | None = None,
    ) -> None:
        """Describe one transfer."""
        self._coordinator = coordinator
        self._base = {
            "device_id": coordinator.device_id,
            "config_entry_id": coordinator.config_entry.entry_id,
            "direction": direction,
            "path": path,
        }
        self.total = total
        self.done = 0
        self._last = 0.0

    def _fire(self, state: str, **extra: Any) -> None:
        percent = (
            round(100 * self.done / self.total, 1)
            if self.total
            else (100.0 if state == "finished" else None)
        )
        self._coordinator.hass.bus.async_fire(
            EVENT_FILE_TRANSFER,
            {
                **self._base,
                "state": state,
                "bytes": self.done,
                "total": self.total,
                "percent": percent,
                **extra,
            },
        )

    @callback
    def start(self) -> None:
        """Announce the transfer."""
        self._last = time.monotonic()
        self._fire("started")

    @callback
    def update(self, done: int, total: int | None) -> None:
        """Record progress; fire at most once per :data:`PROGRESS_INTERVAL`."""
        self.done = done
        if total is not None:
            self.total = total
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL:
            self._last = now
            self._fire("running")

    @callback
    def finish(self, done: int | None = None) -> None:
        """Announce the end."""
        if done is not None:
            self.done = done
        self._fire("finished")

    @callback
    def fail(self, error: str) -> None:
        """Announce a failure."""
        self._fire("failed", error=error)


# ---------------------------------------------------------------------------- per printer


class PrinterFiles(ABC):
    """File operations, job pictures and metadata of one printer."""

    vendor: Vendor

    def __init__(self, hass: HomeAssistant, coordinator: PrinternizerCoordinator) -> None:
        """Attach to a printer's coordinator."""
        self.hass = hass
        self.coordinator = coordinator
        self.cache = ThumbnailCache(Path(hass.config.path(STORAGE_DIR, f"{DOMAIN}_thumbnails")))
        self._job_info: dict[str, JobFileInfo | None] = {}
        self._job_lock = asyncio.Lock()
        self._last_status: PrinterStatus | None = None
        self._metadata: dict[str, FileMetadata] = {}
        self.auto_downloads: list[Path] = []

    @property
    def printer_name(self) -> str:
        """Return the printer's name for messages."""
        return self.coordinator.printer_name

    def _error(self, err: PrinterClientError) -> HomeAssistantError:
        return translate_client_error(err, self.printer_name)

    def _placeholders(self, **extra: str) -> dict[str, str]:
        return {"printer": self.printer_name, **extra}

    def not_found(self, path: str) -> ServiceValidationError:
        """Return the error for a file the printer does not have."""
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="printer_file_not_found",
            translation_placeholders=self._placeholders(path=path),
        )

    def too_large(self, size: int) -> ServiceValidationError:
        """Return the error for a file above the size limit."""
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="file_too_large",
            translation_placeholders=self._placeholders(
                size=str(size), limit=str(MAX_TRANSFER_BYTES)
            ),
        )

    def invalid_path(self, path: str) -> ServiceValidationError:
        """Return the error for a printer path that is not acceptable."""
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_printer_path",
            translation_placeholders=self._placeholders(path=path),
        )

    # ---------------------------------------------------------------- vendor operations

    @abstractmethod
    async def async_list(self, path: str | None) -> list[PrinterFile]:
        """List a folder (or the usual folders when ``path`` is None)."""

    @abstractmethod
    async def async_download_to(
        self, path: str, file: IO[bytes], progress: TransferProgress, *, max_size: int
    ) -> int:
        """Copy a printer file into an open local file; return the bytes."""

    @abstractmethod
    async def async_upload_from(
        self,
        source: Path,
        path: str,
        size: int,
        progress: TransferProgress,
        *,
        overwrite: bool,
        start: bool,
    ) -> None:
        """Send a local file to the printer (and start it when asked)."""

    @abstractmethod
    async def async_delete(self, path: str) -> None:
        """Delete a printer file."""

    @abstractmethod
    async def async_start(self, path: str, options: dict[str, Any]) -> None:
        """Start printing a file already on the printer."""

    @abstractmethod
    def default_upload_path(self, name: str) -> str:
        """Return where an upload goes when no printer path is given."""

    @abstractmethod
    async def _async_job_file(self, state: PrinterState) -> tuple[str, JobFileInfo | None] | None:
        """Return (cache key, info) for the job's file, None when it cannot be found."""

    # ---------------------------------------------------------------- shared operations

    async def async_download(
        self, path: str, target: str | None, *, overwrite: bool = False
    ) -> tuple[Path, int]:
        """Download a printer file into an allowed local folder."""
        name = path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
        if not name:
            raise self.invalid_path(path)
        local = await self.hass.async_add_executor_job(self._local_target, target, name)
        try:
            partial = await self.hass.async_add_executor_job(
                lambda: PartialFile(local, overwrite=overwrite)
            )
        except FileExistsError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="local_file_exists",
                translation_placeholders={"path": str(local)},
            ) from err
        progress = TransferProgress(self.coordinator, "download", path)
        progress.start()
        try:
            size = await self.async_download_to(
                path, partial.file, progress, max_size=MAX_TRANSFER_BYTES
            )
        except BaseException as err:
            await self.hass.async_add_executor_job(partial.discard)
            progress.fail(type(err).__name__)
            raise
        await self.hass.async_add_executor_job(partial.commit)
        progress.finish(size)
        return local, size

    def _local_target(self, target: str | None, name: str) -> Path:
        if not target:
            base = default_folder(self.hass) / slugify(self.printer_name)
            return resolve_local_path(self.hass, str(base / name))
        resolved = resolve_local_path(self.hass, target)
        if target.endswith(("/", os.sep)) or resolved.is_dir():
            resolved = resolve_local_path(self.hass, str(resolved / name))
        return resolved

    async def async_upload(
        self, source: str, path: str | None, *, overwrite: bool = False, start: bool = False
    ) -> str:
        """Send an allowed local file to the printer; return the printer path."""
        local, size = await self.hass.async_add_executor_job(self._local_source, source)
        if size > MAX_TRANSFER_BYTES:
            raise self.too_large(size)
        remote = path or self.default_upload_path(local.name)
        progress = TransferProgress(self.coordinator, "upload", remote, size)
        progress.start()
        try:
            await self.async_upload_from(
                local, remote, size, progress, overwrite=overwrite, start=start
            )
        except BaseException as err:
            progress.fail(type(err).__name__)
            raise
        progress.finish(size)
        return remote

    def _local_source(self, source: str) -> tuple[Path, int]:
        local = resolve_local_path(self.hass, source)
        if not local.is_file():
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="local_file_not_found",
                translation_placeholders={"path": source},
            )
        return local, local.stat().st_size

    # ---------------------------------------------------------------- job metadata

    async def async_job_file_info(self, state: PrinterState | None = None) -> JobFileInfo | None:
        """Return the metadata and picture of the current (or last) job's file.

        Cached per job file: the printer is asked once per job. Never raises for printer
        trouble (the job is recorded without metadata then).
        """
        state = state or self.coordinator.data
        if state is None or not state.file:
            return None
        async with self._job_lock:
            try:
                found = await self._async_job_file(state)
            except (PrinterClientError, MetadataError, OSError, HomeAssistantError) as err:
                LOGGER.debug("%s: no metadata for %s: %s", self.printer_name, state.file, err)
                return None
        if found is None:
            return None
        return found[1]

    def cached_job_file_info(self, state: PrinterState | None = None) -> JobFileInfo | None:
        """Return what :meth:`async_job_file_info` found for the job, without asking."""
        state = state or self.coordinator.data
        if state is None or not state.file:
            return None
        return self._job_info.get(self._job_key(state))

    def _job_key(self, state: PrinterState) -> str:
        return f"{state.job_id or ''}|{state.file}"

    async def _store_picture(
        self, key: str, metadata: FileMetadata | None
    ) -> tuple[str, str] | None:
        if metadata is None or metadata.thumbnail is None:
            return None
        try:
            data, content_type = thumbnail_png(metadata.thumbnail)
        except MetadataError:
            return None
        path = await self.hass.async_add_executor_job(self.cache.put, key, data, content_type)
        return str(path), content_type

    async def async_read_picture(self, info: JobFileInfo) -> bytes | None:
        """Return the cached picture of a job (None when it was pruned)."""
        if info.thumbnail_path is None:
            return None
        path = Path(info.thumbnail_path)
        return await self.hass.async_add_executor_job(
            lambda: path.read_bytes() if path.is_file() else None
        )

    # ---------------------------------------------------------------- auto-download

    @callback
    def async_handle_update(self) -> None:
        """Follow the job status; download the file of each finished job when enabled."""
        state: PrinterState | None = self.coordinator.data
        if state is None:
            return
        previous, self._last_status = self._last_status, state.status
        if (
            state.status is PrinterStatus.FINISHED
            and previous is not None
            and previous not in JOB_END_STATUSES
            and self.coordinator.config_entry.options.get(CONF_AUTO_DOWNLOAD, False)
        ):
            self.coordinator.config_entry.async_create_background_task(
                self.hass,
                self.async_auto_download(state),
                f"{DOMAIN} auto-download {self.printer_name}",
            )

    async def async_auto_download(self, state: PrinterState) -> Path | None:
        """Download a finished job's file into the printer's folder, bounded by count/size."""
        options = self.coordinator.config_entry.options
        max_files = int(options.get(CONF_AUTO_DOWNLOAD_MAX_FILES, DEFAULT_AUTO_DOWNLOAD_MAX_FILES))
        max_bytes = int(options.get(CONF_AUTO_DOWNLOAD_MAX_MB, DEFAULT_AUTO_DOWNLOAD_MAX_MB)) * (
            1024 * 1024
        )
        try:
            found = await self._async_job_file(state)
            if found is None or found[1] is None:
                return None
            folder = default_folder(self.hass) / slugify(self.printer_name)
            local, _size = await self.async_download(
                found[1].file, str(folder) + "/", overwrite=True
            )
        except (HomeAssistantError, PrinterClientError, OSError) as err:
            LOGGER.warning(
                "%s: could not download the finished job's file: %s", self.printer_name, err
            )
            return None
        await self.hass.async_add_executor_job(
            lambda: prune_folder(local.parent, max_files=max_files, max_bytes=max_bytes)
        )
        self.auto_downloads.append(local)
        return local


# ---------------------------------------------------------------------------- Bambu Lab
