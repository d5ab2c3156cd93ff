"""Smooth noise: random values on a coarse grid, upsampled, cheaper than blurring at full size."""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def smooth_noise(shape: tuple[int, int], scale: float, rng: np.random.Generator) -> np.ndarray:
    """float32 noise in about [-1, 1] with features about `scale` pixels across."""
    coarse = (max(2, int(shape[0] / scale) + 2), max(2, int(shape[1] / scale) + 2))
    noise = rng.uniform(-1.0, 1.0, coarse).astype(np.float32)
    zoom = ((shape[0] + 1) / (coarse[0] - 1), (shape[1] + 1) / (coarse[1] - 1))
    return ndimage.zoom(noise, zoom, order=3, grid_mode=False)[: shape[0], : shape[1]]
