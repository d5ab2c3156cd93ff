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
    if scale > 1:
        # A whole number of pixels: each row of the weave repeats exactly, so its PNG's
        # deflate finds the previous thread and the image fits the service's 8 MB.
        period = float(round(period))
    y, x = np.ogrid[:height, :width]
    warp = np.sin(2 * np.pi * x / period).astype(np.float32)
    weft = np.sin(2 * np.pi * y / period).astype(np.float32)
    slub = smooth_noise_rows((height, width), 12.0 * scale, rng)
    # Closer, the threads' unevenness and fuzz are spread over more pixels, fainter per
    # pixel; past DETAIL_SIDE the fuzz is below what a pixel shows (it cost 2-4 MB a PNG).
    fine = grain_rows((height, width), rng) if scale == 1 else None
    color = rng.uniform(0.2, 0.8, 3).astype(np.float32)
    uneven = 0.08 / scale

    def gray(top: int, bottom: int) -> np.ndarray:
        across = weft[top:bottom]
        weave = 0.5 + 0.25 * warp * np.sign(across) + 0.1 * across
        rows = 0.75 + 0.35 * (weave - 0.5) + uneven * slub(top, bottom)
        return rows if fine is None else rows + 0.05 * fine(top, bottom)

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
    along = pitch * 0.8
    if scale > 1:  # whole pixels: the rows of loops repeat exactly (see fabric)
        pitch, along = float(round(pitch)), float(round(along))
    y = np.arange(height, dtype=np.float32)[:, None]
    x = np.arange(width, dtype=np.float32)[None, :]
    down, across = np.sin(2 * np.pi * y / pitch), np.sin(2 * np.pi * x / along)
    # Whole, not in bands: a band's 3x3 running mean could round differently at its edges.
    tufts = ndimage.uniform_filter(grain_rows((height, width), rng)(0, height), round(3 * scale))
    mottle = smooth_noise_rows((height, width), 20.0 * scale, rng)
    color = _CARPETS[rng.integers(len(_CARPETS))] * rng.uniform(0.9, 1.1)
    # Softer per pixel when closer: the tufts' grain, which costs the most bytes, faster
    # than the flecks and the mottle (at 4096 px 1/32, 1/8 and 1/4: its PNG fits 8 MB at level 2).
    tuft, fleck, dye = 0.25 / scale**2.5, 0.25 / scale**1.5, 0.06 / scale

    def gray(top: int, bottom: int) -> np.ndarray:
        pile = tufts[top:bottom]
        rows = 0.9 + 0.08 * (down[top:bottom] * across) + tuft * pile + dye * mottle(top, bottom)
        # A second yarn, a shade lighter, shows as flecks among the tufts.
        rows *= 1 + fleck * (pile > 0.7)
        return rows

    return tinted(height, width, gray, color)


TEXTURES.add(Texture("fabric", fabric), Texture("carpet", carpet))
