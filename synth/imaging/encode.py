"""Encoding arrays as image files, with fixed settings so the same array gives the same bytes.

PNGs are written here rather than by Pillow: each image's rows under one of PNG's cheap
filters (None, Sub or Up: one numpy subtraction at most), the one that deflates a sample
of its rows smallest, then deflated by libdeflate (the `deflate` package, pinned, so the
bytes are fixed for a synth version). No one filter suits every surface: unfiltered rows
are smallest for grainy ones (Sub doubles the noise it subtracts), Sub for smooth shading
along the rows, Up for rows that repeat; choosing per image made synth's files 10% smaller
than Sub alone at the same level. The choice deflates its 16 sample rows three times at
level 1 whatever the image's height: 7% of a 512 px image's encode, 1.7% at 2048 px
(synth's mixed preset), and the choice included, synth's encoder costs 0.89-1.01x
libdeflate under Sub alone at the same level (bench/bench_generate.py: a grainy image's
unfiltered rows deflate faster than under Sub). At level 2 they are smaller
than Pillow's at level 6 at about a tenth of its CPU (bench/bench_generate.py measures it;
docs/bench.md has the figures), on all built-in presets but dents at 512 px (0.84-0.97x
the bytes, images and masks; dents, brushed metal and painted only, 1.01x). zlib-ng and
ISA-L were faster but wrote larger files, libpng, libspng and libvips were slower; Paeth
and Average cost more in numpy than they saved, and choosing a filter per row cost
several times more for barely smaller files.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence

import deflate
import numpy as np
from PIL import Image

from synth.errors import OutputError
from synth.format import MAX_IMAGE_BYTES

CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg"}
DEFAULT_COMPRESS_LEVEL = 2
MAX_COMPRESS_LEVEL = 12  # libdeflate's levels: 0 stores, 1 is fastest, 12 smallest
JPEG_QUALITY = 92

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_GRAY, _RGB, _PALETTE = 0, 2, 3  # PNG color types
_FILTER_NONE, _FILTER_SUB, _FILTER_UP = 0, 1, 2


def _chunk(tag: bytes, data: bytes | bytearray) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(tag))
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)


def _png(rows: np.ndarray, width: int, color_type: int, level: int, *extra: bytes) -> bytes:
    """A PNG of filtered rows (height, 1 + row bytes) uint8: each row its filter byte first."""
    header = struct.pack(">IIBBBBB", width, rows.shape[0], 8, color_type, 0, 0, 0)
    return b"".join(
        (
            _SIGNATURE,
            _chunk(b"IHDR", header),
            *extra,
            _chunk(b"IDAT", deflate.zlib_compress(rows, level)),
            _chunk(b"IEND", b""),
        )
    )


def filtered(image: np.ndarray, kind: int, top: int = 0, bottom: int | None = None) -> np.ndarray:
    """Rows [top, bottom) of an (H, W, C) uint8 image under PNG filter `kind` (None, Sub or
    Up), filter byte first: (rows, 1 + W * C) uint8. Up reads the row above `top`."""
    height, width, channels = image.shape
    flat = image.reshape(height, width * channels)
    part = flat[top:bottom]
    rows = np.empty((part.shape[0], width * channels + 1), np.uint8)
    rows[:, 0] = kind
    if kind == _FILTER_SUB:
        rows[:, 1 : channels + 1] = part[:, :channels]
        np.subtract(part[:, channels:], part[:, :-channels], out=rows[:, channels + 1 :])
    elif kind == _FILTER_UP and top > 0:
        np.subtract(part, flat[top - 1 : top - 1 + part.shape[0]], out=rows[:, 1:])
    elif kind == _FILTER_UP and part.shape[0]:  # the first row's row above is zeros
        rows[0, 1:] = part[0]
        np.subtract(part[1:], part[:-1], out=rows[1:, 1:])
    else:
        rows[:, 1:] = part
    return rows


# The sample a filter is chosen on: SAMPLE_BANDS bands of SAMPLE_ROWS rows, spread evenly
# down the image (the whole image if it has no more rows), deflated at level 1.
SAMPLE_BANDS, SAMPLE_ROWS = 2, 8


def png_filter(image: np.ndarray) -> int:
    """The filter (None, Sub or Up) under which a sample of the image's rows deflates
    smallest, the first of them on a tie: within 1% of the best filter per image on
    synth's images, for about a tenth of the cost of deflating the image once."""
    height = image.shape[0]
    if height <= SAMPLE_BANDS * SAMPLE_ROWS:
        tops, rows = [0], height
    else:
        step = (height - SAMPLE_ROWS) / (SAMPLE_BANDS + 1)
        tops, rows = [round(step * (band + 1)) for band in range(SAMPLE_BANDS)], SAMPLE_ROWS
    sizes = {
        kind: sum(
            len(deflate.zlib_compress(filtered(image, kind, top, top + rows), 1)) for top in tops
        )
        for kind in (_FILTER_NONE, _FILTER_SUB, _FILTER_UP)
    }
    return min(sizes, key=lambda kind: (sizes[kind], kind))


def encode_png(image: np.ndarray, level: int = DEFAULT_COMPRESS_LEVEL) -> bytes:
    """An 8-bit RGB PNG of an (H, W, 3) uint8 array."""
    image = np.ascontiguousarray(image, np.uint8)
    return _png(filtered(image, png_filter(image)), image.shape[1], _RGB, level)


def encode_image(
    image: np.ndarray, fmt: str, compress_level: int = DEFAULT_COMPRESS_LEVEL
) -> bytes:
    if fmt == "png":
        return encode_png(image, compress_level)
    buffer = io.BytesIO()
    Image.fromarray(image, "RGB").save(buffer, "JPEG", quality=JPEG_QUALITY, subsampling=0)
    return buffer.getvalue()


# The levels an image over the size limit climbs, one rung at a time, until it fits: each
# rung costs a deflate of the image, and the top ones many times the default's (at
# 4096 px about 0.4 CPU s at level 2, 0.7 s at 4, 2.6 s at 7, 12 s at 9, 30 s at 12).
LADDER = (4, 6, 8, 10, MAX_COMPRESS_LEVEL)


def encode_valid_image(
    image: np.ndarray, fmt: str, compress_level: int = DEFAULT_COMPRESS_LEVEL
) -> bytes:
    """encode_image, within the service's file-size limit: a PNG over it at
    `compress_level` climbs the LADDER of levels only as far as it must (its filter chosen
    and its rows filtered once), and one over it even at the top is an OutputError naming
    the limit (synth never writes a "valid" image the service refuses)."""
    if fmt == "png":
        image = np.ascontiguousarray(image, np.uint8)
        rows = filtered(image, png_filter(image))
        for level in (compress_level, *(rung for rung in LADDER if rung > compress_level)):
            data = _png(rows, image.shape[1], _RGB, level)
            if len(data) <= MAX_IMAGE_BYTES:
                return data
    else:
        data = encode_image(image, fmt, compress_level)
    if len(data) > MAX_IMAGE_BYTES:
        height, width = image.shape[:2]
        raise OutputError(
            f"a {width}x{height} {fmt} image would be {len(data):,} bytes, over the "
            f"{MAX_IMAGE_BYTES:,}-byte limit of Lookout for Vision: use a smaller size, "
            "format jpeg, or textures with less fine detail"
        )
    return data


def encode_mask(
    labels: np.ndarray, palette: Sequence[str], compress_level: int = DEFAULT_COMPRESS_LEVEL
) -> bytes:
    """An 8-bit palette PNG: index i is color-map entry i, every pixel one of its colors.

    The palette is padded with white to 256 entries, as Ground Truth writes it: old
    readers (imageio 2.9 with recent Pillow) crash on a shorter one. Rows are unfiltered,
    as the PNG specification advises for palette images: the long runs of one index
    deflate well as they are.
    """
    labels = np.ascontiguousarray(labels, np.uint8)
    rows = np.empty((labels.shape[0], labels.shape[1] + 1), np.uint8)
    rows[:, 0] = _FILTER_NONE
    rows[:, 1:] = labels
    colors = b"".join(bytes.fromhex(color[1:]) for color in palette)
    colors += b"\xff" * (3 * 256 - len(colors))
    return _png(rows, labels.shape[1], _PALETTE, compress_level, _chunk(b"PLTE", colors))


def encode_gray(image: np.ndarray, compress_level: int = DEFAULT_COMPRESS_LEVEL) -> bytes:
    """An 8-bit grayscale PNG of an (H, W) uint8 array (MVTec AD's 0/255 masks): unfiltered,
    like the palette masks, for the same long runs."""
    image = np.ascontiguousarray(image, np.uint8)
    rows = np.empty((image.shape[0], image.shape[1] + 1), np.uint8)
    rows[:, 0] = _FILTER_NONE
    rows[:, 1:] = image
    return _png(rows, image.shape[1], _GRAY, compress_level)


def mask_to_rgb(labels: np.ndarray, palette: Sequence[str]) -> np.ndarray:
    colors = np.array([list(bytes.fromhex(color[1:])) for color in palette], np.uint8)
    return colors[labels]
