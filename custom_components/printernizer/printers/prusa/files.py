"""File operations on a PrusaLink printer (``/api/v1/files/{storage}/{path}``), no Home Assistant.

- list: ``GET`` on a folder (children with ``refs``), see :meth:`PrusaLinkClient.get_files`;
- download: ``GET`` on the file's ``refs.download`` link, streamed to the caller;
- upload: ``PUT`` with ``Content-Length``, ``Overwrite`` and ``Print-After-Upload``
  (structured-field booleans ``?0``/``?1``, RFC 8941);
- start: ``POST`` on the file; delete: ``DELETE`` on the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from ..errors import PrinterCommandError
from .client import BodyFactory, EndpointNotFoundError, PrusaLinkClient, Sink

# The Buddy board receives at a few hundred kB/s: transfers get their own, long timeout.
TRANSFER_TIMEOUT: Final = 3600.0


class PrusaFileNotFoundError(PrinterCommandError):
    """The file or folder does not exist on the printer."""


@dataclass(frozen=True, slots=True)
class PrusaPath:
    """A file on a storage (``usb``, ``local``, ``sdcard``)."""

    storage: str
    path: str

    @property
    def api_path(self) -> str:
        """Return ``/api/v1/files/{storage}/{path}`` (quoted)."""
        return f"/api/v1/files/{quote(self.storage)}/{quote(self.path)}"

    @property
    def display(self) -> str:
        """Return ``/storage/path``."""
        return f"/{self.storage}/{self.path}"


def split_path(path: str) -> PrusaPath:
    """Split ``/usb/folder/FILE.GCO`` into storage and path; ``..`` is refused."""
    parts = [part for part in path.replace("\\", "/").split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts) or any(c in path for c in "\0\r\n"):
        raise ValueError("invalid printer path")
    if len(parts) < 2:
        raise ValueError("a printer path needs a storage and a file, e.g. /usb/FILE.GCO")
    return PrusaPath(parts[0], "/".join(parts[1:]))


def _flag(value: bool) -> str:
    return "?1" if value else "?0"


def _not_found(call_path: str, err: EndpointNotFoundError) -> PrusaFileNotFoundError:
    return PrusaFileNotFoundError(f"{call_path}: not found", reason=str(err))


async def download(
    client: PrusaLinkClient,
    download_ref: str,
    sink: Sink,
    *,
    timeout: float = TRANSFER_TIMEOUT,  # noqa: ASYNC109
) -> None:
    """Stream a file (its ``refs.download`` link) into ``sink``."""
    path = download_ref if download_ref.startswith("/") else "/" + download_ref
    try:
        await client.request("GET", path, sink=sink, timeout=timeout)
    except EndpointNotFoundError as err:
        raise _not_found(path, err) from err


async def upload(
    client: PrusaLinkClient,
    target: PrusaPath,
    body: BodyFactory,
    size: int,
    *,
    overwrite: bool = False,
    print_after: bool = False,
    timeout: float = TRANSFER_TIMEOUT,  # noqa: ASYNC109
) -> None:
    """Upload a file (``PUT``); 409 (exists, or printing) raises PrinterStateError."""
    headers = {
        "Content-Type": "application/octet-stream",
        "Content-Length": str(size),
        "Overwrite": _flag(overwrite),
        "Print-After-Upload": _flag(print_after),
    }
    try:
        await client.request("PUT", target.api_path, headers=headers, body=body, timeout=timeout)
    except EndpointNotFoundError as err:
        raise _not_found(target.display, err) from err


async def start(client: PrusaLinkClient, target: PrusaPath) -> None:
    """Start printing a file (``POST``)."""
    try:
        await client.request("POST", target.api_path)
    except EndpointNotFoundError as err:
        raise _not_found(target.display, err) from err


async def delete(client: PrusaLinkClient, target: PrusaPath) -> None:
    """Delete a file (``DELETE``)."""
    try:
        await client.request("DELETE", target.api_path)
    except EndpointNotFoundError as err:
        raise _not_found(target.display, err) from err
