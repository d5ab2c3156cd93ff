"""Injection-moulded plastic: a solid colour with a fine spark-eroded (EDM) matte texture."""

from __future__ import annotations

import numpy as np

from synth.imaging.noise import Rows, smooth_noise_rows
from synth.imaging.textures.base import (
    Texture,
    detail_cell,
    grain_rows,
    palette,
    tinted,
    zoom,
)
from synth.registry import TEXTURES

# Resins of housings and covers.
_RESINS = palette(
    """
    0.09 0.09 0.1  black
    0.3 0.31 0.32  dark grey
    0.62 0.63 0.63  light grey
    0.86 0.85 0.82  off-white
    0.78 0.72 0.6  beige
    0.12 0.3 0.6  signal blue
"""
)


def _stipple(height: int, width: int, rng: np.random.Generator) -> Rows:
    """The spark-eroded stipple, band by band: grain of variance 1/4, about 0 to 2 px across."""
    grain = grain_rows((height, width), rng)
    if detail_cell((height, width)) > 1:
        # A closer look: the grain's cells span pixels, smooth between them.
        def cells(top: int, bottom: int) -> np.ndarray:
            return grain(top, bottom) * np.float32(0.5)

        return cells

    def rows(top: int, bottom: int) -> np.ndarray:
        # Each pixel's mean with the one above, the one left and the one up-left, the first
        # row and column repeated (ndimage.uniform_filter(grain, 2) in float32): sums of
        # shifted views, where the filter takes two passes in doubles.
        block = grain(max(top - 1, 0), bottom)
        if top == 0:
            block = np.concatenate([block[:1], block])
        pairs = block[1:] + block[:-1]
        out = np.empty_like(pairs)
        np.add(pairs[:, 1:], pairs[:, :-1], out=out[:, 1:])
        np.add(pairs[:, 0], pairs[:, 0], out=out[:, 0])
        out *= np.float32(0.25)
        return out

    return rows


def plastic(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Moulded plastic (black, greys, off-white, beige, blue): a fine matte stipple, flow marks."""
    stipple = _stipple(height, width, rng)
    flow = smooth_noise_rows((height, width), max(height, width) / 4, rng)
    base = _RESINS[rng.integers(len(_RESINS))] * rng.uniform(0.92, 1.08)
    softer = zoom((height, width))  # per pixel, when closer
    stipples = 0.025 / softer
    # Sparkle: the stipple's peaks catch the light, visible on a dark resin too. float32,
    # as the rest (a float64 glint made every band float64).
    sparkle = np.float32(0.012 / softer / base.mean())

    def gray(top: int, bottom: int) -> np.ndarray:
        rows = stipple(top, bottom)
        glint = np.multiply(rows > 0.4, sparkle, dtype=np.float32)
        return 1.0 + stipples * rows + 0.03 * flow(top, bottom) + glint

    return tinted(height, width, gray, base)


TEXTURES.add(Texture("plastic", plastic))
