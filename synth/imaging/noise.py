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
def zoom_matrix(length: int, points: int, factor: float) -> Zoom:
    """(length, points) float32: `ndimage.zoom(x, factor, order=3, grid_mode=False,
    prefilter=False)[:length]` of a length-`points` x is this matrix times x, bit for bit.

    Each row holds the four cubic B-spline weights of its coordinate, computed in float64 as
    ndimage computes them, taps beyond the ends mirrored (weights landing on one sample
    summed in tap order), rounded once to float32; a row whose coordinate rounds past the
    last sample is zero (mode "constant"). One pass over the rows, where zooming each unit
    vector cost `points` zooms of `length` samples, for every size of defect box."""
    out = round(points * factor)
    step = (points - 1) / (out - 1) if out > 1 else 1.0
    at = np.arange(length) * step
    rows = np.flatnonzero(at <= points - 1)
    at = at[rows]
    whole = np.floor(at)
    x = at - whole
    z = 1.0 - x
    weights = np.empty((len(at), 4))
    weights[:, 0] = z * z * z / 6.0
    weights[:, 1] = (x * x * (x - 2.0) * 3.0 + 4.0) / 6.0
    weights[:, 2] = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0
    weights[:, 3] = 1.0 - weights[:, 0] - weights[:, 1] - weights[:, 2]
    taps = whole.astype(np.int64)[:, None] + np.arange(-1, 3)
    period = max(2 * points - 2, 1)  # mirrored about the first and last samples
    taps = np.abs(taps) % period
    taps = np.where(taps >= points, period - taps, taps)
    kept = np.ones(taps.shape, bool)
    for tap in range(1, 4):  # a tap on a sample an earlier tap hit adds to that one
        for earlier in range(tap):
            same = kept[:, tap] & (taps[:, tap] == taps[:, earlier]) & kept[:, earlier]
            weights[same, earlier] += weights[same, tap]
            kept[same, tap] = False
    values = weights.astype(np.float32)
    kept &= values != 0
    order = np.argsort(np.where(kept, taps, points), axis=1, kind="stable")
    counts = kept.sum(axis=1)
    indptr = np.zeros(length + 1, np.int64)
    indptr[rows + 1] = counts
    first = np.arange(4) < counts[:, None]  # after the sort, each row's kept taps lead
    matrix = sparse.csr_matrix(
        (
            np.take_along_axis(values, order, axis=1)[first],
            np.take_along_axis(taps, order, axis=1)[first],
            np.cumsum(indptr),
        ),
        shape=(length, points),
    )
    return Zoom(matrix)


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


# Up to this many pixels a field is one product, made now, and its bands are views of it:
# scipy's overhead per product is about that of a 512 px band's arithmetic, paid once
# instead of once a band. Larger fields are computed band by band (a 4096 px plane is
# 64 MiB).
WHOLE_PIXELS = 1 << 20


def zoom_rows(array: np.ndarray, rows: Zoom, columns: Zoom) -> Rows:
    """Rows of rows @ array @ columns.T, a separable zoom: the small product now, the rows'
    weights band by band (each output row is the same sum in the same order either way)."""
    across = np.ascontiguousarray((columns.matrix @ np.asarray(array, np.float32).T).T)
    if rows.matrix.shape[0] * across.shape[1] <= WHOLE_PIXELS:
        whole = np.asarray(rows.matrix @ across, dtype=np.float32)
        whole.flags.writeable = False  # bands are views of it

        def view(top: int, bottom: int) -> np.ndarray:
            return whole[top:bottom]

        return view

    def band(top: int, bottom: int) -> np.ndarray:
        return np.asarray(rows.band(top, bottom) @ across, dtype=np.float32)

    return band


def smooth_noise_rows(shape: tuple[int, int], scale: float, rng: np.random.Generator) -> Rows:
    """`smooth_noise` band by band: the grid is drawn now, the rows computed when asked."""
    coarse = (max(2, int(shape[0] / scale) + 2), max(2, int(shape[1] / scale) + 2))
    noise = rng.uniform(-1.0, 1.0, coarse).astype(np.float32)
    coefficients = ndimage.spline_filter(noise, 3, output=np.float32, mode="mirror")
    rows, columns = (
        zoom_matrix(length, points, (length + 1) / (points - 1))
        for length, points in zip(shape, coarse, strict=True)
    )
    return zoom_rows(coefficients, rows, columns)


def smooth_noise(shape: tuple[int, int], scale: float, rng: np.random.Generator) -> np.ndarray:
    """float32 noise in about [-1, 1] with features about `scale` pixels across."""
    return smooth_noise_rows(shape, scale, rng)(0, shape[0])
