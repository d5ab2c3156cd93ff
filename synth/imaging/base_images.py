"""A user's own base images (`--base-dir`) and their regions of interest: checked up front,
cropped at render time.

A region of interest is a PNG the size of its image, the part where it is light (grey
level 128 or more once read as 8-bit grey), the background where it is dark: defects
are painted inside it only. It is `NAME.roi.png` beside the image `NAME.jpg` (any
suffix), or `NAME.png` / `NAME.roi.png` in a folder of them (`--roi-dir`).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from synth.errors import InputError

# The most pixels a base image may have: 8192x8192. Loaded as RGB floats to be resized,
# a base image costs about 15 bytes a pixel in the worker: 1 GB at this limit.
MAX_BASE_PIXELS = 8192 * 8192


# load_part enlarges a crop by up to this much more than covering the image needs.
MAX_STRETCH = 1.25


def cover_size(image: tuple[int, int], width: int, height: int, scale: float) -> tuple[int, int]:
    """The size (w, h) a base image of size `image` is resized to, by `scale`, to be cropped
    to (height, width): never smaller than the crop."""
    return max(width, round(image[0] * scale)), max(height, round(image[1] * scale))


def check_image(path: Path, cover: tuple[int, int] | None = None) -> None:
    """Raise InputError naming the file unless Pillow can read its header and its size is
    within MAX_BASE_PIXELS (a small file can declare a huge image: a decompression bomb);
    with `cover` (width, height), unless the image resized to cover it stays within the
    limit too (a 4,000,000x1 image would be resized to 256 million pixels a side of 64)."""
    try:
        with warnings.catch_warnings():
            # The limit below is synth's own, and said in one line: no warning from Pillow.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            picture = Image.open(path)
        with picture:
            width, height = picture.size
            if width * height > MAX_BASE_PIXELS:
                raise InputError(
                    f"{path}: too large to use as a base image ({width}x{height} pixels; "
                    f"the limit is {MAX_BASE_PIXELS:,}, 8192x8192)"
                )
            if cover is not None:
                width, height = cover
                scale = max(height / picture.height, width / picture.width) * MAX_STRETCH
                wide, high = cover_size(picture.size, width, height, scale)
                if wide * high > MAX_BASE_PIXELS:
                    raise InputError(
                        f"{path}: {picture.width}x{picture.height} pixels is too far from the "
                        f"images' shape ({width}x{height}): covering them needs it resized to "
                        f"{wide}x{high}, over the limit of {MAX_BASE_PIXELS:,}; crop it nearer"
                    )
            picture.verify()
    except Image.DecompressionBombError as exc:  # a header declaring a huge image
        raise InputError(f"{path}: too large to use as a base image ({exc})") from None
    except (OSError, UnidentifiedImageError, SyntaxError) as exc:
        raise InputError(f"{path}: not an image Pillow can read ({exc})") from None


ROI_SUFFIX = ".roi"  # NAME.roi.png: the region of interest of the base image NAME.*


def roi_of(image: Path, roi_dir: Path | None = None) -> Path | None:
    """The region of interest of a base image, if it has one: NAME.roi.png in `roi_dir`
    (or NAME.png there), else beside the image."""
    stem = image.stem
    candidates = [image.with_name(f"{stem}{ROI_SUFFIX}.png")]
    if roi_dir is not None:
        candidates = [roi_dir / f"{stem}{ROI_SUFFIX}.png", roi_dir / f"{stem}.png"]
    return next((path for path in candidates if path.is_file()), None)


def check_roi(roi: Path, image: Path) -> None:
    """Raise InputError naming the file unless `roi` is a readable mask of its image's
    size with some part in it."""
    check_image(roi)
    with Image.open(image) as picture:
        size = picture.size
    region = _read(roi, "L")
    if region.size != size:
        raise InputError(
            f"{roi}: a region of interest of {region.width}x{region.height} px, but its image "
            f"{image.name} is {size[0]}x{size[1]}"
        )
    if max(region.getextrema()) < _PART:  # type: ignore[operator]
        raise InputError(f"{roi}: no part in this region of interest (no pixel of grey >= 128)")


_PART = 128  # a region of interest's grey level from which a pixel is part


def load_base(path: Path, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A user's own image as a random crop, resized to (height, width, 3) float32 in [0, 1]."""
    return load_part(path, None, height, width, rng)[0]


def load_part(
    path: Path, roi: Path | None, height: int, width: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray | None]:
    """`load_base`, and its region of interest (bool (height, width)) cropped and resized
    with it, or None without one. The same draws either way, so an image's pixels do
    not depend on whether it has a region."""
    rgb = _read(path, "RGB")
    scale = max(height / rgb.height, width / rgb.width) * rng.uniform(1.0, MAX_STRETCH)
    size = cover_size(rgb.size, width, height, scale)
    resized = rgb.resize(size)
    top = int(rng.integers(resized.height - height + 1))
    left = int(rng.integers(resized.width - width + 1))
    crop = np.asarray(resized, np.float32)[top : top + height, left : left + width] / 255.0
    region = None
    if roi is not None:
        grey = np.asarray(_read(roi, "L").resize(size, Image.Resampling.NEAREST))
        region = grey[top : top + height, left : left + width] >= _PART
    return np.ascontiguousarray(crop), region


def _read(path: Path, mode: str) -> Image.Image:
    try:
        with Image.open(path) as picture:
            if picture.mode == "P" and "transparency" in picture.info:
                # Pillow warns on P to RGB or L with transparency; through RGBA it does
                # not, and the colors are the same.
                return picture.convert("RGBA").convert(mode)
            return picture.convert(mode)
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise InputError(f"{path}: not an image Pillow can read ({exc})") from None
