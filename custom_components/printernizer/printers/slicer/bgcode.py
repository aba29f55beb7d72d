"""Metadata of binary G-code (``.bgcode``, libbgcode ``doc/specifications.md``).

Layout: a 10-byte file header (magic ``GCDE``, version, checksum type), then blocks. Each block
has a header (type, compression, uncompressed size and, when compressed, the compressed size),
type-specific parameters, data and an optional CRC32 over header, parameters and data.
Metadata blocks hold INI text (``key=value`` lines); thumbnail blocks hold PNG, JPG or QOI.
G-code blocks are skipped without being read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum
import io
from pathlib import Path
import struct
from typing import BinaryIO, Final
import zlib

from .gcode import metadata_from_values
from .model import FileMetadata, ImageFormat, Thumbnail, best_thumbnail

MAGIC: Final = b"GCDE"
FILE_HEADER_SIZE: Final = 10
# Metadata and thumbnail blocks are small; refuse absurd sizes instead of reading them.
MAX_BLOCK: Final = 8 * 1024 * 1024


class BlockType(IntEnum):
    """Block types of the format."""

    FILE_METADATA = 0
    GCODE = 1
    SLICER_METADATA = 2
    PRINTER_METADATA = 3
    PRINT_METADATA = 4
    THUMBNAIL = 5


class Compression(IntEnum):
    """Compression of a block's data."""

    NONE = 0
    DEFLATE = 1
    HEATSHRINK_11_4 = 2
    HEATSHRINK_12_4 = 3


_THUMBNAIL_FORMATS: Final = {0: ImageFormat.PNG, 1: ImageFormat.JPG, 2: ImageFormat.QOI}


class BgcodeError(ValueError):
    """The data is not valid binary G-code."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Block:
    """One block as found in the file (data only for the blocks that were read)."""

    type: int
    compression: int
    uncompressed_size: int
    compressed_size: int
    offset: int
    params: bytes
    data: bytes | None = None


def is_bgcode(head: bytes) -> bool:
    """Return whether data starts like binary G-code."""
    return head[:4] == MAGIC


def _params_size(block_type: int) -> int:
    return 6 if block_type == BlockType.THUMBNAIL else 2


def iter_blocks(file: BinaryIO, *, verify: bool = True) -> list[Block]:
    """Read the block list; data is loaded for every block except G-code (blocking)."""
    header = file.read(FILE_HEADER_SIZE)
    if len(header) < FILE_HEADER_SIZE or header[:4] != MAGIC:
        raise BgcodeError("not binary G-code (no GCDE magic)")
    _version, checksum_type = struct.unpack_from("<IH", header, 4)
    checksum_size = 4 if checksum_type == 1 else 0
    if checksum_type not in (0, 1):
        raise BgcodeError(f"unknown checksum type {checksum_type}")
    blocks: list[Block] = []
    offset = FILE_HEADER_SIZE
    while True:
        head = file.read(8)
        if not head:
            break
        if len(head) < 8:
            raise BgcodeError(f"truncated block header at {offset}")
        block_type, compression, usize = struct.unpack("<HHI", head)
        csize = usize
        if compression != Compression.NONE:
            extra = file.read(4)
            if len(extra) < 4:
                raise BgcodeError(f"truncated block header at {offset}")
            head += extra
            (csize,) = struct.unpack("<I", extra)
        params = file.read(_params_size(block_type))
        stored = csize if compression != Compression.NONE else usize
        data: bytes | None = None
        if block_type == BlockType.GCODE:
            # The first G-code block ends the metadata; nothing after it is needed.
            blocks.append(
                Block(
                    type=block_type,
                    compression=compression,
                    uncompressed_size=usize,
                    compressed_size=csize,
                    offset=offset,
                    params=params,
                )
            )
            break
        if stored > MAX_BLOCK:
            raise BgcodeError(f"block at {offset} too large ({stored} bytes)")
        data = file.read(stored)
        if len(data) < stored:
            raise BgcodeError(f"truncated block data at {offset}")
        if checksum_size:
            crc = file.read(checksum_size)
            if verify and len(crc) == 4:
                expected = struct.unpack("<I", crc)[0]
                if zlib.crc32(head + params + data) & 0xFFFFFFFF != expected:
                    raise BgcodeError(f"checksum mismatch in block at {offset}")
        blocks.append(
            Block(
                type=block_type,
                compression=compression,
                uncompressed_size=usize,
                compressed_size=csize,
                offset=offset,
                params=params,
                data=data,
            )
        )
        offset += len(head) + len(params) + stored + checksum_size
    return blocks


def _decompress(block: Block) -> bytes | None:
    data = block.data
    if data is None:
        return None
    if block.compression == Compression.NONE:
        return data
    if block.compression == Compression.DEFLATE:
        try:
            return zlib.decompress(data)
        except zlib.error:
            return None
    # Heatshrink is only used for G-code blocks by PrusaSlicer; metadata in it is skipped.
    return None


def parse_ini(text: str) -> dict[str, str]:
    """Parse the ``key=value`` lines of a metadata block."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            values.setdefault(key.strip(), value.strip())
    return values


def parse_bgcode_stream(file: BinaryIO) -> FileMetadata:
    """Parse binary G-code from an open file (blocking)."""
    blocks = iter_blocks(file)
    values: dict[str, str] = {}
    producer: str | None = None
    thumbnails: list[Thumbnail] = []
    # Print metadata is the authority on statistics; printer metadata repeats most of it.
    order: dict[int, int] = {
        BlockType.PRINT_METADATA: 0,
        BlockType.PRINTER_METADATA: 1,
        BlockType.FILE_METADATA: 2,
        BlockType.SLICER_METADATA: 3,
    }
    for block in sorted(blocks, key=lambda b: order.get(b.type, 9)):
        if block.type == BlockType.THUMBNAIL:
            if block.data is None or len(block.params) < 6:
                continue
            image_format, width, height = struct.unpack("<HHH", block.params)
            if image_format not in _THUMBNAIL_FORMATS or (data := _decompress(block)) is None:
                continue
            thumbnails.append(
                Thumbnail(
                    data=data,
                    format=_THUMBNAIL_FORMATS[image_format],
                    width=width,
                    height=height,
                )
            )
            continue
        if block.type not in order:
            continue
        text = _decompress(block)
        if text is None:
            continue
        ini = parse_ini(text.decode("utf-8", "replace"))
        if block.type == BlockType.FILE_METADATA:
            producer = ini.get("Producer") or producer
        for key, value in ini.items():
            values.setdefault(key, value)
    metadata = metadata_from_values(values)
    return replace(metadata, slicer=producer, thumbnail=best_thumbnail(thumbnails))


def parse_bgcode_file(path: Path) -> FileMetadata:
    """Parse a ``.bgcode`` file on disk (blocking)."""
    with path.open("rb") as file:
        return parse_bgcode_stream(file)


def parse_bgcode_bytes(data: bytes) -> FileMetadata:
    """Parse binary G-code in memory."""
    return parse_bgcode_stream(io.BytesIO(data))
