"""Print-file metadata: 3MF, G-code (PNG/JPG/QOI thumbnails), BGCODE, QOI; with shared samples."""

from __future__ import annotations

import base64
import io
from pathlib import Path
import re
import struct
import zipfile
import zlib

from PIL import Image
import pytest

from custom_components.printernizer.printers.slicer import (
    FileMetadata,
    ImageFormat,
    MetadataError,
    Thumbnail,
    is_print_file,
    metadata_from_values,
    parse_bytes,
    parse_duration,
    parse_file,
    thumbnail_png,
)
from custom_components.printernizer.printers.slicer.bgcode import (
    BgcodeError,
    BlockType,
    iter_blocks,
    parse_bgcode_bytes,
)
from custom_components.printernizer.printers.slicer.gcode import parse_gcode_text
from custom_components.printernizer.printers.slicer.qoi import (
    QoiError,
    decode_qoi,
    encode_png,
    qoi_to_png,
)
from custom_components.printernizer.printers.slicer.threemf import ThreeMfError, parse_3mf
from tests.shared import SHARED_PROTOCOL, requires_shared
from tests.simulators.prusa.machine import make_png

SLICER = SHARED_PROTOCOL / "slicer"
BAMBU_3MF = "bambustudio-02.04.00.70_a1mini_Test.gcode.3mf__Metadata_"
BAMBU_HEADER = SLICER / "bambustudio-02.04.00.70_a1mini_plate_1Or.gcode.header-excerpt.txt"
ORCA_HEADER = SLICER / "orcaslicer-2.3.1-alpha_a1mini_plate_1.gcode.header-excerpt.txt"
PRUSA_HEADER = SLICER / "prusaslicer-2.8.1_mk4s_mini_cube.gcode.header-thumbnail-excerpt.txt"
PRUSA_FOOTER = SLICER / "prusaslicer-2.8.1_mk4s_mini_cube.gcode.footer-excerpt.txt"
BGCODE_DOC = SLICER / "prusaslicer-2.8.1_mk4s_mini_cube.bgcode.blocks-and-metadata.txt"


def _shared_3mf(*, picture: bytes | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    """Zip the shared 3MF members (read in place) into a project like Bambu Studio writes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member in ("slice_info.config", "model_settings.config", "project_settings.config"):
            archive.writestr(f"Metadata/{member}", (SLICER / f"{BAMBU_3MF}{member}").read_bytes())
        archive.writestr("Metadata/plate_1.png", picture or make_png(20, 10, (0, 174, 66)))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _qoi_16() -> bytes:
    """Return the complete 16x16 QOI thumbnail of the shared PrusaSlicer header excerpt."""
    text = PRUSA_HEADER.read_text()
    block = text.split("thumbnail_QOI begin 16x16 368", 1)[1].split("; thumbnail_QOI end", 1)[0]
    lines = [line.lstrip(";").strip() for line in block.splitlines() if line.startswith(";")]
    return base64.b64decode("".join(lines))


def _ini_block(text: str) -> str:
    return text.strip() + "\n"


def _doc_section(name: str) -> str:
    """Return the INI text of a metadata block as the shared BGCODE description lists it."""
    text = BGCODE_DOC.read_text()
    match = re.search(
        rf"--- {name} content[^\n]*---\n(.*?)\n--- (?:end|\(truncated\))", text, re.DOTALL
    )
    assert match is not None, name
    return match.group(1)


def _block(kind: int, params: bytes, data: bytes, *, compression: int = 0) -> bytes:
    if compression == 1:
        stored = zlib.compress(data)
        header = struct.pack("<HHII", kind, 1, len(data), len(stored))
    else:
        stored = data
        header = struct.pack("<HHI", kind, 0, len(data))
    crc = zlib.crc32(header + params + stored) & 0xFFFFFFFF
    return header + params + stored + struct.pack("<I", crc)


def _bgcode(*, thumbnails: list[tuple[int, int, int, bytes]], checksum: bool = True) -> bytes:
    """Build a binary G-code file from the shared sample's metadata text."""
    out = b"GCDE" + struct.pack("<IH", 1, 1 if checksum else 0)
    encoding = struct.pack("<H", 0)
    blocks = [
        _block(0, encoding, _ini_block(_doc_section("file_metadata")).encode()),
        _block(3, encoding, _ini_block(_doc_section("printer_metadata")).encode()),
    ]
    blocks += [
        _block(5, struct.pack("<HHH", fmt, width, height), data)
        for fmt, width, height, data in thumbnails
    ]
    blocks += [
        _block(4, encoding, _ini_block(_doc_section("print_metadata")).encode(), compression=1),
        _block(2, encoding, _ini_block(_doc_section("slicer_metadata")).encode(), compression=1),
        # A G-code block (heatshrink 12/4, MeatPack) ends the metadata; it is never decoded.
        struct.pack("<HHII", 1, 3, 100, 4) + struct.pack("<H", 2) + b"\x00" * 4 + b"\0" * 4,
    ]
    if not checksum:
        blocks = [b[:-4] if i < len(blocks) - 1 else b for i, b in enumerate(blocks)]
    return out + b"".join(blocks)


# ---------------------------------------------------------------------------- 3MF


@requires_shared
def test_3mf_bambu_studio_project() -> None:
    """slice_info.config gives time, weight and filaments; plate_1.png the picture."""
    picture = make_png(20, 10, (0, 174, 66))
    metadata = parse_bytes("Test.gcode.3mf", _shared_3mf(picture=picture))
    assert metadata.estimated_s == 543
    assert metadata.filament_g == 0.23
    assert metadata.filament_mm == 80.0
    assert metadata.material == "TPU"
    assert metadata.slicer == "BambuStudio 02.04.00.70"
    assert metadata.printer_model == "N1"
    # Price per kg from project_settings (20) x 0.23 g.
    assert metadata.cost == pytest.approx(0.0046)
    assert metadata.thumbnail == Thumbnail(
        data=picture, format=ImageFormat.PNG, width=20, height=10
    )
    (plate,) = metadata.plates
    assert plate.index == 1
    assert plate.filaments[0].color == "#00AE42"
    assert thumbnail_png(metadata.thumbnail) == (picture, "image/png")
    info = metadata.as_dict()
    assert info["plates"][0]["filaments"][0]["material"] == "TPU"
    assert info["has_thumbnail"] is True


def test_3mf_multi_plate_without_slice_info(tmp_path: Path) -> None:
    """Plates come from their G-code when slice_info is missing; a plate can be chosen."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for plate, (minutes, grams) in enumerate(((10, 5.5), (20, 7.25)), start=1):
            archive.writestr(
                f"Metadata/plate_{plate}.gcode",
                f"; HEADER_BLOCK_START\n; model printing time: 1m; total estimated time: {minutes}m 0s\n"
                f"; total filament weight [g] : {grams}\n; total filament length [mm] : 1000\n"
                "; filament_type = PETG\n; HEADER_BLOCK_END\nG1 X1\n",
            )
            archive.writestr(f"Metadata/plate_{plate}.png", make_png(4, 4, (plate, 0, 0)))
        archive.writestr("Metadata/plate_3.png", make_png(2, 2, (9, 9, 9)))
        archive.writestr("Metadata/slice_info.config", b"<config><plate>broken")
    path = tmp_path / "two.3mf"
    path.write_bytes(buffer.getvalue())
    first = parse_file(path)
    assert (first.estimated_s, first.filament_g, first.material) == (600, 5.5, "PETG")
    second = parse_file(path, plate=2)
    assert (second.estimated_s, second.filament_g) == (1200, 7.25)
    assert second.filament_mm == 1000
    assert second.thumbnail is not None
    assert second.thumbnail.data == make_png(4, 4, (2, 0, 0))
    assert [p.index for p in first.plates] == [1, 2, 3]
    # A plate that does not exist leaves the default plate's values.
    assert first.for_plate(9) == first


def test_3mf_errors_and_empty() -> None:
    """Not a zip → MetadataError; a zip without plates → empty metadata."""
    with pytest.raises(MetadataError):
        parse_bytes("x.3mf", b"PK\x03\x04 not really a zip")
    with pytest.raises(ThreeMfError):
        parse_3mf(b"nope")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("3D/3dmodel.model", b"<model/>")
        archive.writestr("Metadata/project_settings.config", b'{"filament_cost": ["x", "12"]}')
    assert parse_bytes("plain.3mf", buffer.getvalue()) == FileMetadata()


def test_3mf_slice_info_variants() -> None:
    """Weight falls back to the filaments' sum; bad settings JSON is ignored."""
    info = (
        b'<config><plate><metadata key="prediction" value="abc"/>'
        b'<filament id="x" type="PLA" used_g="1.5" used_m="0.5"/>'
        b'<filament id="2" type="PETG" used_g="2"/></plate></config>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Metadata/slice_info.config", info)
        archive.writestr("Metadata/project_settings.config", b"not json")
    metadata = parse_bytes("a.3mf", buffer.getvalue())
    assert metadata.filament_g == 3.5
    assert metadata.estimated_s is None
    assert metadata.cost is None
    assert metadata.material == "PLA"


# ---------------------------------------------------------------------------- G-code


@requires_shared
def test_gcode_bambu_studio_header() -> None:
    """Bambu Studio's HEADER_BLOCK: total time, weight, length; price per kg → cost."""
    metadata = parse_bytes("plate_1.gcode", BAMBU_HEADER.read_bytes())
    assert metadata.estimated_s == 9 * 60 + 3
    assert metadata.filament_g == 0.23
    assert metadata.filament_mm == 75.74
    assert metadata.material == "TPU"
    assert metadata.printer_model == "Bambu Lab A1 mini"
    assert metadata.slicer == "BambuStudio 02.04.00.70"
    assert metadata.layers == 1
    assert metadata.cost == pytest.approx(0.0046)
    assert metadata.thumbnail is None


@requires_shared
def test_gcode_orcaslicer_header() -> None:
    """OrcaSlicer: the time is there, the weight is not."""
    metadata = parse_gcode_text(ORCA_HEADER.read_text())
    assert metadata.estimated_s == 2 * 3600 + 44 * 60 + 46
    assert metadata.filament_g is None
    assert metadata.layers == 143
    assert metadata.slicer == "OrcaSlicer 2.3.1-alpha"


@requires_shared
def test_gcode_prusaslicer_header_footer_qoi(tmp_path: Path) -> None:
    """PrusaSlicer: QOI thumbnail at the top, statistics at the bottom (read from head + tail)."""
    filler = "G1 X10 Y10 E0.1\n" * 60_000  # ~1 MB between head and tail
    path = tmp_path / "mini_cube.gcode"
    path.write_text(PRUSA_HEADER.read_text() + filler + PRUSA_FOOTER.read_text())
    metadata = parse_file(path)
    assert metadata.filament_g == 0.75
    assert metadata.filament_mm == 252.22
    assert metadata.cost == 0.03
    assert metadata.estimated_s == 3 * 60 + 41
    assert metadata.material == "PLA"
    assert metadata.printer_model == "MK4S"
    assert metadata.slicer == "PrusaSlicer 2.8.1"
    assert metadata.thumbnail is not None
    # The excerpt keeps the 313x173 picture only in part (its base64 does not decode), so
    # the complete 16x16 one is the picture.
    assert (metadata.thumbnail.format, metadata.thumbnail.width) == (ImageFormat.QOI, 16)
    assert metadata.thumbnail.data == _qoi_16()
    same = parse_bytes("mini_cube.gcode", path.read_bytes())
    assert same.filament_g == 0.75
    assert same.thumbnail is not None


@requires_shared
def test_qoi_thumbnail_matches_pillow() -> None:
    """Our QOI decoder agrees with Pillow's on the shared PrusaSlicer thumbnail."""
    data = _qoi_16()
    width, height, rgba = decode_qoi(data)
    assert (width, height) == (16, 16)
    reference = Image.open(io.BytesIO(data)).convert("RGBA")
    assert reference.tobytes() == rgba
    png = qoi_to_png(data)
    assert Image.open(io.BytesIO(png)).convert("RGBA").tobytes() == rgba
    converted, content_type = thumbnail_png(
        Thumbnail(data=data, format=ImageFormat.QOI, width=16, height=16)
    )
    assert (converted, content_type) == (png, "image/png")


def test_qoi_errors() -> None:
    """Bad headers, sizes and truncated data raise QoiError; PNG sizes are checked."""
    with pytest.raises(QoiError):
        decode_qoi(b"nope")
    with pytest.raises(QoiError):
        decode_qoi(b"qoif" + struct.pack(">II", 2, 2) + b"\x05\x00" + b"\0" * 8)
    with pytest.raises(QoiError):
        decode_qoi(b"qoif" + struct.pack(">II", 5000, 5000) + b"\x04\x00" + b"\0" * 8)
    with pytest.raises(QoiError):
        decode_qoi(b"qoif" + struct.pack(">II", 4, 4) + b"\x04\x00" + b"\xfe\x01\x02\x03")
    with pytest.raises(ValueError, match="does not match"):
        encode_png(2, 2, b"\0" * 3)


def test_qoi_all_chunk_kinds() -> None:
    """Every QOI operation decodes to the pixels Pillow finds."""
    ops = bytes(
        [
            *(0xFF, 10, 20, 30, 200),  # RGBA
            *(0xFE, 11, 21, 31),  # RGB
            0x40 | (3 << 4) | (1 << 2) | 2,  # DIFF +1 -1 0
            *(0x80 | 40, 0x9A),  # LUMA dg=8, dr-dg=1, db-dg=2
            0xC0 | 2,  # RUN of 3
            (10 * 3 + 20 * 5 + 30 * 7 + 200 * 11) % 64,  # INDEX of the first pixel
        ]
    )
    data = b"qoif" + struct.pack(">II", 8, 1) + b"\x04\x00" + ops + b"\0" * 7 + b"\x01"
    width, height, rgba = decode_qoi(data)
    assert (width, height) == (8, 1)
    assert Image.open(io.BytesIO(data)).convert("RGBA").tobytes() == rgba
    assert rgba[-4:] == bytes((10, 20, 30, 200))


def test_gcode_png_and_jpg_thumbnails() -> None:
    """Plain ``thumbnail`` blocks are PNG, ``thumbnail_JPG`` JPG; the largest wins."""
    png = make_png(8, 8, (1, 2, 3))
    jpg_buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 10, 10)).save(jpg_buffer, "JPEG")
    jpg = jpg_buffer.getvalue()

    def block(tag: str, size: str, data: bytes) -> str:
        text = base64.b64encode(data).decode()
        lines = "\n".join(f"; {text[i : i + 76]}" for i in range(0, len(text), 76))
        return f"; {tag} begin {size} {len(text)}\n{lines}\n; {tag} end\n"

    text = (
        "; generated by PrusaSlicer 2.7.0 on 2024\n"
        + block("thumbnail", "8x8", png)
        + block("thumbnail_JPG", "32x24", jpg)
        + "; thumbnail begin 4x4 4\n; !!!!\n; thumbnail end\n"
        + "; estimated printing time (normal mode) = 1d 2h 3m 4s\n"
        + "; filament used [g] = 1.5, 2.5\n; filament_type = PETG;PLA\n"
        + "; filament cost = abc\n"
    )
    metadata = parse_gcode_text(text)
    assert metadata.thumbnail is not None
    assert metadata.thumbnail.format is ImageFormat.JPG
    assert thumbnail_png(metadata.thumbnail) == (jpg, "image/jpeg")
    assert metadata.estimated_s == 86400 + 2 * 3600 + 3 * 60 + 4
    assert metadata.filament_g == 4.0
    assert metadata.material == "PETG"
    assert metadata.cost is None


def test_values_and_durations() -> None:
    """PrusaLink ``meta`` objects and odd values map like comments do."""
    metadata = metadata_from_values(
        {
            "estimated_print_time": 25421,
            "filament used [g]": 15.42,
            "filament used [mm] per tool": [1.0],
            "filament used [mm]": 5142.06,
            "filament cost": [0.25, 0.5],
            "filament_type": "PLA",
            "total layer number": "not a number",
            "ignored": True,
        }
    )
    assert (metadata.estimated_s, metadata.filament_g, metadata.filament_mm) == (
        25421,
        15.42,
        5142.06,
    )
    assert metadata.cost == 0.75
    assert metadata.layers is None
    assert metadata_from_values({"filament used [g]": True}).filament_g is None
    assert metadata_from_values({"filament used [g]": None}).filament_g is None
    assert parse_duration("") is None
    assert parse_duration("soon") is None
    assert parse_duration("90") == 90
    assert parse_duration("1h 30m") == 5400
    assert is_print_file("A.GCODE")
    assert is_print_file("x.gcode.3mf")
    assert not is_print_file("notes.txt")


# ---------------------------------------------------------------------------- BGCODE


@requires_shared
def test_bgcode_shared_header_and_crc() -> None:
    """The shared hex dump's file header and first block parse, CRC32 included."""
    text = BGCODE_DOC.read_text()
    rows = re.findall(r"^[0-9a-f]{8}: ((?:[0-9a-f]{2} ){1,16})", text, re.MULTILINE)
    head = bytes.fromhex("".join(rows))[:90]
    (block,) = iter_blocks(io.BytesIO(head))
    assert block.type == BlockType.FILE_METADATA
    assert block.data is not None
    assert block.data.startswith(b"Producer=PrusaSlicer 2.8.1\n")
    corrupt = head[:30] + b"X" + head[31:]
    with pytest.raises(BgcodeError, match="checksum"):
        iter_blocks(io.BytesIO(corrupt))


@requires_shared
def test_bgcode_metadata_and_thumbnails(tmp_path: Path) -> None:
    """A BGCODE built from the shared sample's blocks: statistics, producer, QOI → PNG."""
    qoi = _qoi_16()
    png = make_png(24, 24, (5, 6, 7))
    data = _bgcode(thumbnails=[(2, 16, 16, qoi), (0, 24, 24, png), (7, 99, 99, b"?")])
    path = tmp_path / "mini_cube.bgcode"
    path.write_bytes(data)
    metadata = parse_file(path)
    assert metadata.slicer == "PrusaSlicer 2.8.1"
    assert metadata.filament_g == 0.75
    assert metadata.filament_mm == 252.22
    assert metadata.cost == 0.03
    assert metadata.estimated_s == 221
    assert metadata.material == "PLA"
    assert metadata.printer_model == "MK4S"
    assert metadata.thumbnail == Thumbnail(data=png, format=ImageFormat.PNG, width=24, height=24)
    only_qoi = parse_bytes("x.bgcode", _bgcode(thumbnails=[(2, 16, 16, qoi)], checksum=False))
    assert only_qoi.thumbnail is not None
    assert only_qoi.thumbnail.format is ImageFormat.QOI
    png_data, content_type = thumbnail_png(only_qoi.thumbnail)
    assert content_type == "image/png"
    assert Image.open(io.BytesIO(png_data)).size == (16, 16)


def test_bgcode_errors() -> None:
    """Broken files raise BgcodeError (MetadataError from the dispatcher)."""
    good = b"GCDE" + struct.pack("<IH", 1, 0)
    with pytest.raises(BgcodeError, match="magic"):
        parse_bgcode_bytes(b"GCD")
    with pytest.raises(BgcodeError, match="checksum type"):
        parse_bgcode_bytes(b"GCDE" + struct.pack("<IH", 1, 7))
    with pytest.raises(MetadataError, match="truncated block header"):
        parse_bytes("x.bgcode", good + b"\x00\x00")
    with pytest.raises(BgcodeError, match="truncated block header"):
        parse_bgcode_bytes(good + struct.pack("<HHI", 0, 1, 10) + b"\x01")
    with pytest.raises(BgcodeError, match="truncated block data"):
        parse_bgcode_bytes(good + struct.pack("<HHI", 0, 0, 10) + b"\0\0" + b"abc")
    with pytest.raises(BgcodeError, match="too large"):
        parse_bgcode_bytes(good + struct.pack("<HHI", 0, 0, 1 << 30) + b"\0\0")
    # Unreadable compressed blocks (bad deflate, heatshrink metadata) are skipped.
    bad_deflate = struct.pack("<HHII", 4, 1, 10, 3) + b"\0\0" + b"xyz"
    heatshrink = struct.pack("<HHII", 3, 3, 10, 3) + b"\0\0" + b"xyz"
    thumb_heatshrink = struct.pack("<HHII", 5, 2, 10, 3) + struct.pack("<HHH", 0, 1, 1) + b"xyz"
    other = struct.pack("<HHI", 9, 0, 1) + b"\0\0" + b"x"
    metadata = parse_bgcode_bytes(good + bad_deflate + heatshrink + thumb_heatshrink + other)
    assert metadata == FileMetadata()


def test_parse_file_errors(tmp_path: Path) -> None:
    """A file that claims 3MF but is not a zip raises MetadataError."""
    path = tmp_path / "broken.3mf"
    path.write_bytes(b"definitely not a zip")
    with pytest.raises(MetadataError):
        parse_file(path)
    with pytest.raises(MetadataError):
        thumbnail_png(Thumbnail(data=b"qoifxx", format=ImageFormat.QOI))
