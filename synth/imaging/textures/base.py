"""What procedural textures share: the callable's shape and tinting a gray field."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from synth.imaging.noise import linear_zoom_matrix, zoom2d

# (height, width, rng) -> float32 (height, width, 3) in [0, 1]. The docstring's first
# line is the texture's description in `synth textures` and the README.
Texture = Callable[[int, int, np.random.Generator], np.ndarray]
_UNIT = np.float32(np.sqrt(12.0))  # uniform [0, 1) noise times this has variance 1


# The finest detail is one pixel up to this side; a larger image has it in cells of
# `detail_cell` pixels, as a closer look at the same part would. Per-pixel noise does not
# compress: at 4096x4096 it made PNGs of 15-28 MB, over the 8 MB the service takes.
DETAIL_SIDE = 1024


def detail_cell(shape: tuple[int, int]) -> int:
    """The side in pixels of the finest detail of an image of this shape."""
    return -(-max(shape) // DETAIL_SIDE)


def grain(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """float32 noise of mean 0 and variance about 1, uniform (cheaper to draw than normal),
    one value per pixel up to DETAIL_SIDE and linearly interpolated cells beyond."""
    cell = detail_cell(shape)
    coarse = (-(-shape[0] // cell), -(-shape[1] // cell))
    noise = rng.random(coarse, np.float32)
    noise -= 0.5
    noise *= _UNIT
    if cell == 1:
        return noise
    rows, columns = (linear_zoom_matrix(n, c) for n, c in zip(shape, coarse, strict=True))
    return zoom2d(noise, rows, columns)


def palette(table: str) -> np.ndarray:
    """float32 (n, 3) colours from lines "r g b  name": a table that reads by colour name."""
    rows = [line.split()[:3] for line in table.strip().splitlines()]
    return np.array([[float(value) for value in row] for row in rows], np.float32)


def tint(gray: np.ndarray, color: np.ndarray) -> np.ndarray:
    """A gray field (about 1 = the color itself) times an RGB color, clipped to [0, 1]."""
    # One channel at a time: numpy broadcasting onto a last axis of 3 is several times slower.
    image = np.empty((*gray.shape, 3), np.float32)
    for channel, weight in enumerate(np.asarray(color, np.float32)):
        np.multiply(gray, weight, out=image[..., channel])
    return np.clip(image, 0.0, 1.0, out=image)
