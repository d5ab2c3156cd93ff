"""Photo textures: the ones scikit-image ships in its wheel, so nothing is downloaded."""

from __future__ import annotations

import functools

import numpy as np

from synth.imaging.noise import linear_zoom_matrix, zoom_rows
from synth.imaging.textures.base import Texture, tinted
from synth.registry import TEXTURES


@functools.cache
def _photo(name: str) -> np.ndarray:
    import skimage.data

    return getattr(skimage.data, name)().astype(np.float32) / 255.0


def photo_texture(name: str, doc: str) -> Texture:
    """A random crop of scikit-image's `name` photo: rotated, mirrored, rescaled and tinted."""

    def texture(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        photo = np.rot90(_photo(name), int(rng.integers(4)))
        if rng.random() < 0.5:
            photo = photo[:, ::-1]
        side = int(min(photo.shape) * rng.uniform(0.5, 1.0))
        top = int(rng.integers(photo.shape[0] - side + 1))
        left = int(rng.integers(photo.shape[1] - side + 1))
        crop = photo[top : top + side, left : left + side]
        gray = zoom_rows(crop, linear_zoom_matrix(height, side), linear_zoom_matrix(width, side))
        return tinted(height, width, gray, rng.uniform(0.75, 1.15, 3).astype(np.float32))

    return Texture(name, texture, doc)


TEXTURES.add(
    photo_texture("brick", "Brick wall (scikit-image photo), tinted."),
    photo_texture("gravel", "Gravel (scikit-image photo): optional, not a part."),
    photo_texture("grass", "Grass (scikit-image photo): optional, not a part."),
)
