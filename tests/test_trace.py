"""trace looks up only the pixels near a path: what it gives equals a lookup of every pixel."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from synth.imaging.defects import base


def _every_pixel(
    path: np.ndarray, half: np.ndarray, box: tuple[slice, slice], reach: float
) -> tuple[np.ndarray, np.ndarray]:
    """The lookup trace once made: the nearest path point of every pixel of the box."""
    ys = np.arange(box[0].start, box[0].stop, dtype=np.float64)
    xs = np.arange(box[1].start, box[1].stop, dtype=np.float64)
    points = np.column_stack([np.repeat(ys, len(xs)), np.tile(xs, len(ys))])
    distance, nearest = cKDTree(path).query(points, distance_upper_bound=reach)
    distance[~np.isfinite(distance)] = 1e3
    width = half[np.minimum(nearest, len(path) - 1)].astype(np.float32)
    shape = (len(ys), len(xs))
    return distance.astype(np.float32).reshape(shape), width.reshape(shape)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    points=st.integers(2, 300),
    reach=st.floats(0.5, 40.0),
    pad=st.floats(0.0, 3.0),
    spread=st.floats(1.0, 200.0),
)
def test_trace_equals_a_lookup_of_every_pixel(
    seed: int, points: int, reach: float, pad: float, spread: float
) -> None:
    rng = np.random.default_rng(seed)
    image = np.zeros((120, 140, 3), np.float32)
    # A walk that may leave the image: points off it still reach pixels on it.
    path = np.array([60.0, 70.0]) + np.cumsum(rng.normal(0, spread / 20, (points, 2)), axis=0)
    half = rng.uniform(0.2, 3.0, points)
    box, rows = base.trace(path, half, image, reach, pad)
    distance, width = _every_pixel(path, half, box, reach)
    height = box[0].stop - box[0].start
    for top in range(0, height, 7):
        got = rows(top, min(height, top + 7))
        assert np.array_equal(got[0], distance[top : top + 7])
        assert np.array_equal(got[1], width[top : top + 7])
