"""Painted sheet: a flat coat with a slow shading and a fine orange-peel."""

from __future__ import annotations

import numpy as np

from synth.imaging.noise import smooth_noise
from synth.imaging.textures.base import tint


def painted(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Painted sheet metal in any color: slow shading and a fine orange-peel."""
    hue_color = rng.uniform(0.15, 0.85, 3).astype(np.float32)
    shading = 0.05 * smooth_noise((height, width), max(height, width) / 3, rng)
    peel = 0.012 * smooth_noise((height, width), 3.0, rng)
    gray = 1.0 + shading + peel
    return tint(gray, hue_color)
