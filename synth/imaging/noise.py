"""Smooth noise: random values on a coarse grid, upsampled, cheaper than blurring at full size.

The upsampling is the cubic spline zoom of `scipy.ndimage.zoom` (order 3, grid_mode=False),
computed as what it is, a separable linear map: the spline coefficients of the small grid
(`spline_filter`, cheap at coarse size), then along each axis a sparse matrix with four
B-spline weights per output row, cached per (output length, grid length). The cost is a few
multiply-adds per output pixel instead of a full-size zoom; the values agree with
`ndimage.zoom` to float32 rounding (about 1e-6).
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import ndimage, sparse


@functools.lru_cache(maxsize=64)
def zoom_matrix(length: int, points: int, factor: float, order: int) -> sparse.csr_matrix:
    """(length, points) float32: `ndimage.zoom(x, factor, order, grid_mode=False)[:length]`
    of a length-`points` x is this matrix times x, for a spline prefiltered x if order > 1."""
    columns = [
        ndimage.zoom(unit, factor, order=order, grid_mode=False, prefilter=False)[:length]
        for unit in np.eye(points, dtype=np.float32)
    ]
    return sparse.csr_matrix(np.stack(columns, axis=1))


def linear_zoom_matrix(length: int, points: int) -> sparse.csr_matrix:
    """(length, points) float32: linear interpolation of `points` samples onto `length`,
    the first and last samples kept (ndimage.zoom's order=1, grid_mode=False)."""
    where = np.arange(length) * ((points - 1) / max(length - 1, 1))
    left = np.minimum(where.astype(np.intp), points - 1)
    right = np.minimum(left + 1, points - 1)
    frac = (where - left).astype(np.float32)
    rows = np.repeat(np.arange(length), 2)
    values = np.stack([1 - frac, frac], axis=1).ravel()
    indices = np.stack([left, right], axis=1).ravel()
    return sparse.csr_matrix((values, (rows, indices)), shape=(length, points))


def zoom2d(array: np.ndarray, rows: sparse.csr_matrix, columns: sparse.csr_matrix) -> np.ndarray:
    """rows @ array @ columns.T as a C-ordered float32 array: a separable zoom."""
    across = np.ascontiguousarray((columns @ np.asarray(array, np.float32).T).T)
    return np.asarray(rows @ across, dtype=np.float32)


def smooth_noise(shape: tuple[int, int], scale: float, rng: np.random.Generator) -> np.ndarray:
    """float32 noise in about [-1, 1] with features about `scale` pixels across."""
    coarse = (max(2, int(shape[0] / scale) + 2), max(2, int(shape[1] / scale) + 2))
    noise = rng.uniform(-1.0, 1.0, coarse).astype(np.float32)
    coefficients = ndimage.spline_filter(noise, 3, output=np.float32, mode="mirror")
    rows, columns = (
        zoom_matrix(length, points, (length + 1) / (points - 1), 3)
        for length, points in zip(shape, coarse, strict=True)
    )
    return zoom2d(coefficients, rows, columns)
