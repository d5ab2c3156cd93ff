"""Smooth noise and the zooms the textures use agree with scipy's full-size zoom."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy import ndimage

from synth.imaging.noise import linear_zoom_matrix, smooth_noise, smooth_noise_rows, zoom_matrix


def _zoomed_reference(shape: tuple[int, int], scale: float, seed: int) -> np.ndarray:
    """smooth_noise's meaning: a coarse uniform grid, cubic-spline zoomed by ndimage."""
    coarse = (max(2, int(shape[0] / scale) + 2), max(2, int(shape[1] / scale) + 2))
    noise = np.random.default_rng(seed).uniform(-1.0, 1.0, coarse).astype(np.float32)
    zoom = ((shape[0] + 1) / (coarse[0] - 1), (shape[1] + 1) / (coarse[1] - 1))
    return ndimage.zoom(noise, zoom, order=3, grid_mode=False)[: shape[0], : shape[1]]


@given(
    shape=st.tuples(st.integers(1, 80), st.integers(1, 80)),
    scale=st.floats(0.5, 200.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_smooth_noise_is_the_cubic_zoom_of_its_grid(
    shape: tuple[int, int], scale: float, seed: int
) -> None:
    noise = smooth_noise(shape, scale, np.random.default_rng(seed))
    assert noise.dtype == np.float32
    assert noise.flags.c_contiguous
    np.testing.assert_allclose(noise, _zoomed_reference(shape, scale, seed), atol=1e-5)


@given(length=st.integers(1, 300), points=st.integers(1, 300), seed=st.integers(0, 2**32 - 1))
def test_linear_zoom_matrix_is_ndimage_linear_zoom(length: int, points: int, seed: int) -> None:
    samples = np.random.default_rng(seed).standard_normal(points).astype(np.float32)
    # mode="nearest": with the default "constant", ndimage drops the last sample to 0 when
    # rounding puts its coordinate a hair past the end (a black edge line, not interpolation).
    expected = ndimage.zoom(samples, length / points, order=1, grid_mode=False, mode="nearest")
    assert expected.shape == (length,)
    zoomed = linear_zoom_matrix(length, points).matrix @ samples
    np.testing.assert_allclose(zoomed, expected, atol=1e-5)


@given(length=st.integers(1, 700), points=st.integers(2, 120))
def test_zoom_matrix_is_ndimage_cubic_zoom_bit_for_bit(length: int, points: int) -> None:
    # Bit for bit, not to a tolerance: the noise's bytes, so every image's, rest on it.
    factor = (length + 1) / (points - 1)
    columns = [
        ndimage.zoom(unit, factor, order=3, grid_mode=False, prefilter=False)[:length]
        for unit in np.eye(points, dtype=np.float32)
    ]
    expected = np.stack(columns, axis=1)
    matrix = zoom_matrix(length, points, factor).matrix
    assert matrix.dtype == np.float32
    assert matrix.has_sorted_indices
    np.testing.assert_array_equal(matrix.toarray().view(np.uint32), expected.view(np.uint32))
    assert matrix.nnz == np.count_nonzero(expected)  # no stored zeros: the same sums


@given(
    shape=st.tuples(st.integers(1, 60), st.integers(1, 60)),
    scale=st.floats(1.0, 40.0),
    cut=st.integers(1, 60),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_field_made_whole_has_the_rows_of_one_made_band_by_band(
    shape: tuple[int, int], scale: float, cut: int, seed: int
) -> None:
    from synth.imaging import noise

    whole = smooth_noise_rows(shape, scale, np.random.default_rng(seed))
    saved, noise.WHOLE_PIXELS = noise.WHOLE_PIXELS, 0  # every field band by band
    try:
        banded = smooth_noise_rows(shape, scale, np.random.default_rng(seed))
        for top in range(0, shape[0], cut):
            bottom = min(top + cut, shape[0])
            np.testing.assert_array_equal(whole(top, bottom), banded(top, bottom))
    finally:
        noise.WHOLE_PIXELS = saved
