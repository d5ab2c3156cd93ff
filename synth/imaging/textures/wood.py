"""Wood: a planed board, growth rings cut at a shallow angle and fine fibre along the grain."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from synth.imaging.noise import smooth_noise
from synth.imaging.textures.base import grain, tint

# Pale (pine, birch) through mid (oak) to dark (walnut) timber.
_SPECIES = np.array([[0.8, 0.64, 0.44], [0.66, 0.48, 0.3], [0.42, 0.27, 0.16]], np.float32)


def wood(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Planed wood (pine to walnut): growth rings warped by knots' flow, fibres along the grain."""
    period = rng.uniform(8.0, 18.0)
    y = np.arange(height, dtype=np.float32)[:, None]
    # The board cuts the rings at a slant: wide bands that bend slowly, and tight ones.
    flow = 1.5 * period * smooth_noise((height, width), max(height, width) / 2, rng)
    flow += 0.2 * period * smooth_noise((height, width), 60.0, rng)
    # Good and poor growing years: ring spacing varies from ring to ring.
    years = 0.8 * smooth_noise((height, 1), round(period * 1.5), rng)
    phase = (y + flow) / period + years
    ring = phase % 1.0
    # Earlywood is light and wide; latewood a darker band, soft inside, sharp at its end.
    rise = np.clip((ring - 0.45) / 0.45, 0.0, 1.0)
    late = rise * np.sqrt(rise) * np.clip((1.0 - ring) / 0.08, 0.0, 1.0)
    fibres = ndimage.uniform_filter1d(grain((height, width), rng), size=25, axis=1)
    streaks = smooth_noise((height, width), 6.0, rng)
    gray = 1.05 - 0.28 * late + 0.08 * fibres + 0.05 * streaks
    weights = rng.dirichlet(np.ones(len(_SPECIES))).astype(np.float32)
    return tint(gray, weights @ _SPECIES)
