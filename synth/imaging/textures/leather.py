"""Leather: a pebbled grain of small rounded cells between creases."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from synth.imaging.noise import smooth_noise_rows
from synth.imaging.textures.base import Texture, tinted, zoom
from synth.registry import TEXTURES

# Black, dark brown, tan, oxblood.
_DYES = np.array(
    [[0.16, 0.15, 0.15], [0.36, 0.22, 0.14], [0.62, 0.42, 0.25], [0.42, 0.13, 0.12]], np.float32
)


def leather(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Grained leather (black, brown, tan, oxblood): pebbled cells, creases, a soft sheen."""
    scale = zoom((height, width))
    cell = float(rng.choice([2.5, 3.0, 3.5, 4.0]))  # few scales: smooth_noise caches each
    # Closer, the pebbles grow faster than the image (scale**1.75: 11x at 4096 px) and
    # their creases soften (by the square root of the scale): sharp creases a few pixels
    # apart cost 9-13 MB a 4096 px PNG, over the service's 8 MB. Up to DETAIL_SIDE, x 1.
    pebbles = smooth_noise_rows((height, width), cell * scale**1.75, rng)
    crease = 0.22 / scale**0.5
    folds = smooth_noise_rows((height, width), 25.0 * scale, rng)
    sheen = smooth_noise_rows((height, width), max(height, width) / 2, rng)
    dye = _DYES[rng.integers(len(_DYES))] * rng.uniform(0.85, 1.15)

    def gray(top: int, bottom: int) -> np.ndarray:
        # The vertical gradient reaches a row either side: computed with those rows.
        above, below = max(top - 1, 0), min(bottom + 1, height)
        around = pebbles(above, below)
        lit = ndimage.sobel(around, axis=0)[top - above : bottom - above] * 0.03
        cells = around[top - above : bottom - above]
        # Cells: the noise's zero lines are thin dark creases between rounded pebbles.
        creases = np.sqrt(np.clip(np.abs(cells) * 4, 0.0, 1.0))
        return 0.8 + crease * creases - lit + 0.05 * folds(top, bottom) + 0.08 * sheen(top, bottom)

    return tinted(height, width, gray, dye)


TEXTURES.add(Texture("leather", leather))
