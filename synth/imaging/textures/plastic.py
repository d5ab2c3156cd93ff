"""Injection-moulded plastic: a solid colour with a fine spark-eroded (EDM) matte texture."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from synth.imaging.noise import Rows, smooth_noise_rows
from synth.imaging.textures.base import (
    Texture,
    bands,
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
    """The spark-eroded stipple, band by band."""
    if detail_cell((height, width)) == 1:
        normal = np.empty((height, width), np.float32)
        for top, bottom in bands(height, width):  # the same numbers as one draw, half the memory
            normal[top:bottom] = rng.standard_normal((bottom - top, width))
        plane = ndimage.uniform_filter(normal, 2)
        del normal

        def rows(top: int, bottom: int) -> np.ndarray:
            return plane[top:bottom]

        return rows
    # A closer look: the stipple's cells span pixels, smooth between them; made in bands
    # (no 64 MiB plane at 4096 px).
    grain = grain_rows((height, width), rng)

    def cells(top: int, bottom: int) -> np.ndarray:
        return grain(top, bottom) * np.float32(0.5)

    return cells


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
