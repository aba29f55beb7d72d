"""Decode QOI pictures (PrusaSlicer's thumbnail format) and re-encode them as PNG.

Browsers cannot show QOI, so thumbnails in that format are converted before Home Assistant serves
them. The format is small (https://qoiformat.org/qoi-specification.pdf): a 14-byte header, a
stream of 1-5 byte chunks, an 8-byte end marker.
"""

from __future__ import annotations

import struct
from typing import Final
import zlib

QOI_MAGIC: Final = b"qoif"
_END: Final = b"\x00\x00\x00\x00\x00\x00\x00\x01"
# Thumbnails are small; anything bigger is not a slicer thumbnail (and would be slow here).
MAX_PIXELS: Final = 4096 * 4096

_OP_RGB: Final = 0xFE
_OP_RGBA: Final = 0xFF
_TAG_INDEX: Final = 0x00
_TAG_DIFF: Final = 0x40
_TAG_LUMA: Final = 0x80
_TAG_RUN: Final = 0xC0
_MASK: Final = 0xC0


class QoiError(ValueError):
    """The data is not a valid QOI picture."""


def qoi_size(data: bytes) -> tuple[int, int]:
    """Return ``(width, height)`` from a QOI header."""
    if len(data) < 14 or data[:4] != QOI_MAGIC:
        raise QoiError("not a QOI picture")
    width, height = struct.unpack_from(">II", data, 4)
    return width, height


def decode_qoi(data: bytes) -> tuple[int, int, bytes]:
    """Return ``(width, height, rgba)`` of a QOI picture."""
    width, height = qoi_size(data)
    channels = data[12]
    if channels not in (3, 4) or width == 0 or height == 0:
        raise QoiError(f"bad QOI header: {width}x{height}, {channels} channels")
    if width * height > MAX_PIXELS:
        raise QoiError(f"QOI picture too large: {width}x{height}")
    total = width * height
    out = bytearray(total * 4)
    index = [(0, 0, 0, 0)] * 64
    r, g, b, a = 0, 0, 0, 255
    pos = 14
    end = len(data) - len(_END)
    pixel = 0
    run = 0
    while pixel < total:
        if run:
            run -= 1
        elif pos < end:
            byte = data[pos]
            pos += 1
            if byte == _OP_RGB:
                r, g, b = data[pos], data[pos + 1], data[pos + 2]
                pos += 3
            elif byte == _OP_RGBA:
                r, g, b, a = data[pos], data[pos + 1], data[pos + 2], data[pos + 3]
                pos += 4
            else:
                tag = byte & _MASK
                if tag == _TAG_INDEX:
                    r, g, b, a = index[byte]
                elif tag == _TAG_DIFF:
                    r = (r + ((byte >> 4) & 3) - 2) & 0xFF
                    g = (g + ((byte >> 2) & 3) - 2) & 0xFF
                    b = (b + (byte & 3) - 2) & 0xFF
                elif tag == _TAG_LUMA:
                    second = data[pos]
                    pos += 1
                    dg = (byte & 0x3F) - 32
                    r = (r + dg - 8 + ((second >> 4) & 0x0F)) & 0xFF
                    g = (g + dg) & 0xFF
                    b = (b + dg - 8 + (second & 0x0F)) & 0xFF
                else:  # _TAG_RUN
                    run = byte & 0x3F
            index[(r * 3 + g * 5 + b * 7 + a * 11) % 64] = (r, g, b, a)
        else:
            raise QoiError("QOI data ends before the last pixel")
        out[pixel * 4 : pixel * 4 + 4] = bytes((r, g, b, a))
        pixel += 1
    return width, height, bytes(out)


def encode_png(width: int, height: int, rgba: bytes) -> bytes:
    """Return an RGBA PNG of the pixels (no filtering, zlib level 6)."""
    if len(rgba) != width * height * 4:
        raise ValueError("pixel data does not match the size")

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    stride = width * 4
    raw = b"".join(b"\x00" + rgba[y * stride : (y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def qoi_to_png(data: bytes) -> bytes:
    """Convert a QOI picture to PNG."""
    width, height, rgba = decode_qoi(data)
    return encode_png(width, height, rgba)
