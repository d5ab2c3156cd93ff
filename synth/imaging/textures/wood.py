"""Wood: a planed board, growth rings cut at a shallow angle and fine fibre along the grain."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from synth.imaging.noise import smooth_noise, smooth_noise_rows
from synth.imaging.textures.base import Texture, grain_rows, tinted, zoom
from synth.registry import TEXTURES

# Pale (pine, birch) through mid (oak) to dark (walnut) timber.
_SPECIES = np.array([[0.8, 0.64, 0.44], [0.66, 0.48, 0.3], [0.42, 0.27, 0.16]], np.float32)


def wood(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Planed wood (pine to walnut): growth rings warped by knots' flow, fibres along the grain."""
    scale = zoom((height, width))
    period = rng.uniform(8.0, 18.0) * scale
    y = np.arange(height, dtype=np.float32)[:, None]
    # The board cuts the rings at a slant: wide bands that bend slowly, and tight ones.
    bends = smooth_noise_rows((height, width), max(height, width) / 2, rng)
    wobble = smooth_noise_rows((height, width), 60.0 * scale, rng)
    # Good and poor growing years: ring spacing varies from ring to ring.
    years = 0.8 * smooth_noise((height, 1), round(period * 1.5), rng)
    fibres = grain_rows((height, width), rng)
    streaks = smooth_noise_rows((height, width), 6.0 * scale, rng)
    fibre = round(25 * scale)
    fibre_amp = 0.08 / scale  # softer per pixel when closer
    weights = rng.dirichlet(np.ones(len(_SPECIES))).astype(np.float32)

    def gray(top: int, bottom: int) -> np.ndarray:
        flow = 1.5 * period * bends(top, bottom)
        flow += 0.2 * period * wobble(top, bottom)
        phase = (y[top:bottom] + flow) / period + years[top:bottom]
        ring = phase - np.floor(phase)  # phase % 1.0 to the bit, at a third of its cost
        # Earlywood is light and wide; latewood a darker band, soft inside, sharp at its end.
        rise = np.clip((ring - 0.45) / 0.45, 0.0, 1.0)
        late = rise * np.sqrt(rise) * np.clip((1.0 - ring) / 0.08, 0.0, 1.0)
        along = ndimage.uniform_filter1d(fibres(top, bottom), size=fibre, axis=1)
        return 1.05 - 0.28 * late + fibre_amp * along + 0.05 * streaks(top, bottom)

    return tinted(height, width, gray, weights @ _SPECIES)


TEXTURES.add(Texture("wood", wood))
