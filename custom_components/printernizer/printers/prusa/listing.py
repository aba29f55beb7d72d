"""PrusaLink storages, file listings and transfers (/api/v1/storage, files, transfer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .values import (
    ParseIssues,
    as_mapping,
    get_float,
    get_int,
    get_mapping,
    get_str,
    storage_list,
    to_minutes,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PrusaFile:
    """One entry of a `/api/v1/files/{storage}/{path}` folder listing."""

    name: str
    """Short (8.3) name, used in URLs."""
    display_name: str
    path: str
    """Full path on the printer, e.g. ``/usb/BENCHY.GCO``."""
    type: str
    size: int | None = None
    modified: datetime | None = None
    read_only: bool | None = None
    thumbnail_url: str | None = None
    download_url: str | None = None


def parse_files(data: object, folder: str, issues: ParseIssues | None = None) -> list[PrusaFile]:
    """Parse a folder listing; ``folder`` is the listed path (``/usb``)."""
    issues = issues or ParseIssues()
    body = as_mapping(data, "files", issues)
    children = body.get("children") if body is not None else None
    if children is None:
        return []
    if not isinstance(children, list):
        issues.report("children", children)
        return []
    entries = (parse_file(child, folder, issues) for child in children)
    return [entry for entry in entries if entry is not None]


def parse_file(data: object, folder: str, issues: ParseIssues | None = None) -> PrusaFile | None:
    """Parse one file or folder entry (a listing child, or the answer to a file GET/PUT)."""
    issues = issues or ParseIssues()
    entry = as_mapping(data, "file", issues)
    name = get_str(entry, "name", issues)
    if entry is None or name is None:
        return None
    refs = get_mapping(entry, "refs", issues)
    stamp = get_float(entry, "m_timestamp", issues)
    read_only = entry.get("ro", entry.get("read_only"))
    base = "/" + folder.strip("/")
    return PrusaFile(
        name=name,
        display_name=get_str(entry, "display_name", issues) or name,
        path=f"{base.rstrip('/')}/{name}",
        type=get_str(entry, "type", issues) or "FILE",
        size=get_int(entry, "size", issues),
        modified=datetime.fromtimestamp(stamp, UTC) if stamp is not None and stamp >= 0 else None,
        read_only=read_only if isinstance(read_only, bool) else None,
        thumbnail_url=get_str(refs, "thumbnail", issues),
        download_url=get_str(refs, "download", issues),
    )


def parse_storage(data: object, issues: ParseIssues | None = None) -> list[dict[str, Any]]:
    """Parse `/api/v1/storage` (``storage_list``) or a status ``storage`` (object or list)."""
    issues = issues or ParseIssues()
    body = as_mapping(data, "storage", issues)
    if body is None:
        return storage_list(data, issues) or []
    if "storage_list" in body:
        return storage_list(body.get("storage_list"), issues) or []
    return storage_list(body, issues) or []


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer:
    """A file transfer in progress (`/api/v1/transfer`)."""

    transfer_id: str | None
    type: str | None
    display_name: str | None
    path: str | None
    size: int | None
    progress: float | None
    remaining_time: int | None
    """Minutes."""
    to_print: bool | None


def parse_transfer(data: object, issues: ParseIssues | None = None) -> Transfer | None:
    """Parse `/api/v1/transfer`; None when there is none (204)."""
    issues = issues or ParseIssues()
    body = as_mapping(data, "transfer", issues)
    if not body:
        return None
    to_print = body.get("to_print")
    return Transfer(
        transfer_id=get_str(body, "id", issues),
        type=get_str(body, "type", issues),
        display_name=get_str(body, "display_name", issues),
        path=get_str(body, "path", issues),
        # `size` is a string in the spec ("Bytes"), a number on some firmwares.
        size=get_int(body, "size", issues),
        progress=get_float(body, "progress", issues),
        remaining_time=to_minutes(get_float(body, "time_remaining", issues)),
        to_print=to_print if isinstance(to_print, bool) else None,
    )
