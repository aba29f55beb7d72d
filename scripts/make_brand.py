"""Draw the integration's brand images (icon and logo) as PNG files, without image libraries.

The picture: a 3D printer frame with a gantry and a nozzle laying the top layer of a part, the
layers alternating in the two vendors' colours. Run it after changing the drawing:
``.venv/bin/python scripts/make_brand.py``.
"""

from __future__ import annotations

from pathlib import Path
import struct
import zlib

BRAND = Path(__file__).resolve().parent.parent / "custom_components" / "printernizer" / "brand"
FRAME = (0x26, 0x32, 0x38, 255)
ACCENT = (0x03, 0xA9, 0xF4, 255)
GREEN = (0x00, 0xAE, 0x42, 255)
ORANGE = (0xFA, 0x68, 0x31, 255)
NOZZLE = (0x90, 0xA4, 0xAE, 255)
Pixel = tuple[int, int, int, int]


def inside_round_rect(x: float, y: float, box: tuple[float, float, float, float], r: float) -> bool:
    """Return whether a point is inside a rounded rectangle (left, top, right, bottom)."""
    left, top, right, bottom = box
    if not (left <= x <= right and top <= y <= bottom):
        return False
    cx = min(max(x, left + r), right - r)
    cy = min(max(y, top + r), bottom - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def draw(size: int) -> list[list[Pixel]]:
    """Render the picture at ``size`` x ``size`` pixels with 4x4 supersampling."""
    s = size / 256
    shapes: list[tuple[Pixel, object]] = []

    def rect(color: Pixel, box: tuple[float, float, float, float], r: float = 0) -> None:
        scaled = (box[0] * s, box[1] * s, box[2] * s, box[3] * s)
        shapes.append((color, lambda x, y: inside_round_rect(x, y, scaled, r * s)))

    def triangle(
        color: Pixel, a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]
    ) -> None:
        pa, pb, pc = ((p[0] * s, p[1] * s) for p in (a, b, c))

        def test(x: float, y: float) -> bool:
            def side(p: tuple[float, float], q: tuple[float, float]) -> float:
                return (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])

            d1, d2, d3 = side(pa, pb), side(pb, pc), side(pc, pa)
            return (d1 >= 0 and d2 >= 0 and d3 >= 0) or (d1 <= 0 and d2 <= 0 and d3 <= 0)

        shapes.append((color, test))

    rect(FRAME, (16, 16, 240, 240), 36)  # body
    rect((0xEC, 0xEF, 0xF1, 255), (40, 40, 216, 206), 18)  # build space
    rect(ACCENT, (40, 62, 216, 74), 4)  # gantry
    rect(NOZZLE, (112, 52, 152, 92), 6)  # tool head
    triangle(NOZZLE, (120, 92), (144, 92), (132, 108))  # nozzle
    for i, color in enumerate((GREEN, ORANGE, GREEN, ORANGE, GREEN)):
        top = 186 - i * 14
        inset = i * 6
        rect(color, (72 + inset, top, 184 - inset, top + 12), 3)  # layers
    rect(FRAME, (40, 198, 216, 212), 4)  # bed

    pixels: list[list[Pixel]] = []
    samples = [(i + 0.5) / 4 for i in range(4)]
    for py in range(size):
        row: list[Pixel] = []
        for px in range(size):
            acc = [0.0, 0.0, 0.0, 0.0]
            for sy in samples:
                for sx in samples:
                    x, y = px + sx, py + sy
                    color: Pixel = (0, 0, 0, 0)
                    for shape_color, test in shapes:
                        if test(x, y):  # type: ignore[operator]
                            color = shape_color
                    alpha = color[3] / 255
                    acc[0] += color[0] * alpha
                    acc[1] += color[1] * alpha
                    acc[2] += color[2] * alpha
                    acc[3] += alpha
            a = acc[3] / 16
            if a == 0:
                row.append((0, 0, 0, 0))
            else:
                row.append(
                    (
                        round(acc[0] / acc[3]),
                        round(acc[1] / acc[3]),
                        round(acc[2] / acc[3]),
                        round(a * 255),
                    )
                )
        pixels.append(row)
    return pixels


def png(pixels: list[list[Pixel]]) -> bytes:
    """Encode RGBA pixels as a PNG file."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(v for p in row for v in p) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    """Write icon.png, icon@2x.png, logo.png and logo@2x.png."""
    BRAND.mkdir(exist_ok=True)
    for name, size in (("icon.png", 256), ("icon@2x.png", 512)):
        data = png(draw(size))
        (BRAND / name).write_bytes(data)
        (BRAND / name.replace("icon", "logo")).write_bytes(data)


if __name__ == "__main__":
    main()
