"""Painted sheet: a flat coat with a slow shading and a fine orange-peel."""

from __future__ import annotations

import numpy as np

from synth.imaging.noise import smooth_noise_rows
from synth.imaging.textures.base import Texture, palette, tinted, zoom
from synth.registry import TEXTURES

# Industrial coatings, after RAL.
_COATINGS = palette(
    """
    0.64 0.13 0.12  signal red
    0.9 0.7 0.05  traffic yellow
    0.1 0.3 0.52  gentian blue
    0.18 0.33 0.2  moss green
    0.78 0.79 0.77  light grey
    0.24 0.26 0.27  anthracite
    0.85 0.38 0.08  pure orange
    0.9 0.9 0.87  signal white
    0.3 0.42 0.36  machine green
"""
)


def painted(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Painted sheet metal in an industrial colour: slow shading and a fine orange-peel."""
    jitter = rng.uniform(0.9, 1.08) * rng.uniform(0.97, 1.03, 3).astype(np.float32)
    hue_color = _COATINGS[rng.integers(len(_COATINGS))] * jitter
    shading = smooth_noise_rows((height, width), max(height, width) / 3, rng)
    peel = smooth_noise_rows((height, width), 3.0 * zoom((height, width)), rng)

    def gray(top: int, bottom: int) -> np.ndarray:
        return 1.0 + 0.05 * shading(top, bottom) + 0.012 * peel(top, bottom)

    return tinted(height, width, gray, hue_color)


TEXTURES.add(Texture("painted", painted))
