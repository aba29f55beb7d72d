"""Metadata of Bambu Studio / OrcaSlicer 3MF projects (``.3mf``, ``.gcode.3mf``).

A sliced project is a zip archive. ``Metadata/slice_info.config`` (XML) has per plate the
predicted time in seconds (``prediction``), the weight in grams (``weight``) and one
``<filament>`` element per filament used (type, colour, ``used_m``, ``used_g``); the plate's
picture is ``Metadata/plate_<n>.png``; ``Metadata/project_settings.config`` (JSON) has the
filament prices per kg.
"""

from __future__ import annotations

from dataclasses import replace
import io
import json
from pathlib import Path
import re
from typing import IO, Final
from xml.etree import ElementTree as ET
import zipfile

from .gcode import parse_gcode_text
from .model import FilamentUse, FileMetadata, ImageFormat, PlateMetadata, Thumbnail

SLICE_INFO: Final = "Metadata/slice_info.config"
PROJECT_SETTINGS: Final = "Metadata/project_settings.config"
# Members larger than this are not read (a plate picture is a few hundred kB at most).
MAX_MEMBER: Final = 16 * 1024 * 1024
_PLATE_PNG: Final = re.compile(r"^Metadata/plate_(\d+)\.png$")
_PLATE_GCODE: Final = re.compile(r"^Metadata/plate_(\d+)\.gcode$")


class ThreeMfError(ValueError):
    """The file is not a readable 3MF archive."""


def _float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _png_size(data: bytes) -> tuple[int | None, int | None]:
    if len(data) >= 24 and data[:8] == b"\x89PNG\r\n\x1a\n":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return None, None


def _read(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_MEMBER:
        return None
    return archive.read(info)


def _prices(archive: zipfile.ZipFile) -> list[float]:
    """Return the filament prices per kg from the project settings (index = filament id - 1)."""
    raw = _read(archive, PROJECT_SETTINGS)
    if raw is None:
        return []
    try:
        settings = json.loads(raw)
    except ValueError:
        return []
    prices = settings.get("filament_cost") if isinstance(settings, dict) else None
    if not isinstance(prices, list):
        return []
    return [p if (p := _float(str(item))) is not None else 0.0 for item in prices]


def _plates_from_slice_info(root: ET.Element, prices: list[float]) -> list[PlateMetadata]:
    plates: list[PlateMetadata] = []
    for number, plate in enumerate(root.iter("plate"), start=1):
        meta = {
            item.get("key", ""): item.get("value")
            for item in plate.findall("metadata")
            if item.get("key")
        }
        raw_index = meta.get("index") or ""
        index = int(raw_index) if raw_index.isdigit() else number
        filaments: list[FilamentUse] = []
        cost = 0.0
        priced = False
        for element in plate.findall("filament"):
            ident = element.get("id") or ""
            grams = _float(element.get("used_g"))
            fid = int(ident) if ident.isdigit() else len(filaments) + 1
            filaments.append(
                FilamentUse(
                    index=fid,
                    material=element.get("type") or None,
                    color=element.get("color") or None,
                    grams=grams,
                    meters=_float(element.get("used_m")),
                )
            )
            if grams is not None and 0 < fid <= len(prices):
                cost += grams * prices[fid - 1] / 1000
                priced = True
        prediction = _float(meta.get("prediction"))
        weight = _float(meta.get("weight"))
        if weight is None and filaments:
            grams_list = [f.grams for f in filaments if f.grams is not None]
            weight = round(sum(grams_list), 2) if grams_list else None
        plates.append(
            PlateMetadata(
                index=index,
                estimated_s=round(prediction) if prediction is not None else None,
                filament_g=weight,
                cost=round(cost, 4) if priced else None,
                filaments=tuple(filaments),
            )
        )
    return plates


def parse_3mf(source: bytes | Path | IO[bytes], *, plate: int | None = None) -> FileMetadata:
    """Parse a sliced 3MF project (blocking); ``plate`` selects the top-level values."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, OSError) as err:
        raise ThreeMfError(f"not a 3MF archive: {err}") from err
    with archive:
        names = archive.namelist()
        prices = _prices(archive)
        plates: list[PlateMetadata] = []
        slicer: str | None = None
        printer_model: str | None = None
        info_raw = _read(archive, SLICE_INFO)
        if info_raw is not None:
            try:
                root = ET.fromstring(info_raw)  # noqa: S314 - our own parser on a small member
            except ET.ParseError:
                root = None
            if root is not None:
                plates = _plates_from_slice_info(root, prices)
                version = root.find("header/header_item[@key='X-BBL-Client-Version']")
                if version is not None and version.get("value"):
                    slicer = f"BambuStudio {version.get('value')}"
                model = root.find("plate/metadata[@key='printer_model_id']")
                if model is not None:
                    printer_model = model.get("value") or None
        pictures: dict[int, Thumbnail] = {}
        for name in names:
            if (match := _PLATE_PNG.match(name)) and (data := _read(archive, name)):
                width, height = _png_size(data)
                pictures[int(match.group(1))] = Thumbnail(
                    data=data, format=ImageFormat.PNG, width=width, height=height
                )
        if not plates:
            # A project without slice_info (e.g. exported by a script): use the plate G-code.
            plates = _plates_from_gcode(archive, names)
        plates = [replace(p, thumbnail=pictures.get(p.index)) for p in plates]
        for index, picture in sorted(pictures.items()):
            if all(p.index != index for p in plates):
                plates.append(PlateMetadata(index=index, thumbnail=picture))
        plates.sort(key=lambda p: p.index)
    if not plates:
        return FileMetadata(slicer=slicer)
    metadata = FileMetadata(
        plates=tuple(plates),
        slicer=slicer,
        printer_model=printer_model,
        thumbnail=plates[0].thumbnail,
    )
    return metadata.for_plate(plate if plate is not None else plates[0].index)


def _plates_from_gcode(archive: zipfile.ZipFile, names: list[str]) -> list[PlateMetadata]:
    plates: list[PlateMetadata] = []
    for name in names:
        if not (match := _PLATE_GCODE.match(name)):
            continue
        with archive.open(name) as member:
            head = member.read(64 * 1024)
        meta = parse_gcode_text(head.decode("utf-8", "replace"))
        filaments: tuple[FilamentUse, ...] = ()
        if meta.material or meta.filament_g is not None:
            filaments = (
                FilamentUse(
                    index=1,
                    material=meta.material,
                    grams=meta.filament_g,
                    meters=meta.filament_mm / 1000 if meta.filament_mm is not None else None,
                ),
            )
        plates.append(
            PlateMetadata(
                index=int(match.group(1)),
                estimated_s=meta.estimated_s,
                filament_g=meta.filament_g,
                cost=meta.cost,
                filaments=filaments,
            )
        )
    return plates


def is_3mf(name: str, head: bytes = b"") -> bool:
    """Return whether a file name (or its first bytes) looks like a 3MF archive."""
    return name.lower().endswith(".3mf") or head.startswith(b"PK\x03\x04")


def plate_count(metadata: FileMetadata) -> int:
    """Return the number of plates (1 for single-plate files)."""
    return max(1, len(metadata.plates))
