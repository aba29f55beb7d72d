"""What the integration learns from a print file, whatever slicer wrote it (no Home Assistant)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum


class ImageFormat(StrEnum):
    """Encodings of the pictures slicers embed."""

    PNG = "png"
    JPG = "jpg"
    QOI = "qoi"

    @property
    def content_type(self) -> str:
        """Return the MIME type of the encoding."""
        return {"png": "image/png", "jpg": "image/jpeg", "qoi": "image/qoi"}[self.value]


@dataclass(frozen=True, slots=True, kw_only=True)
class Thumbnail:
    """A picture of the print as the slicer rendered it."""

    data: bytes = field(repr=False)
    format: ImageFormat
    width: int | None = None
    height: int | None = None

    @property
    def pixels(self) -> int:
        """Return the pixel count (0 when the size is unknown)."""
        return (self.width or 0) * (self.height or 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class FilamentUse:
    """One filament of a plate (3MF ``slice_info.config``)."""

    index: int
    material: str | None = None
    color: str | None = None
    grams: float | None = None
    meters: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PlateMetadata:
    """One plate of a Bambu/Orca 3MF project."""

    index: int
    estimated_s: int | None = None
    filament_g: float | None = None
    cost: float | None = None
    filaments: tuple[FilamentUse, ...] = ()
    thumbnail: Thumbnail | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FileMetadata:
    """Filament, time, cost and picture of a print file; ``None`` where the file does not say.

    For multi-plate 3MF files the top-level values describe the selected plate (the first one
    unless a plate was asked for); ``plates`` has all of them.
    """

    filament_g: float | None = None
    filament_mm: float | None = None
    material: str | None = None
    estimated_s: int | None = None
    cost: float | None = None
    plates: tuple[PlateMetadata, ...] = ()
    thumbnail: Thumbnail | None = None
    slicer: str | None = None
    printer_model: str | None = None
    layers: int | None = None

    def for_plate(self, index: int) -> FileMetadata:
        """Return the metadata with the top-level values of plate ``index`` (when it exists)."""
        plate = next((p for p in self.plates if p.index == index), None)
        if plate is None:
            return self
        materials = [f.material for f in plate.filaments if f.material]
        meters = [f.meters for f in plate.filaments if f.meters is not None]
        return replace(
            self,
            filament_g=plate.filament_g,
            filament_mm=round(sum(meters) * 1000, 2) if meters else None,
            material=materials[0] if materials else self.material,
            estimated_s=plate.estimated_s,
            thumbnail=plate.thumbnail or self.thumbnail,
            cost=plate.cost,
        )

    def as_dict(self) -> dict[str, object]:
        """Return the values for action responses and diagnostics (pictures left out)."""
        result: dict[str, object] = {
            "filament_g": self.filament_g,
            "filament_mm": self.filament_mm,
            "material": self.material,
            "estimated_s": self.estimated_s,
            "cost": self.cost,
            "slicer": self.slicer,
            "printer_model": self.printer_model,
            "layers": self.layers,
            "has_thumbnail": self.thumbnail is not None,
        }
        if self.plates:
            result["plates"] = [
                {
                    "index": plate.index,
                    "estimated_s": plate.estimated_s,
                    "filament_g": plate.filament_g,
                    "cost": plate.cost,
                    "filaments": [
                        {
                            "material": f.material,
                            "color": f.color,
                            "grams": f.grams,
                            "meters": f.meters,
                        }
                        for f in plate.filaments
                    ],
                }
                for plate in self.plates
            ]
        return {key: value for key, value in result.items() if value is not None}


def best_thumbnail(thumbnails: list[Thumbnail]) -> Thumbnail | None:
    """Return the largest picture, preferring PNG/JPG over QOI at equal size."""
    if not thumbnails:
        return None
    return max(thumbnails, key=lambda t: (t.pixels, t.format is not ImageFormat.QOI))
