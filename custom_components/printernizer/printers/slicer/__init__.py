"""Print-file metadata: 3MF projects, G-code and binary G-code (no Home Assistant).

Entry points: :func:`parse_file` for a file on disk, :func:`parse_bytes` for data in memory;
both return :class:`FileMetadata` (filament g/mm, material, estimated seconds, cost, plates and
the best thumbnail). :func:`thumbnail_png` turns any thumbnail into something a browser shows.
All functions block (zip, zlib, file I/O): call them from an executor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from .bgcode import BgcodeError, is_bgcode, parse_bgcode_bytes, parse_bgcode_file
from .gcode import metadata_from_values, parse_duration, parse_gcode_bytes, parse_gcode_file
from .model import FilamentUse, FileMetadata, ImageFormat, PlateMetadata, Thumbnail
from .qoi import QoiError, qoi_to_png
from .threemf import ThreeMfError, is_3mf, parse_3mf

__all__ = [
    "FilamentUse",
    "FileMetadata",
    "ImageFormat",
    "MetadataError",
    "PlateMetadata",
    "Thumbnail",
    "is_print_file",
    "metadata_from_values",
    "parse_bytes",
    "parse_duration",
    "parse_file",
    "thumbnail_png",
]

PRINT_FILE_SUFFIXES: Final = (".3mf", ".gcode", ".bgcode", ".gco", ".g", ".bgc")


class MetadataError(ValueError):
    """The file could not be read as a print file."""


def is_print_file(name: str) -> bool:
    """Return whether a file name is one of the print formats we read."""
    return name.lower().endswith(PRINT_FILE_SUFFIXES)


def parse_bytes(name: str, data: bytes, *, plate: int | None = None) -> FileMetadata:
    """Parse a print file held in memory; the format comes from its content, then its name."""
    try:
        if is_bgcode(data[:4]):
            return parse_bgcode_bytes(data)
        if is_3mf(name, data[:4]):
            return parse_3mf(data, plate=plate)
        return parse_gcode_bytes(data)
    except (BgcodeError, ThreeMfError) as err:
        raise MetadataError(str(err)) from err


def parse_file(path: Path, *, plate: int | None = None) -> FileMetadata:
    """Parse a print file on disk."""
    with path.open("rb") as file:
        head = file.read(4)
    try:
        if is_bgcode(head):
            return parse_bgcode_file(path)
        if is_3mf(path.name, head):
            return parse_3mf(path, plate=plate)
        return parse_gcode_file(path)
    except (BgcodeError, ThreeMfError) as err:
        raise MetadataError(str(err)) from err


def thumbnail_png(thumbnail: Thumbnail) -> tuple[bytes, str]:
    """Return ``(data, content_type)`` a browser can show (QOI is converted to PNG)."""
    if thumbnail.format is ImageFormat.QOI:
        try:
            return qoi_to_png(thumbnail.data), "image/png"
        except QoiError as err:
            raise MetadataError(str(err)) from err
    return thumbnail.data, thumbnail.format.content_type
