"""Injection-moulded plastic: a solid colour with a fine spark-eroded (EDM) matte texture."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from synth.imaging.noise import smooth_noise
from synth.imaging.textures.base import palette, tint

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


def plastic(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Moulded plastic (black, greys, off-white, beige, blue): a fine matte stipple, flow marks."""
    stipple = ndimage.uniform_filter(rng.standard_normal((height, width)).astype(np.float32), 2)
    flow = 0.03 * smooth_noise((height, width), max(height, width) / 4, rng)
    gray = 1.0 + 0.025 * stipple + flow
    base = _RESINS[rng.integers(len(_RESINS))] * rng.uniform(0.92, 1.08)
    # Sparkle: the stipple's peaks catch the light, visible on a dark resin too.
    return tint(gray + 0.012 * (stipple > 0.4) / base.mean(), base)
