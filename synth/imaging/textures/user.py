"""A user's own base images (`--base-dir`): checked up front, cropped at render time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from synth.errors import InputError


def check_image(path: Path) -> None:
    """Raise InputError naming the file unless Pillow can read its header."""
    try:
        with Image.open(path) as picture:
            picture.verify()
    except Image.DecompressionBombError as exc:  # a header declaring a huge image
        raise InputError(f"{path}: too large to use as a base image ({exc})") from None
    except (OSError, UnidentifiedImageError, SyntaxError) as exc:
        raise InputError(f"{path}: not an image Pillow can read ({exc})") from None


def load_base(path: Path, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A user's own image as a random crop, resized to (height, width, 3) float32 in [0, 1]."""
    try:
        with Image.open(path) as picture:
            rgb = picture.convert("RGB")
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise InputError(f"{path}: not an image Pillow can read ({exc})") from None
    scale = max(height / rgb.height, width / rgb.width) * rng.uniform(1.0, 1.25)
    resized = rgb.resize(
        (max(width, round(rgb.width * scale)), max(height, round(rgb.height * scale)))
    )
    top = int(rng.integers(resized.height - height + 1))
    left = int(rng.integers(resized.width - width + 1))
    crop = np.asarray(resized, np.float32)[top : top + height, left : left + width] / 255.0
    return np.ascontiguousarray(crop)
