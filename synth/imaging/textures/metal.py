"""Metal surfaces: brushed sheet, sand-cast skin, machined faces."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from synth.imaging.noise import linear_zoom_matrix, smooth_noise, zoom2d
from synth.imaging.textures.base import detail_cell, grain, tint


def brushed_metal(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Brushed steel or aluminium sheet: fine streaks along one direction and a soft sheen."""
    # Streaks: noise stretched along the brushing direction, then a soft sheen across it.
    streak_len = max(8, width // 6)
    # One streak per row of detail cells (a pixel up to DETAIL_SIDE), stretched along the row.
    cells = -(-height // detail_cell((height, width)))
    rows = rng.standard_normal((cells, width // streak_len + 2), np.float32)
    streaks = zoom2d(
        rows, linear_zoom_matrix(height, rows.shape[0]), linear_zoom_matrix(width, rows.shape[1])
    )
    fine = ndimage.uniform_filter1d(grain((height, width), rng), 9, axis=1)
    sheen = np.linspace(-1.0, 1.0, height, dtype=np.float32)[:, None] * rng.uniform(-0.08, 0.08)
    sheen = sheen + 0.06 * smooth_noise((height, width), max(height, width) / 2, rng)
    gray = rng.uniform(0.55, 0.75) + 0.035 * streaks + 0.04 * fine + sheen
    color = np.array([1.0, 1.0, 1.0], np.float32) + rng.uniform(-0.04, 0.04, 3).astype(np.float32)
    return tint(gray[:, ::-1] if rng.random() < 0.5 else gray, color)


def cast_metal(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Sand-cast iron or aluminium: a dull grainy skin, mottled, with scattered small pores."""
    sand = ndimage.uniform_filter(grain((height, width), rng), 2)
    mottle = smooth_noise((height, width), 30.0, rng)
    pores = ndimage.grey_dilation(rng.random((height, width), np.float32) < 0.0015, size=2)
    gray = rng.uniform(0.38, 0.55) * (1 + 0.08 * sand + 0.07 * mottle - 0.35 * pores)
    color = np.array([1.0, 1.0, 1.02], np.float32) + rng.uniform(-0.03, 0.03, 3).astype(np.float32)
    return tint(gray, color)


def machined_metal(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Face-turned or milled steel: fine concentric tool marks around a centre off the image."""
    radius = rng.uniform(1.5, 4.0) * max(height, width)
    angle = rng.uniform(0, 2 * np.pi)
    cy = height / 2 + radius * np.sin(angle)
    cx = width / 2 + radius * np.cos(angle)
    y, x = np.ogrid[:height, :width]
    r = np.sqrt((y - cy) ** 2 + (x - cx) ** 2).astype(np.float32)
    pitch = rng.uniform(3.5, 6.0)  # finer marks would alias into moire at 1 px per sample
    marks = np.sin(2 * np.pi * r / pitch) + 0.6 * np.sin(2 * np.pi * r / (pitch * 2.7))
    chatter = 0.04 * smooth_noise((height, width), 6.0, rng)
    sheen = 0.1 * np.cos(2 * np.pi * (r - r.min()) / max(height, width) / 1.5 + angle)
    gray = rng.uniform(0.6, 0.75) + 0.035 * marks + chatter + sheen
    color = np.array([1.0, 1.0, 1.03], np.float32)
    return tint(gray, color)
