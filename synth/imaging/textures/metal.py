"""Metal surfaces: brushed sheet."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from synth.imaging.noise import linear_zoom_matrix, smooth_noise
from synth.imaging.textures.base import grain, tint


def brushed_metal(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Brushed steel or aluminium sheet: fine streaks along one direction and a soft sheen."""
    # Streaks: noise stretched along the brushing direction, then a soft sheen across it.
    streak_len = max(8, width // 6)
    rows = rng.standard_normal((height, width // streak_len + 2), np.float32)
    streaks = rows @ linear_zoom_matrix(width, rows.shape[1]).T.toarray()
    fine = ndimage.uniform_filter1d(grain((height, width), rng), 9, axis=1)
    sheen = np.linspace(-1.0, 1.0, height, dtype=np.float32)[:, None] * rng.uniform(-0.08, 0.08)
    sheen = sheen + 0.06 * smooth_noise((height, width), max(height, width) / 2, rng)
    gray = rng.uniform(0.55, 0.75) + 0.035 * streaks + 0.04 * fine + sheen
    color = np.array([1.0, 1.0, 1.0], np.float32) + rng.uniform(-0.04, 0.04, 3).astype(np.float32)
    return tint(gray[:, ::-1] if rng.random() < 0.5 else gray, color)
