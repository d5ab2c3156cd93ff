"""Metal surfaces: brushed sheet, sand-cast skin, machined faces."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from synth.imaging.noise import linear_zoom_matrix, smooth_noise_rows, zoom_rows
from synth.imaging.textures.base import Texture, bands, detail_cell, grain_rows, tinted, zoom
from synth.registry import TEXTURES


def brushed_metal(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Brushed steel or aluminium sheet: fine streaks along one direction and a soft sheen."""
    # Streaks: noise stretched along the brushing direction, then a soft sheen across it.
    streak_len = max(8, width // 6)
    # One streak per row of detail cells (a pixel up to DETAIL_SIDE), stretched along the row.
    cells = -(-height // detail_cell((height, width)))
    rows = rng.standard_normal((cells, width // streak_len + 2), np.float32)
    streaks = zoom_rows(
        rows, linear_zoom_matrix(height, rows.shape[0]), linear_zoom_matrix(width, rows.shape[1])
    )
    fine = grain_rows((height, width), rng)
    slope = np.linspace(-1.0, 1.0, height, dtype=np.float32)[:, None] * rng.uniform(-0.08, 0.08)
    sheen = smooth_noise_rows((height, width), max(height, width) / 2, rng)
    groove = round(9 * zoom((height, width)))
    level = rng.uniform(0.55, 0.75)
    color = np.array([1.0, 1.0, 1.0], np.float32) + rng.uniform(-0.04, 0.04, 3).astype(np.float32)
    flip = rng.random() < 0.5

    def gray(top: int, bottom: int) -> np.ndarray:
        lit = slope[top:bottom] + 0.06 * sheen(top, bottom)
        grooves = ndimage.uniform_filter1d(fine(top, bottom), groove, axis=1)
        rows = level + 0.035 * streaks(top, bottom) + 0.04 * grooves + lit
        return rows[:, ::-1] if flip else rows

    return tinted(height, width, gray, color)


def _grown(cells: np.ndarray) -> np.ndarray:
    """`ndimage.grey_dilation(cells, size=2)` of a bool array: each cell or the one below
    it, then or the one to its right (the last row and column reflected onto themselves),
    as two ORs of shifted views, 14x cheaper than the filter, which works in doubles."""
    down = cells.copy()
    down[:-1] |= cells[1:]
    grown = down.copy()
    grown[:, :-1] |= down[:, 1:]
    return grown


def cast_metal(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Sand-cast iron or aluminium: a dull grainy skin, mottled, with scattered small pores."""
    grains = grain_rows((height, width), rng)
    mottle = smooth_noise_rows((height, width), 30.0 * zoom((height, width)), rng)
    # The pores, one per detail cell at most: drawn band by band (the same numbers as one
    # draw), kept as one bit a cell, a cell of pixels each in a larger image.
    cell = detail_cell((height, width))
    cells = (-(-height // cell), -(-width // cell))
    pores = np.empty(cells, bool)
    for top, bottom in bands(*cells):
        pores[top:bottom] = rng.random((bottom - top, cells[1]), np.float32) < 0.0015
    pores = _grown(pores)
    if cell > 1:
        pores = pores.repeat(cell, axis=0)[:height].repeat(cell, axis=1)[:, :width]
    level = rng.uniform(0.38, 0.55)
    grain = 0.08 / zoom((height, width))  # softer per pixel when closer
    color = np.array([1.0, 1.0, 1.02], np.float32) + rng.uniform(-0.03, 0.03, 3).astype(np.float32)

    def gray(top: int, bottom: int) -> np.ndarray:
        # The 2x2 mean reaches one row up: computed on the band and the row above it.
        above = max(top - 1, 0)
        sand = ndimage.uniform_filter(grains(above, bottom), 2)[top - above :]
        return level * (1 + grain * sand + 0.07 * mottle(top, bottom) - 0.35 * pores[top:bottom])

    return tinted(height, width, gray, color)


def machined_metal(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Face-turned or milled steel: fine concentric tool marks around a centre off the image."""
    radius = rng.uniform(1.5, 4.0) * max(height, width)
    angle = rng.uniform(0, 2 * np.pi)
    cy = height / 2 + radius * np.sin(angle)
    cx = width / 2 + radius * np.cos(angle)
    y, x = np.ogrid[:height, :width]
    scale = zoom((height, width))
    # Finer marks would alias into moire at 1 px per sample.
    pitch = rng.uniform(3.5, 6.0) * scale**1.5
    chatter = smooth_noise_rows((height, width), 6.0 * scale, rng)
    # Closer, the marks are wider apart than in proportion (scale**1.5), softer (by the
    # square root of the scale), and the tool's chatter fainter per pixel (by the scale):
    # at 4096 px, marks across the rows at full strength cost PNGs of 8-9.5 MB, over the
    # service's 8 MB (or levels up the ladder to fit). Up to DETAIL_SIDE, x 1.
    marked, shake = 0.035 / scale**0.5, 0.04 / scale
    level = rng.uniform(0.6, 0.75)
    # The nearest pixel to the centre has the image's least distance (each term of the sum
    # is least there, and rounding keeps order): r.min() without a full-size r.
    near_y = np.clip(np.round(np.array([cy])), 0, height - 1)
    near_x = np.clip(np.round(np.array([cx])), 0, width - 1)
    least = np.sqrt((near_y - cy) ** 2 + (near_x - cx) ** 2).astype(np.float32)

    def gray(top: int, bottom: int) -> np.ndarray:
        r = np.sqrt((y[top:bottom] - cy) ** 2 + (x - cx) ** 2).astype(np.float32)
        marks = np.sin(2 * np.pi * r / pitch) + 0.6 * np.sin(2 * np.pi * r / (pitch * 2.7))
        sheen = 0.1 * np.cos(2 * np.pi * (r - least) / max(height, width) / 1.5 + angle)
        return level + marked * marks + shake * chatter(top, bottom) + sheen

    return tinted(height, width, gray, np.array([1.0, 1.0, 1.03], np.float32))


TEXTURES.add(
    Texture("brushed-metal", brushed_metal),
    Texture("cast-metal", cast_metal),
    Texture("machined-metal", machined_metal),
)
