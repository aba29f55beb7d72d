"""Files of Bambu Lab printers: FTPS on the SD card or USB storage, printing with project_file."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
import re
import tempfile
import threading
from typing import IO, Any, Final

from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir

from .bambu_coordinator import BambuCoordinator
from .const import (
    CONF_ACCESS_CODE,
    CONF_CERT_PIN,
    CONF_FTPS_PORT,
    CONF_SERIAL,
    CONF_VERIFY_TLS,
    DOMAIN,
)
from .files import JobFileInfo, PrinterFile, PrinterFiles, TransferProgress
from .local_files import ThumbnailCache
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
from .printers.model import PrinterState, Vendor
from .printers.slicer import (
    FileMetadata,
    is_print_file,
    parse_file,
)
from .repairs import async_create_no_storage_issue, no_storage_issue_id
from .validation import split_host_port

METADATA_MAX_BYTES: Final = 128 * 1024 * 1024
"""Largest project file fetched only to read its metadata and picture."""
_PLATE: Final = re.compile(r"plate_(\d+)\.gcode", re.IGNORECASE)


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
