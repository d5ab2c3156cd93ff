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
from collections.abc import Callable

import numpy as np
from scipy import ndimage, sparse


class Zoom:
    """A zoom along one axis, (length, points): `matrix` times a length-`points` vector, and
    the matrix's row bands kept as they are cut (slicing costs more than the product). One
    is cached per zoom, so a band is cut once per process."""

    def __init__(self, matrix: sparse.csr_matrix) -> None:
        self.matrix = matrix
        self._bands: dict[tuple[int, int], sparse.csr_matrix] = {}

    def band(self, top: int, bottom: int) -> sparse.csr_matrix:
        """matrix[top:bottom]."""
        if (top, bottom) == (0, self.matrix.shape[0]):
            return self.matrix
        if (top, bottom) not in self._bands:
            self._bands[top, bottom] = self.matrix[top:bottom]
        return self._bands[top, bottom]


@functools.lru_cache(maxsize=64)
def zoom_matrix(length: int, points: int, factor: float, order: int) -> Zoom:
    """(length, points) float32: `ndimage.zoom(x, factor, order, grid_mode=False)[:length]`
    of a length-`points` x is this matrix times x, for a spline prefiltered x if order > 1."""
    columns = [
        ndimage.zoom(unit, factor, order=order, grid_mode=False, prefilter=False)[:length]
        for unit in np.eye(points, dtype=np.float32)
    ]
    return Zoom(sparse.csr_matrix(np.stack(columns, axis=1)))


@functools.lru_cache(maxsize=64)
def linear_zoom_matrix(length: int, points: int) -> Zoom:
    """(length, points) float32: linear interpolation of `points` samples onto `length`,
    the first and last samples kept (ndimage.zoom's order=1, grid_mode=False)."""
    where = np.arange(length) * ((points - 1) / max(length - 1, 1))
    left = np.minimum(where.astype(np.intp), points - 1)
    right = np.minimum(left + 1, points - 1)
    frac = (where - left).astype(np.float32)
    rows = np.repeat(np.arange(length), 2)
    values = np.stack([1 - frac, frac], axis=1).ravel()
    indices = np.stack([left, right], axis=1).ravel()
    return Zoom(sparse.csr_matrix((values, (rows, indices)), shape=(length, points)))


# Rows [top, bottom) of a float32 field, computed on demand: a texture builds its image a
# band of rows at a time, so no full-size intermediate plane is ever alive (a 4096 px plane
# is 64 MiB). A row of the field does not depend on the band it is computed in.
Rows = Callable[[int, int], np.ndarray]


def zoom_rows(array: np.ndarray, rows: Zoom, columns: Zoom) -> Rows:
    """Rows of rows @ array @ columns.T, a separable zoom: the small product now, the rows'
    weights band by band (each output row is the same sum in the same order either way)."""
    across = np.ascontiguousarray((columns.matrix @ np.asarray(array, np.float32).T).T)

    def band(top: int, bottom: int) -> np.ndarray:
        return np.asarray(rows.band(top, bottom) @ across, dtype=np.float32)

    return band


def smooth_noise_rows(shape: tuple[int, int], scale: float, rng: np.random.Generator) -> Rows:
    """`smooth_noise` band by band: the grid is drawn now, the rows computed when asked."""
    coarse = (max(2, int(shape[0] / scale) + 2), max(2, int(shape[1] / scale) + 2))
    noise = rng.uniform(-1.0, 1.0, coarse).astype(np.float32)
    coefficients = ndimage.spline_filter(noise, 3, output=np.float32, mode="mirror")
    rows, columns = (
        zoom_matrix(length, points, (length + 1) / (points - 1), 3)
        for length, points in zip(shape, coarse, strict=True)
    )
    return zoom_rows(coefficients, rows, columns)


def smooth_noise(shape: tuple[int, int], scale: float, rng: np.random.Generator) -> np.ndarray:
    """float32 noise in about [-1, 1] with features about `scale` pixels across."""
    return smooth_noise_rows(shape, scale, rng)(0, shape[0])
