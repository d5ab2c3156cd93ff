"""synth's own PNG writer: whatever the array, Pillow reads back exactly that array."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from synth.errors import OutputError
from synth.format import MAX_IMAGE_BYTES
from synth.imaging import encode, render
from synth.imaging.encode import (
    MAX_COMPRESS_LEVEL,
    encode_image,
    encode_mask,
    encode_valid_image,
    png_filter,
)
from synth.imaging.render import into_uint8, to_uint8

sides = st.integers(1, 40)
levels = st.integers(0, MAX_COMPRESS_LEVEL)


@given(image=st.tuples(sides, sides).flatmap(lambda hw: arrays(np.uint8, (*hw, 3))), level=levels)
def test_png_decodes_to_the_same_pixels(image: np.ndarray, level: int) -> None:
    with Image.open(io.BytesIO(encode_image(image, "png", level))) as picture:
        picture.load()
        assert (picture.format, picture.mode) == ("PNG", "RGB")
        np.testing.assert_array_equal(np.asarray(picture), image)


FILTERS = {"None": 0, "Sub": 1, "Up": 2}


@pytest.mark.parametrize("kind", FILTERS.values(), ids=FILTERS)
@given(image=st.tuples(sides, sides).flatmap(lambda hw: arrays(np.uint8, (*hw, 3))))
def test_each_filter_decodes_to_the_same_pixels(kind: int, image: np.ndarray) -> None:
    """Whichever filter an image's sample picks, its rows decode to the image (random
    pixels pick None nearly always, so each filter is written here on its own)."""
    rows = encode.filtered(image, kind)
    assert (rows[:, 0] == kind).all()
    data = encode._png(rows, image.shape[1], encode._RGB, 1)
    with Image.open(io.BytesIO(data)) as picture:
        picture.load()
        np.testing.assert_array_equal(np.asarray(picture), image)


def _rows_of(image: np.ndarray) -> np.ndarray:
    """The filter byte of each row a PNG of `image` was written with."""
    data = encode_image(image, "png", 1)
    idat = data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8]
    raw = np.frombuffer(zlib.decompress(idat), np.uint8)
    return raw.reshape(image.shape[0], -1)[:, 0]


def test_the_filter_is_the_one_that_deflates_smallest() -> None:
    """Noise stays unfiltered (a difference doubles it), ramps along the rows are Sub's
    (each row one repeated step) and rows of noise repeated down the image are Up's
    (zeros); every row of an image shares its filter."""
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    steps = rng.integers(1, 8, (64, 1, 3), dtype=np.uint8)  # each row its own slope
    ramp = np.arange(64, dtype=np.uint8)[None, :, None] * steps
    repeated = np.broadcast_to(noise[:1], noise.shape)
    for image, kind in ((noise, "None"), (ramp, "Sub"), (repeated, "Up")):
        assert png_filter(image) == FILTERS[kind]
        assert set(_rows_of(image).tolist()) == {FILTERS[kind]}


@given(
    data=st.data(),
    shape=st.tuples(sides, sides),
    colors=st.lists(st.integers(0, 0xFFFFFF), min_size=1, max_size=256, unique=True),
    level=levels,
)
def test_mask_decodes_to_the_same_indices_and_palette(
    data: st.DataObject, shape: tuple[int, int], colors: list[int], level: int
) -> None:
    labels = data.draw(arrays(np.uint8, shape, elements=st.integers(0, len(colors) - 1)))
    palette = [f"#{c:06x}" for c in colors]
    with Image.open(io.BytesIO(encode_mask(labels, palette, level))) as picture:
        picture.load()
        assert picture.mode == "P"
        np.testing.assert_array_equal(np.asarray(picture), labels)
        written = picture.getpalette()
        assert written is not None
        assert bytes(written[: 3 * len(colors)]) == b"".join(c.to_bytes(3, "big") for c in colors)
        rgb = np.asarray(picture.convert("RGB"))
    expected = np.array([c.to_bytes(3, "big") for c in colors], "S3").view(np.uint8)
    np.testing.assert_array_equal(rgb, expected.reshape(-1, 3)[labels])


def test_a_valid_image_over_the_file_size_limit_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The limit scaled down to a 64 x 64 image's raw size (the service's 8 MB took a
    1700 x 1700 image of noise, deflated at every level of the ladder): noise does not
    deflate under its own size, a gradient does."""
    side = 64
    limit = side * side * 3
    assert limit < MAX_IMAGE_BYTES
    monkeypatch.setattr(encode, "MAX_IMAGE_BYTES", limit)
    noise = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    with pytest.raises(OutputError, match=f"{limit:,}-byte limit"):
        encode_valid_image(noise, "png")
    smooth = np.broadcast_to(np.arange(side, dtype=np.uint8)[:, None, None], noise.shape)
    data = encode_valid_image(smooth, "png")
    assert data == encode_image(smooth, "png")
    assert len(data) <= limit


@given(
    image=st.tuples(st.integers(1, 150), st.integers(1, 9)).flatmap(
        lambda hw: arrays(np.float32, (*hw, 3), elements=st.floats(-2, 2, width=32))
    )
)
def test_to_uint8_in_bands_is_the_whole_image_rounded(image: np.ndarray) -> None:
    expected = np.rint(np.clip(image, 0.0, 1.0) * np.float32(255.0)).astype(np.uint8)
    np.testing.assert_array_equal(to_uint8(image), expected)


# The threshold scaled down from 2048 x 2048 (render._TRIM_PIXELS): at it, rounded in place;
# three bands of 64 rows, the last of 3, odd columns; under it, copied.
_TRIM = 64 * 64


@pytest.mark.parametrize(
    ("shape", "in_place"), [((64, 64), True), ((131, 67), True), ((40, 30), False)]
)
def test_into_uint8_over_the_images_own_memory_is_to_uint8(
    shape: tuple[int, int], in_place: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large images are rounded over their own memory (odd rows and columns too), small
    ones copied: the pixels are to_uint8's either way."""
    monkeypatch.setattr(render, "_TRIM_PIXELS", _TRIM)
    image = np.random.default_rng(sum(shape)).uniform(-0.2, 1.2, (*shape, 3)).astype(np.float32)
    expected = to_uint8(image)
    made = into_uint8(image)
    np.testing.assert_array_equal(made, expected)
    assert np.shares_memory(made, image) == in_place


def test_into_uint8_leaves_an_image_it_does_not_own_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(render, "_TRIM_PIXELS", _TRIM)
    whole = np.random.default_rng(1).random((140, 140, 3), np.float32)
    before = whole.copy()
    np.testing.assert_array_equal(into_uint8(whole[:130]), to_uint8(before[:130]))
    np.testing.assert_array_equal(whole, before)
