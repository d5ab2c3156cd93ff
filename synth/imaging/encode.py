"""Encoding arrays as image files, with fixed settings so the same array gives the same bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg"}
DEFAULT_COMPRESS_LEVEL = 6
JPEG_QUALITY = 92


def encode_image(
    image: np.ndarray, fmt: str, compress_level: int = DEFAULT_COMPRESS_LEVEL
) -> bytes:
    buffer = io.BytesIO()
    picture = Image.fromarray(image, "RGB")
    if fmt == "png":
        picture.save(buffer, "PNG", compress_level=compress_level)
    else:
        picture.save(buffer, "JPEG", quality=JPEG_QUALITY, subsampling=0)
    return buffer.getvalue()


def encode_mask(
    labels: np.ndarray, palette: Sequence[str], compress_level: int = DEFAULT_COMPRESS_LEVEL
) -> bytes:
    """A palette PNG whose palette is exactly the color map: every pixel is one of its colors."""
    picture = Image.fromarray(labels, "P")
    picture.putpalette(b"".join(bytes.fromhex(color[1:]) for color in palette))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", compress_level=compress_level)
    return buffer.getvalue()


def mask_to_rgb(labels: np.ndarray, palette: Sequence[str]) -> np.ndarray:
    colors = np.array([list(bytes.fromhex(color[1:])) for color in palette], np.uint8)
    return colors[labels]
