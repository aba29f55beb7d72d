"""Files of Prusa printers over PrusaLink (/api/v1/files)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
import json
from pathlib import Path
from typing import IO, Any

from .files import JobFileInfo, PrinterFile, PrinterFiles, TransferProgress
from .local_files import ThumbnailCache
from .printers.errors import PrinterClientError
from .printers.model import PrinterState, Vendor
from .printers.prusa import files as prusa_files
from .printers.prusa.client import EndpointNotFoundError
from .printers.slicer import (
    FileMetadata,
    metadata_from_values,
)
from .prusa_coordinator import PrusaCoordinator


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
