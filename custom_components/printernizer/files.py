"""Printer files in Home Assistant: local paths, transfers, job pictures and metadata.

One :class:`PrinterFiles` per printer (``coordinator.files``) hides the vendor:

- Bambu Lab: implicit FTPS (:mod:`.printers.bambu.ftps`), printing with ``project_file``;
- Prusa: PrusaLink ``/api/v1/files`` (:mod:`.printers.prusa.files`).

Local paths are only used inside folders Home Assistant allows (``allowlist_external_dirs`` and
media folders; relative paths land in ``<media>/printernizer/``). ``..`` is refused and symlinks
are resolved before the check, and files are written through a temporary file that is renamed
into place, so a planted symlink cannot redirect a write.

Job metadata (filament, estimated time, cost, picture) for the jobs history comes from
:meth:`PrinterFiles.async_job_file_info`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
import hashlib
import json
import os
from pathlib import Path
import re
import tempfile
import threading
import time
from typing import IO, TYPE_CHECKING, Any, Final

from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import STORAGE_DIR
from homeassistant.util import slugify

from .bambu_coordinator import BambuCoordinator
from .const import (
    CONF_ACCESS_CODE,
    CONF_AUTO_DOWNLOAD,
    CONF_AUTO_DOWNLOAD_MAX_FILES,
    CONF_AUTO_DOWNLOAD_MAX_MB,
    CONF_CERT_PIN,
    CONF_FTPS_PORT,
    CONF_SERIAL,
    CONF_VERIFY_TLS,
    DEFAULT_AUTO_DOWNLOAD_MAX_FILES,
    DEFAULT_AUTO_DOWNLOAD_MAX_MB,
    DOMAIN,
    EVENT_FILE_TRANSFER,
    LOGGER,
)
from .helpers import translate_client_error
from .printers.bambu.ftps import (
    DEFAULT_FTPS_PORT,
    KNOWN_FOLDERS,
    BambuFtpsClient,
    RemoteFile,
    RemoteFileNotFoundError,
    TransferTooLargeError,
    normalize_remote_path,
)
from .printers.errors import PrinterClientError
from .printers.model import JOB_END_STATUSES, PrinterState, PrinterStatus, Vendor
from .printers.prusa import files as prusa_files
from .printers.prusa.client import EndpointNotFoundError
from .printers.slicer import (
    FileMetadata,
    MetadataError,
    is_print_file,
    metadata_from_values,
    parse_file,
    thumbnail_png,
)
from .prusa_coordinator import PrusaCoordinator
from .repairs import async_create_no_storage_issue, no_storage_issue_id
from .validation import split_host_port

if TYPE_CHECKING:
    from .coordinator import PrinternizerCoordinator

MAX_TRANSFER_BYTES: Final = 1024 * 1024 * 1024
"""Largest file a download or upload moves (1 GiB)."""
METADATA_MAX_BYTES: Final = 128 * 1024 * 1024
"""Largest project file fetched only to read its metadata and picture."""
THUMBNAIL_CACHE_FILES: Final = 200
THUMBNAIL_CACHE_BYTES: Final = 50 * 1024 * 1024
PROGRESS_INTERVAL: Final = 1.0
"""Seconds between transfer progress events."""
DEFAULT_SUBFOLDER: Final = "printernizer"
_PLATE: Final = re.compile(r"plate_(\d+)\.gcode", re.IGNORECASE)


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


def default_folder(hass: HomeAssistant) -> Path:
    """Return ``<media>/printernizer`` (``/media/printernizer`` on Home Assistant OS)."""
    media = hass.config.media_dirs.get("local", "/media")
    return Path(media) / DEFAULT_SUBFOLDER


def _not_allowed(path: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="local_path_not_allowed",
        translation_placeholders={"path": path},
    )


def resolve_local_path(hass: HomeAssistant, raw: str, *, base: Path | None = None) -> Path:
    """Return the real path behind ``raw`` if Home Assistant allows it (blocking).

    Relative paths are taken below ``base`` (default: :func:`default_folder`). ``..`` is refused
    outright; symlinks are resolved first, so a link out of an allowed folder is refused too.
    """
    text = raw.strip()
    if not text or "\0" in text:
        raise _not_allowed(raw)
    candidate = Path(text)
    if ".." in candidate.parts:
        raise _not_allowed(raw)
    if not candidate.is_absolute():
        candidate = (base or default_folder(hass)) / candidate
    resolved = candidate.resolve(strict=False)
    # The resolved path: a symlink (even a dangling one) is judged by where it points.
    if not hass.config.is_allowed_path(str(resolved)):
        raise _not_allowed(raw)
    return resolved


class PartialFile:
    """A download in progress: a temporary file beside the target, renamed into place at the end.

    The rename replaces a symlink at the target instead of following it (blocking methods).
    """

    def __init__(self, target: Path, *, overwrite: bool) -> None:
        """Create the temporary file; FileExistsError when the target exists."""
        target.parent.mkdir(parents=True, exist_ok=True)
        if (target.exists() or target.is_symlink()) and not overwrite:
            raise FileExistsError(str(target))
        self.target = target
        fd, self._temp = tempfile.mkstemp(
            prefix=".printernizer-", suffix=".part", dir=target.parent
        )
        self.file: IO[bytes] = os.fdopen(fd, "wb")

    def commit(self) -> None:
        """Close and move the file into place."""
        self.file.close()
        os.replace(self._temp, self.target)

    def discard(self) -> None:
        """Close and remove the unfinished file."""
        self.file.close()
        Path(self._temp).unlink(missing_ok=True)


# ---------------------------------------------------------------------------- thumbnail cache


class ThumbnailCache:
    """Job pictures on disk, bounded in count and bytes (oldest dropped first)."""

    def __init__(
        self,
        folder: Path,
        *,
        max_files: int = THUMBNAIL_CACHE_FILES,
        max_bytes: int = THUMBNAIL_CACHE_BYTES,
    ) -> None:
        """Keep pictures in ``folder``."""
        self.folder = folder
        self.max_files = max_files
        self.max_bytes = max_bytes

    @staticmethod
    def key(*parts: object) -> str:
        """Return a file-name-safe key for the parts."""
        return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]

    def path(self, key: str, content_type: str) -> Path:
        """Return where a picture of ``key`` is stored."""
        suffix = ".jpg" if content_type == "image/jpeg" else ".png"
        return self.folder / f"{key}{suffix}"

    def find(self, key: str) -> tuple[Path, str] | None:
        """Return a cached picture and its content type (blocking)."""
        for suffix, content_type in ((".png", "image/png"), (".jpg", "image/jpeg")):
            path = self.folder / f"{key}{suffix}"
            if path.is_file():
                os.utime(path)
                return path, content_type
        return None

    def put(self, key: str, data: bytes, content_type: str) -> Path:
        """Store a picture and keep the cache within its bounds (blocking)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(key, content_type)
        temp = path.with_suffix(".part")
        temp.write_bytes(data)
        os.replace(temp, path)
        self.prune()
        return path

    def prune(self) -> None:
        """Drop the least recently used pictures beyond the bounds (blocking)."""
        entries = sorted(
            (entry for entry in self.folder.iterdir() if entry.suffix in (".png", ".jpg")),
            key=lambda entry: entry.stat().st_mtime,
            reverse=True,
        )
        total = 0
        for index, entry in enumerate(entries):
            total += entry.stat().st_size
            if index >= self.max_files or total > self.max_bytes:
                entry.unlink(missing_ok=True)


def prune_folder(folder: Path, *, max_files: int, max_bytes: int) -> list[Path]:
    """Delete the oldest files of ``folder`` beyond the bounds; return what was deleted."""
    if not folder.is_dir():
        return []
    files = sorted(
        (entry for entry in folder.iterdir() if entry.is_file() and not entry.name.startswith(".")),
        key=lambda entry: entry.stat().st_mtime,
        reverse=True,
    )
    deleted: list[Path] = []
    total = 0
    for index, entry in enumerate(files):
        total += entry.stat().st_size
        if index >= max_files or total > max_bytes:
            entry.unlink(missing_ok=True)
            deleted.append(entry)
    return deleted


# ---------------------------------------------------------------------------- progress


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


class BambuFiles(PrinterFiles):
    """Files on a Bambu Lab printer's SD card over FTPS."""

    vendor = Vendor.BAMBU
    coordinator: BambuCoordinator

    def __init__(self, hass: HomeAssistant, coordinator: BambuCoordinator) -> None:
        """Create the FTPS client with the entry's access code and certificate pin."""
        super().__init__(hass, coordinator)
        entry = coordinator.config_entry
        host, _port = split_host_port(entry.data[CONF_HOST], 0)
        verify = entry.options.get(CONF_VERIFY_TLS, True)
        self.ftps = BambuFtpsClient(
            host,
            entry.data[CONF_SERIAL],
            entry.data[CONF_ACCESS_CODE],
            port=int(entry.data.get(CONF_FTPS_PORT, DEFAULT_FTPS_PORT)),
            pin=entry.data.get(CONF_CERT_PIN) if verify else None,
            verify=verify,
        )

    def _check_storage(self) -> None:
        """Refuse transfers when the printer reports no SD card; raise the repair issue."""
        sdcard = self.coordinator.tracker.raw.get("sdcard")
        entry = self.coordinator.config_entry
        if sdcard is False:
            async_create_no_storage_issue(self.hass, entry)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="no_storage",
                translation_placeholders=self._placeholders(),
            )
        ir.async_delete_issue(self.hass, DOMAIN, no_storage_issue_id(entry))

    def _remote(self, path: str) -> str:
        try:
            return normalize_remote_path(path)
        except ValueError as err:
            raise self.invalid_path(path) from err

    async def _call[R](self, path: str, pending: Awaitable[R]) -> R:
        try:
            result = await pending
        except RemoteFileNotFoundError as err:
            if not self.coordinator.tracker.raw.get("sdcard", True):
                self._check_storage()
            raise self.not_found(path) from err
        except TransferTooLargeError as err:
            raise self.too_large(err.size) from err
        except PrinterClientError as err:
            raise self._error(err) from err
        return result

    async def async_list(self, path: str | None) -> list[PrinterFile]:
        """List ``path``, or ``/``, ``/cache``, ``/model`` and ``/timelapse`` merged."""
        self._check_storage()
        folders = [self._remote(path)] if path else list(KNOWN_FOLDERS)
        entries: list[PrinterFile] = []
        for folder in folders:
            try:
                found: list[RemoteFile] = await self._call(folder, self.ftps.list_files(folder))
            except ServiceValidationError:
                if path:
                    raise
                continue  # a usual folder this printer does not have
            entries.extend(
                PrinterFile(
                    path=entry.path,
                    name=entry.name,
                    size=entry.size,
                    modified=entry.modified,
                    folder=entry.is_dir,
                    metadata=self._metadata.get(entry.path),
                )
                for entry in found
                if not (path is None and entry.is_dir and entry.path in KNOWN_FOLDERS)
            )
        return entries

    async def async_download_to(
        self, path: str, file: IO[bytes], progress: TransferProgress, *, max_size: int
    ) -> int:
        """Download over FTPS in the executor."""
        self._check_storage()
        remote = self._remote(path)
        cancel = threading.Event()
        try:
            return await self._call(
                path,
                self.ftps.download(
                    remote, file, max_size=max_size, progress=progress.update, cancel=cancel
                ),
            )
        except asyncio.CancelledError:
            cancel.set()
            raise

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
        """Upload over FTPS; start with default options when asked."""
        self._check_storage()
        remote = self._remote(path)
        await self._call(path, self.ftps.upload(source, remote, progress=progress.update))
        if start:
            await self.async_start(remote, {})

    async def async_delete(self, path: str) -> None:
        """Delete over FTPS."""
        self._check_storage()
        remote = self._remote(path)
        await self._call(path, self.ftps.delete(remote))

    async def async_start(self, path: str, options: dict[str, Any]) -> None:
        """Send ``project_file`` (plate, AMS mapping, levelling, timelapse...)."""
        self._check_storage()
        remote = self._remote(path)
        try:
            await self.coordinator.client.start_print(remote.lstrip("/"), **options)
        except ValueError as err:
            raise self.invalid_path(path) from err
        except PrinterClientError as err:
            raise self._error(err) from err

    def default_upload_path(self, name: str) -> str:
        """Send uploads to the card's root (where Bambu Studio's LAN prints go too)."""
        return f"/{name}"

    async def _async_job_file(self, state: PrinterState) -> tuple[str, JobFileInfo | None] | None:
        key = self._job_key(state)
        if key in self._job_info:
            return key, self._job_info[key]
        raw = self.coordinator.tracker.raw
        plate_match = _PLATE.search(str(raw.get("gcode_file") or ""))
        plate = int(plate_match.group(1)) if plate_match else None
        remote = await self._find_job_file(state, raw)
        info: JobFileInfo | None = None
        if remote is not None:
            info = await self._fetch_info(remote, plate)
        self._job_info[key] = info
        return key, info

    async def _find_job_file(self, state: PrinterState, raw: Any) -> RemoteFile | None:
        """Find the job's project on the card: ``gcode_file`` or the task name in known folders."""
        names: list[str] = []
        gcode_file = str(raw.get("gcode_file") or "")
        if gcode_file and not gcode_file.startswith("/data/") and is_print_file(gcode_file):
            names.append(gcode_file.rsplit("/", 1)[-1])
        stem = state.file or ""
        names += [stem, f"{stem}.3mf", f"{stem}.gcode.3mf", f"{stem}.gcode"]
        wanted = {name.casefold() for name in names if name}
        for folder in ("/", "/cache", "/model"):
            try:
                entries = await self.ftps.list_files(folder)
            except RemoteFileNotFoundError:
                continue
            for entry in entries:
                if not entry.is_dir and entry.name.casefold() in wanted:
                    return entry
        return None

    async def _fetch_info(self, remote: RemoteFile, plate: int | None) -> JobFileInfo:
        if remote.size is not None and remote.size > METADATA_MAX_BYTES:
            return JobFileInfo(file=remote.path, metadata=None, thumbnail_path=None)

        def create_temp() -> IO[bytes]:
            return tempfile.TemporaryFile()

        temp = await self.hass.async_add_executor_job(create_temp)
        try:
            await self.ftps.download(remote.path, temp, max_size=METADATA_MAX_BYTES)

            def parse() -> FileMetadata:
                temp.seek(0)
                with tempfile.NamedTemporaryFile(suffix=Path(remote.name).suffix) as named:
                    while chunk := temp.read(1024 * 1024):
                        named.write(chunk)
                    named.flush()
                    return parse_file(Path(named.name), plate=plate)

            metadata = await self.hass.async_add_executor_job(parse)
        finally:
            await self.hass.async_add_executor_job(temp.close)
        self._metadata[remote.path] = metadata
        key = ThumbnailCache.key(self.coordinator.serial, remote.path, remote.size, plate)
        picture = await self._store_picture(key, metadata)
        return JobFileInfo(
            file=remote.path,
            metadata=metadata,
            thumbnail_path=picture[0] if picture else None,
            content_type=picture[1] if picture else None,
        )


# ---------------------------------------------------------------------------- Prusa


class PrusaFiles(PrinterFiles):
    """Files on a Prusa printer over PrusaLink."""

    vendor = Vendor.PRUSA
    coordinator: PrusaCoordinator

    def _split(self, path: str) -> prusa_files.PrusaPath:
        try:
            return prusa_files.split_path(path)
        except ValueError as err:
            raise self.invalid_path(path) from err

    async def _call[R](self, path: str, pending: Awaitable[R]) -> R:
        try:
            result = await pending
        except (prusa_files.PrusaFileNotFoundError, EndpointNotFoundError) as err:
            raise self.not_found(path) from err
        except PrinterClientError as err:
            raise self._error(err) from err
        return result

    async def async_list(self, path: str | None) -> list[PrinterFile]:
        """List a folder (default ``/usb``); entries carry PrusaLink's ``meta`` when present."""
        target = path or "/usb"
        parts = [p for p in target.replace("\\", "/").split("/") if p]
        if not parts or ".." in parts:
            raise self.invalid_path(target)
        client = self.coordinator.client
        found = await self._call(target, client.get_files(parts[0], "/".join(parts[1:])))
        return [
            PrinterFile(
                path=entry.path,
                name=entry.name,
                display_name=entry.display_name,
                size=entry.size,
                modified=entry.modified,
                folder=entry.type == "FOLDER",
                metadata=self._metadata.get(entry.path),
            )
            for entry in found
        ]

    async def async_download_to(
        self, path: str, file: IO[bytes], progress: TransferProgress, *, max_size: int
    ) -> int:
        """Stream ``refs.download`` into the file (written in the executor)."""
        target = self._split(path)
        client = self.coordinator.client
        info = await self._call(path, client.get_file_info(target.storage, target.path))
        if info is None:
            raise self.not_found(path)
        if info.size is not None and info.size > max_size:
            raise self.too_large(info.size)
        done = 0

        async def sink(chunk: bytes) -> None:
            nonlocal done
            done += len(chunk)
            if done > max_size:
                raise self.too_large(done)
            await self.hass.async_add_executor_job(file.write, chunk)
            progress.update(done, info.size)

        ref = info.download_url or f"/{target.storage}/{target.path}"
        await self._call(path, prusa_files.download(client, ref, sink))
        return done

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
        """``PUT`` the file, streamed from disk with progress."""
        target = self._split(path)
        loop = asyncio.get_running_loop()

        async def chunks() -> Any:
            file = await loop.run_in_executor(None, source.open, "rb")
            sent = 0
            try:
                while chunk := await loop.run_in_executor(None, file.read, 64 * 1024):
                    sent += len(chunk)
                    progress.update(sent, size)
                    yield chunk
            finally:
                await loop.run_in_executor(None, file.close)

        await self._call(
            path,
            prusa_files.upload(
                self.coordinator.client,
                target,
                chunks,
                size,
                overwrite=overwrite,
                print_after=start,
            ),
        )
        if start:
            await self.coordinator.async_request_refresh()

    async def async_delete(self, path: str) -> None:
        """``DELETE`` the file."""
        target = self._split(path)
        await self._call(path, prusa_files.delete(self.coordinator.client, target))

    async def async_start(self, path: str, options: dict[str, Any]) -> None:
        """``POST`` the file (Bambu-only options do not apply)."""
        target = self._split(path)
        await self._call(path, prusa_files.start(self.coordinator.client, target))
        self.coordinator.poller.note_command()
        await self.coordinator.async_request_refresh()

    def default_upload_path(self, name: str) -> str:
        """Send uploads to the USB drive's root."""
        return f"/usb/{name}"

    async def _async_job_file(self, state: PrinterState) -> tuple[str, JobFileInfo | None] | None:
        key = self._job_key(state)
        if key in self._job_info:
            return key, self._job_info[key]
        client = self.coordinator.client
        job = await client.get_job()
        file = job.get("file") if isinstance(job, dict) else None
        if not isinstance(file, dict):
            return None
        folder = str(file.get("path") or "/usb").rstrip("/")
        name = str(file.get("name") or "")
        path = f"{folder}/{name}"
        metadata: FileMetadata | None = None
        meta = file.get("meta")
        if not isinstance(meta, dict) and name:
            target = prusa_files.split_path(path)
            info = await client.request("GET", target.api_path)
            body = _json(info.body)
            meta = body.get("meta") if isinstance(body, dict) else None
        if isinstance(meta, dict):
            metadata = metadata_from_values(meta)
            self._metadata[path] = metadata
        picture: tuple[str, str] | None = None
        if state.thumbnail_url:
            data = await client.get_thumbnail(state.thumbnail_url)
            if data:
                content_type = "image/jpeg" if data.startswith(b"\xff\xd8") else "image/png"
                cache_key = ThumbnailCache.key(self.coordinator.serial, path, state.thumbnail_url)
                stored = await self.hass.async_add_executor_job(
                    self.cache.put, cache_key, data, content_type
                )
                picture = (str(stored), content_type)
        info_obj = JobFileInfo(
            file=path,
            metadata=metadata,
            thumbnail_path=picture[0] if picture else None,
            content_type=picture[1] if picture else None,
        )
        self._job_info[key] = info_obj
        return key, info_obj


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def create_printer_files(hass: HomeAssistant, coordinator: PrinternizerCoordinator) -> PrinterFiles:
    """Return the file service of a printer (vendor chosen by the coordinator)."""
    files: PrinterFiles
    if isinstance(coordinator, BambuCoordinator):
        files = BambuFiles(hass, coordinator)
    else:
        assert isinstance(coordinator, PrusaCoordinator)
        files = PrusaFiles(hass, coordinator)
    coordinator.config_entry.async_on_unload(
        coordinator.async_add_listener(files.async_handle_update)
    )
    return files
