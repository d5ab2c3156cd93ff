"""Textures are built a band of rows at a time: the bands must not show in the image."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from synth.config.preset import DEFAULT_TEXTURES
from synth.imaging.textures import base as texture_base
from synth.imaging.textures import render_base
from tests.helpers import examples_to_see_each


@contextmanager
def band_pixels(pixels: int) -> Iterator[None]:
    saved = texture_base.BAND_PIXELS
    texture_base.BAND_PIXELS = pixels
    try:
        yield
    finally:
        texture_base.BAND_PIXELS = saved


# Every default texture (12) but with chance 1% (examples_to_see_each): the rarest, 166 of
# 3,000 random draws of this strategy.
@settings(max_examples=examples_to_see_each(len(DEFAULT_TEXTURES), 166 / 3000), deadline=None)
@given(
    texture=st.sampled_from(sorted(DEFAULT_TEXTURES)),
    height=st.integers(2, 70),
    width=st.integers(2, 70),
    pixels=st.integers(1, 3000),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_band_size_gives_the_same_image(
    texture: str, height: int, width: int, pixels: int, seed: int
) -> None:
    with band_pixels(1 << 30):  # one band: the whole image at once
        whole = render_base(texture, height, width, np.random.default_rng(seed))
    with band_pixels(pixels):  # bands of one row and up
        banded = render_base(texture, height, width, np.random.default_rng(seed))
    assert banded.dtype == np.float32
    assert banded.shape == (height, width, 3)
    np.testing.assert_array_equal(banded, whole)


@given(
    shape=st.tuples(st.integers(1, 30), st.integers(1, 30)),
    density=st.sampled_from([0.0, 0.01, 0.2, 0.7]),
    seed=st.integers(0, 2**32 - 1),
)
def test_cast_metals_pores_grow_as_grey_dilation_grows_them(
    shape: tuple[int, int], density: float, seed: int
) -> None:
    from scipy import ndimage

    from synth.imaging.textures.metal import _grown

    cells = np.random.default_rng(seed).random(shape) < density
    assert np.array_equal(_grown(cells), ndimage.grey_dilation(cells, size=2))


@given(
    shape=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    seed=st.integers(0, 2**32 - 1),
)
def test_plastics_stipple_is_the_2x2_mean_of_its_grain(shape: tuple[int, int], seed: int) -> None:
    from scipy import ndimage

    from synth.imaging.textures.base import grain_rows
    from synth.imaging.textures.plastic import _stipple

    stipple = _stipple(*shape, np.random.default_rng(seed))(0, shape[0])
    grain = grain_rows(shape, np.random.default_rng(seed))(0, shape[0])
    expected = ndimage.uniform_filter(grain.astype(np.float64), 2)  # the edge repeated
    assert stipple.dtype == np.float32
    np.testing.assert_allclose(stipple, expected, rtol=0, atol=2e-6)
