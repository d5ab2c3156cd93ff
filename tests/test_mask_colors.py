"""The validator counts a mask's colors from its palette indices: the same as reading it as RGB."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from synth.validate.objects import _color_counts


def _as_rgb(picture: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """mask-image.color's reading: every pixel as RGB, counted."""
    rgb = np.asarray(picture.convert("RGB")).astype(np.uint32)
    return np.unique((rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2], return_counts=True)


@st.composite
def masks(draw: st.DrawFn) -> bytes:
    mode = draw(st.sampled_from(["P", "L", "RGB", "LA", "1"]))
    shape = draw(st.tuples(st.integers(1, 24), st.integers(1, 300)))
    channels = {"RGB": (3,), "LA": (2,)}.get(mode, ())
    pixels = draw(arrays(np.uint8, shape + channels, elements=st.integers(0, 255)))
    picture = Image.fromarray(pixels > 127 if mode == "1" else pixels, mode)
    if mode == "P":  # any palette length: indices past its end are read too
        colors = draw(st.lists(st.integers(0, 255), min_size=3, max_size=768))
        picture.putpalette(colors[: len(colors) // 3 * 3])
        if draw(st.booleans()):
            picture.info["transparency"] = draw(st.integers(0, 255))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.filterwarnings("ignore:Palette images with Transparency")  # the reference's
@given(masks())
def test_color_counts_are_those_of_the_mask_read_as_rgb(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as fast, Image.open(io.BytesIO(data)) as reference:
        present, counts = _color_counts(fast)
        expected_present, expected_counts = _as_rgb(reference)
    np.testing.assert_array_equal(present, expected_present)
    np.testing.assert_array_equal(counts, expected_counts)
