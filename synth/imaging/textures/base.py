"""What procedural textures share: the entry a texture registers, and tinting a gray field."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from synth.imaging.noise import Rows, linear_zoom_matrix, zoom_rows

# (height, width, rng) -> float32 (height, width, 3) in [0, 1].
Render = Callable[[int, int, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class Texture:
    """A surface defects are painted on, by name: what `TEXTURES` holds.

    `doc` is its one line in `synth textures` and the docs; by default the first line of
    `render`'s docstring. The array `render` returns is synth's: defects are painted over
    it and its memory reused, so a texture keeps no reference to it.
    """

    name: str
    render: Render
    doc: str = ""

    @property
    def description(self) -> str:
        text = (self.doc or self.render.__doc__ or "").strip()
        return text.splitlines()[0] if text else ""

    def __call__(self, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        return self.render(height, width, rng)


_UNIT = np.float32(np.sqrt(12.0))  # uniform [0, 1) noise times this has variance 1


# The finest detail is one pixel up to this side; a larger image has it in cells of
# `detail_cell` pixels, as a closer look at the same part would. Per-pixel noise does not
# compress: at 4096x4096 it made PNGs of 15-28 MB, over the 8 MB the service takes.
DETAIL_SIDE = 1024


def detail_cell(shape: tuple[int, int]) -> int:
    """The side in pixels of the finest detail of an image of this shape."""
    return -(-max(shape) // DETAIL_SIDE)


def zoom(shape: tuple[int, int]) -> float:
    """How many times larger in pixels a texture's features are in an image of this shape:
    1 up to DETAIL_SIDE, then the longer side over it. A larger image is a camera's closer
    look at the same surface, so its threads, tool marks, pores and peel span more pixels
    and each pixel differs less from its neighbours; what compresses, as a photograph
    does. Up to DETAIL_SIDE every length is its own (x 1.0 exactly: the same bytes)."""
    return max(1.0, max(shape) / DETAIL_SIDE)


def grain_rows(shape: tuple[int, int], rng: np.random.Generator) -> Rows:
    """float32 noise of mean 0 and variance about 1, uniform (cheaper to draw than normal),
    one value per pixel up to DETAIL_SIDE and linearly interpolated cells beyond."""
    cell = detail_cell(shape)
    cell = cell if cell == 1 else 2 * cell  # grains of 2 detail cells: compressible at 4096 px
    coarse = (-(-shape[0] // cell), -(-shape[1] // cell))
    noise = rng.random(coarse, np.float32)
    noise -= 0.5
    noise *= _UNIT
    if cell == 1:
        noise.flags.writeable = False  # bands are views of it
        return lambda top, bottom: noise[top:bottom]
    rows, columns = (linear_zoom_matrix(n, c) for n, c in zip(shape, coarse, strict=True))
    return zoom_rows(noise, rows, columns)


def palette(table: str) -> np.ndarray:
    """float32 (n, 3) colours from lines "r g b  name": a table that reads by colour name."""
    rows = [line.split()[:3] for line in table.strip().splitlines()]
    return np.array([[float(value) for value in row] for row in rows], np.float32)


# Pixels per band of rows: a band's planes are 128 KiB each, so a texture's working set stays
# in cache (faster than whole planes: bench/bench_generate.py) and its memory is about the
# image's own (a 4096 px image has 512 bands of 8 rows).
BAND_PIXELS = 1 << 15


def bands(height: int, width: int) -> Iterator[tuple[int, int]]:
    """(top, bottom) of each band of rows, top to bottom."""
    step = max(1, BAND_PIXELS // max(width, 1))
    for top in range(0, height, step):
        yield top, min(height, top + step)


def tint_into(image: np.ndarray, gray: np.ndarray, color: np.ndarray) -> np.ndarray:
    """A gray field (about 1 = the color itself) times an RGB color, clipped to [0, 1],
    written into `image` (rows of the texture's image)."""
    # One channel at a time: numpy broadcasting onto a last axis of 3 is several times slower.
    for channel, weight in enumerate(np.asarray(color, np.float32)):
        np.multiply(gray, weight, out=image[..., channel])
    return np.clip(image, 0.0, 1.0, out=image)


def tinted(height: int, width: int, gray: Rows, color: np.ndarray) -> np.ndarray:
    """The image of a gray field given band by band, tinted: no full-size gray plane."""
    image = np.empty((height, width, 3), np.float32)
    for top, bottom in bands(height, width):
        tint_into(image[top:bottom], gray(top, bottom), color)
    return image
