"""Leather: a pebbled grain of small rounded cells between creases."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from synth.imaging.noise import smooth_noise
from synth.imaging.textures.base import tint

# Black, dark brown, tan, oxblood.
_DYES = np.array(
    [[0.16, 0.15, 0.15], [0.36, 0.22, 0.14], [0.62, 0.42, 0.25], [0.42, 0.13, 0.12]], np.float32
)


def leather(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Grained leather (black, brown, tan, oxblood): pebbled cells, creases, a soft sheen."""
    cell = float(rng.choice([2.5, 3.0, 3.5, 4.0]))  # few scales: smooth_noise caches each
    pebbles = smooth_noise((height, width), cell, rng)
    # Cells: the noise's zero lines are thin dark creases between rounded pebbles.
    creases = np.sqrt(np.clip(np.abs(pebbles) * 4, 0.0, 1.0))
    lit = ndimage.sobel(pebbles, axis=0) * 0.03
    folds = 0.05 * smooth_noise((height, width), 25.0, rng)
    sheen = 0.08 * smooth_noise((height, width), max(height, width) / 2, rng)
    gray = 0.8 + 0.22 * creases - lit + folds + sheen
    return tint(gray, _DYES[rng.integers(len(_DYES))] * rng.uniform(0.85, 1.15))
