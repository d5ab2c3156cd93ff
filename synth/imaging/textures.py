"""Base images: the surfaces defects are painted on.

Procedural textures are drawn from noise blurred at low resolution and upsampled
(a large blur at full size would cost more than the PNG encode); photo textures are
the ones scikit-image ships in its wheel, so nothing is downloaded at run time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy import ndimage

from synth.errors import InputError
from synth.imaging.noise import smooth_noise
from synth.registry import Registry

Texture = Callable[[int, int, np.random.Generator], np.ndarray]


def _tint(gray: np.ndarray, color: np.ndarray) -> np.ndarray:
    return np.clip(gray[..., None] * color[None, None, :], 0.0, 1.0).astype(np.float32)


def _brushed_metal(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    # Streaks: noise stretched along the brushing direction, then a soft sheen across it.
    streak_len = max(8, width // 6)
    rows = rng.standard_normal((height, width // streak_len + 2)).astype(np.float32)
    streaks = ndimage.zoom(rows, (1, width / (rows.shape[1] - 1)), order=1)[:, :width]
    fine = rng.standard_normal((height, width)).astype(np.float32)
    fine = ndimage.uniform_filter1d(fine, size=9, axis=1)
    sheen = np.linspace(-1.0, 1.0, height, dtype=np.float32)[:, None] * rng.uniform(-0.08, 0.08)
    sheen = sheen + 0.06 * smooth_noise((height, width), max(height, width) / 2, rng)
    gray = rng.uniform(0.55, 0.75) + 0.035 * streaks + 0.04 * fine + sheen
    color = np.array([1.0, 1.0, 1.0], np.float32) + rng.uniform(-0.04, 0.04, 3).astype(np.float32)
    image = _tint(gray, color)
    return np.ascontiguousarray(image[:, ::-1] if rng.random() < 0.5 else image)


def _painted(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    hue_color = rng.uniform(0.15, 0.85, 3).astype(np.float32)
    shading = 0.05 * smooth_noise((height, width), max(height, width) / 3, rng)
    peel = 0.012 * smooth_noise((height, width), 3.0, rng)
    gray = 1.0 + shading + peel
    return _tint(gray, hue_color)


def _fabric(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    period = rng.uniform(3.0, 6.0)
    y, x = np.ogrid[:height, :width]
    warp = np.sin(2 * np.pi * x / period).astype(np.float32)
    weft = np.sin(2 * np.pi * y / period).astype(np.float32)
    weave = 0.5 + 0.25 * warp * np.sign(weft) + 0.1 * weft
    slub = 0.08 * smooth_noise((height, width), 12.0, rng)
    grain = 0.05 * rng.standard_normal((height, width)).astype(np.float32)
    color = rng.uniform(0.2, 0.8, 3).astype(np.float32)
    return _tint(0.75 + 0.35 * (weave - 0.5) + slub + grain, color * 1.15)


@functools.cache
def _photo(name: str) -> np.ndarray:
    import skimage.data

    return getattr(skimage.data, name)().astype(np.float32) / 255.0


def _photo_texture(name: str) -> Texture:
    def texture(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        photo = np.rot90(_photo(name), int(rng.integers(4)))
        if rng.random() < 0.5:
            photo = photo[:, ::-1]
        side = int(min(photo.shape) * rng.uniform(0.5, 1.0))
        top = int(rng.integers(photo.shape[0] - side + 1))
        left = int(rng.integers(photo.shape[1] - side + 1))
        crop = photo[top : top + side, left : left + side]
        gray = ndimage.zoom(crop, (height / side, width / side), order=1)[:height, :width]
        color = rng.uniform(0.75, 1.15, 3).astype(np.float32)
        return _tint(gray, color)

    return texture


_BUILT_IN: dict[str, Texture] = {
    "brushed-metal": _brushed_metal,
    "painted": _painted,
    "fabric": _fabric,
    "brick": _photo_texture("brick"),
    "gravel": _photo_texture("gravel"),
    "grass": _photo_texture("grass"),
}
TEXTURES: Registry[Texture] = Registry("synth.textures", "texture")
for _name, _texture in _BUILT_IN.items():
    TEXTURES.register(_name, _texture)
BASE_TEXTURES: tuple[str, ...] = tuple(_BUILT_IN)  # a preset's default: synth's own textures


def render_base(texture: str, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """float32 array (height, width, 3) in [0, 1]."""
    return TEXTURES.get_entry(texture)(height, width, rng)


def check_image(path: Path) -> None:
    """Raise InputError naming the file unless Pillow can read its header."""
    try:
        with Image.open(path) as picture:
            picture.verify()
    except (OSError, UnidentifiedImageError, SyntaxError) as exc:
        raise InputError(f"{path}: not an image Pillow can read ({exc})") from None


def load_base(path: Path, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A user's own image as a random crop, resized to (height, width, 3) float32 in [0, 1]."""
    try:
        with Image.open(path) as picture:
            rgb = picture.convert("RGB")
    except (OSError, UnidentifiedImageError) as exc:
        raise InputError(f"{path}: not an image Pillow can read ({exc})") from None
    scale = max(height / rgb.height, width / rgb.width) * rng.uniform(1.0, 1.25)
    resized = rgb.resize(
        (max(width, round(rgb.width * scale)), max(height, round(rgb.height * scale)))
    )
    top = int(rng.integers(resized.height - height + 1))
    left = int(rng.integers(resized.width - width + 1))
    crop = np.asarray(resized, np.float32)[top : top + height, left : left + width] / 255.0
    return np.ascontiguousarray(crop)
