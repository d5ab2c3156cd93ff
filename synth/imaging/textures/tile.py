"""Ceramic tile: glazed squares in a grid, set in grout."""

from __future__ import annotations

import numpy as np

from synth.imaging.noise import smooth_noise_rows
from synth.imaging.textures.base import Texture, bands, grain_rows, zoom
from synth.registry import TEXTURES

# White, cream, pale grey, pale blue-grey, terracotta glazes; grout a mid grey.
_GLAZES = np.array(
    [[0.92, 0.92, 0.9], [0.9, 0.86, 0.76], [0.78, 0.79, 0.8], [0.7, 0.78, 0.82], [0.72, 0.42, 0.3]],
    np.float32,
)
_GROUT = np.array([0.55, 0.54, 0.52], np.float32)


def ceramic_tile(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Glazed ceramic tiles in grout: one glaze with a tone per tile and a soft gloss."""
    scale = zoom((height, width))
    size = rng.uniform(60.0, 160.0) * scale
    joint = rng.uniform(2.0, 4.0) * scale
    y = (np.arange(height, dtype=np.float32) + rng.uniform(0, size))[:, None]
    x = (np.arange(width, dtype=np.float32) + rng.uniform(0, size))[None, :]
    in_y = np.clip(np.minimum(y % size, size - y % size) - joint / 2 + 0.5, 0.0, 1.0)
    in_x = np.clip(np.minimum(x % size, size - x % size) - joint / 2 + 0.5, 0.0, 1.0)
    rows, cols = (y // size).astype(int), (x // size).astype(int)
    tones = rng.uniform(0.95, 1.04, (int(rows.max()) + 1, int(cols.max()) + 1)).astype(np.float32)
    glaze = _GLAZES[rng.integers(len(_GLAZES))]
    gloss = smooth_noise_rows((height, width), max(height, width) / 2, rng)
    speckle = grain_rows((height, width), rng)
    joints = smooth_noise_rows((height, width), 3.0 * scale, rng)
    image = np.empty((height, width, 3), np.float32)
    for top, bottom in bands(height, width):
        on_tile = in_y[top:bottom] * in_x
        tone = tones[rows[top:bottom], cols]
        glazed = (tone + 0.05 * gloss(top, bottom) + 0.006 * speckle(top, bottom)) * on_tile
        grout = (1 + 0.05 * joints(top, bottom)) * (1 - on_tile)
        for channel in range(3):  # one channel at a time: cheaper than broadcasting onto 3
            np.add(
                glaze[channel] * glazed, _GROUT[channel] * grout, out=image[top:bottom, :, channel]
            )
    return np.clip(image, 0.0, 1.0, out=image)


TEXTURES.add(Texture("ceramic-tile", ceramic_tile))
