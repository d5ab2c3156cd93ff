"""Textiles: a plain weave and a loop-pile carpet."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from synth.imaging.noise import smooth_noise_rows
from synth.imaging.textures.base import Texture, grain_rows, palette, tinted, zoom
from synth.registry import TEXTURES


def fabric(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Plain-woven cloth: crossing warp and weft threads with slubs."""
    scale = zoom((height, width))
    period = rng.uniform(3.0, 6.0) * scale
    y, x = np.ogrid[:height, :width]
    warp = np.sin(2 * np.pi * x / period).astype(np.float32)
    weft = np.sin(2 * np.pi * y / period).astype(np.float32)
    slub = smooth_noise_rows((height, width), 12.0 * scale, rng)
    fine = grain_rows((height, width), rng)
    color = rng.uniform(0.2, 0.8, 3).astype(np.float32)
    grain = 0.05 / scale  # the fine grain: softer per pixel when closer

    def gray(top: int, bottom: int) -> np.ndarray:
        across = weft[top:bottom]
        weave = 0.5 + 0.25 * warp * np.sign(across) + 0.1 * across
        return 0.75 + 0.35 * (weave - 0.5) + 0.08 * slub(top, bottom) + grain * fine(top, bottom)

    return tinted(height, width, gray, color * 1.15)


# Contract carpet colours.
_CARPETS = palette(
    """
    0.42 0.42 0.42  grey
    0.2 0.24 0.36  navy
    0.62 0.56 0.46  beige
    0.42 0.16 0.18  burgundy
    0.32 0.36 0.24  moss
"""
)


def carpet(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Loop-pile carpet (grey, navy, beige, burgundy, moss): tufts, lighter flecks, mottled dye."""
    scale = zoom((height, width))
    pitch = rng.uniform(3.0, 5.0) * scale
    y = np.arange(height, dtype=np.float32)[:, None]
    x = np.arange(width, dtype=np.float32)[None, :]
    down, across = np.sin(2 * np.pi * y / pitch), np.sin(2 * np.pi * x / (pitch * 0.8))
    # Whole, not in bands: a band's 3x3 running mean could round differently at its edges.
    tufts = ndimage.uniform_filter(grain_rows((height, width), rng)(0, height), round(3 * scale))
    mottle = smooth_noise_rows((height, width), 20.0 * scale, rng)
    color = _CARPETS[rng.integers(len(_CARPETS))] * rng.uniform(0.9, 1.1)
    tuft = 0.25 / scale  # the tufts' grain: softer per pixel when closer

    def gray(top: int, bottom: int) -> np.ndarray:
        pile = tufts[top:bottom]
        rows = 0.9 + 0.08 * (down[top:bottom] * across) + tuft * pile + 0.06 * mottle(top, bottom)
        # A second yarn, a shade lighter, shows as flecks among the tufts.
        rows *= 1 + tuft * (pile > 0.7)
        return rows

    return tinted(height, width, gray, color)


TEXTURES.add(Texture("fabric", fabric), Texture("carpet", carpet))
