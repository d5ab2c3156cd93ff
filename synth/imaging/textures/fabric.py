"""Textiles: a plain weave."""

from __future__ import annotations

import numpy as np

from synth.imaging.noise import smooth_noise
from synth.imaging.textures.base import grain, tint


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
