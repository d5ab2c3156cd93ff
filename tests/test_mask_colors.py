"""The validator counts a mask's colors from its palette indices: the same as reading it as RGB,
with fully transparent pixels (alpha 0, from an alpha channel or a tRNS chunk) told apart."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from synth.validate.objects import _CLEAR, _color_counts


def _as_rgb(picture: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """The reading docs/rules.md gives: every pixel as RGB, counted, alpha 0 set apart."""
    rgba = np.asarray(picture.convert("RGBA")).astype(np.uint32)
    packed = (rgba[..., 0] << 16) | (rgba[..., 1] << 8) | rgba[..., 2]
    return np.unique(np.where(rgba[..., 3] == 0, packed + _CLEAR, packed), return_counts=True)


@st.composite
def masks(draw: st.DrawFn) -> bytes:
    mode = draw(st.sampled_from(["P", "L", "RGB", "LA", "RGBA", "1"]))
    shape = draw(st.tuples(st.integers(1, 24), st.integers(1, 300)))
    channels = {"RGB": (3,), "LA": (2,), "RGBA": (4,)}.get(mode, ())
    pixels = draw(arrays(np.uint8, shape + channels, elements=st.integers(0, 255)))
    picture = Image.fromarray(pixels > 127 if mode == "1" else pixels, mode)
    if mode == "P":  # any palette length: indices past its end are read too
        colors = draw(st.lists(st.integers(0, 255), min_size=3, max_size=768))
        picture.putpalette(colors[: len(colors) // 3 * 3])
        # one transparent index, or a tRNS of alpha levels as the console writes it
        picture.info["transparency"] = draw(
            st.none() | st.integers(0, 255) | st.binary(min_size=1, max_size=256)
        )
        if picture.info["transparency"] is None:
            del picture.info["transparency"]
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
