"""Textiles: a plain weave and a loop-pile carpet."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from synth.imaging.noise import smooth_noise
from synth.imaging.textures.base import grain, palette, tint


def fabric(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Plain-woven cloth: crossing warp and weft threads with slubs."""
    period = rng.uniform(3.0, 6.0)
    y, x = np.ogrid[:height, :width]
    warp = np.sin(2 * np.pi * x / period).astype(np.float32)
    weft = np.sin(2 * np.pi * y / period).astype(np.float32)
    weave = 0.5 + 0.25 * warp * np.sign(weft) + 0.1 * weft
    slub = 0.08 * smooth_noise((height, width), 12.0, rng)
    fine = 0.05 * grain((height, width), rng)
    color = rng.uniform(0.2, 0.8, 3).astype(np.float32)
    return tint(0.75 + 0.35 * (weave - 0.5) + slub + fine, color * 1.15)


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
    pitch = rng.uniform(3.0, 5.0)
    y = np.arange(height, dtype=np.float32)[:, None]
    x = np.arange(width, dtype=np.float32)[None, :]
    loops = np.sin(2 * np.pi * y / pitch) * np.sin(2 * np.pi * x / (pitch * 0.8))
    tufts = ndimage.uniform_filter(grain((height, width), rng), 3)
    mottle = 0.06 * smooth_noise((height, width), 20.0, rng)
    gray = 0.9 + 0.08 * loops + 0.25 * tufts + mottle
    # A second yarn, a shade lighter, shows as flecks among the tufts.
    gray *= 1 + 0.25 * (tufts > 0.7)
    return tint(gray, _CARPETS[rng.integers(len(_CARPETS))] * rng.uniform(0.9, 1.1))
