"""Objects checked without Pillow's decode (a sound PNG, read to its last byte by
synth.validate.png; a mask counted from its unfiltered rows) have the findings of the
exact path, which has Pillow decode every object too: on images and masks cut short,
with a byte changed (their CRCs fixed or not, so that the fault reaches the deflate
stream), with bad filter bytes, extra or missing rows, a wrong Adler-32, chunks split
or added; and the fast path is the one taken on a sound object."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import deflate
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from synth.imaging.encode import encode_mask, encode_png
from synth.validate import iter_findings
from tests.helpers import png_chunks, png_of
from tests.test_validate import IMAGE, MASK, _line

DECODE = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_PALETTE = ["#ffffff", "#2ca02c", "#1f77b4"]
_SIZE = 64


def _objects(seed: int) -> tuple[bytes, bytes]:
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (_SIZE, _SIZE, 3), np.uint8)
    labels = np.zeros((_SIZE, _SIZE), np.uint8)
    labels[rng.integers(0, 40) :, : rng.integers(1, 64)] = rng.integers(1, 3)
    return encode_png(image), encode_mask(labels, _PALETTE)


@st.composite
def _mutant(draw: st.DrawFn, data: bytes) -> bytes:
    """The PNG broken one way: cut, a byte changed (CRCs then fixed or not), its rows
    re-deflated with a filter byte, a row or a byte more or less, its Adler-32 changed,
    its IDAT split or a chunk added after it; or as it is."""
    kind = draw(st.integers(0, 7))
    chunks = png_chunks(data)
    header = struct.unpack(">IIBBBBB", chunks[0][1])
    channels = {2: 3, 3: 1, 0: 1}[header[3]]
    row = header[0] * channels + 1
    idat = next(i for i, (k, _) in enumerate(chunks) if k == b"IDAT")
    rows = bytearray(zlib.decompress(chunks[idat][1]))
    if kind == 0:
        return data[: draw(st.integers(0, len(data) - 1))]
    if kind in (1, 2):
        at = draw(st.integers(8, len(data) - 1))
        flipped = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
        return flipped if kind == 1 else png_of(png_chunks(flipped))  # CRCs made right again
    if kind == 3:
        rows[draw(st.integers(0, header[1] - 1)) * row] = draw(st.integers(0, 255))
    elif kind == 4:
        extra = draw(st.sampled_from([-row, -1, 1, row]))
        rows = rows[:extra] if extra < 0 else rows + bytes(extra)
    if kind in (3, 4):
        chunks[idat] = (b"IDAT", bytes(deflate.zlib_compress(bytes(rows), 4)))
    elif kind == 5:
        stream = bytearray(chunks[idat][1])
        stream[-1 - draw(st.integers(0, 3))] ^= 1
        chunks[idat] = (b"IDAT", bytes(stream))
    elif kind == 6:
        stream = chunks[idat][1]
        cut = draw(st.integers(0, len(stream)))
        after = draw(st.sampled_from([b"IDAT", b"tEXt", b"IEND"]))
        split = [(b"IDAT", stream[:cut]), (after, b"a\x00b"), (b"IDAT", stream[cut:])]
        chunks[idat : idat + 1] = split if after != b"IEND" else split[:1] + split[2:]
    return png_of(chunks)


def _both(image: bytes, mask: bytes, profile: str) -> list[Any]:
    manifest = json.dumps(_line()) + "\n"
    objects = {IMAGE: image, MASK: mask}
    fast = list(iter_findings(manifest, objects=objects, profile=profile))
    exact = list(iter_findings(manifest, objects=objects, profile=profile, exact=True))
    assert fast == exact
    return fast


@DECODE
@given(st.integers(0, 3), st.data(), st.booleans(), st.sampled_from(["docs", "service"]))
def test_a_broken_image_or_mask_has_pillows_findings(
    seed: int, data: st.DataObject, on_mask: bool, profile: str
) -> None:
    image, mask = _objects(seed)
    if on_mask:
        mask = data.draw(_mutant(mask))
    else:
        image = data.draw(_mutant(image))
    _both(image, mask, profile)


@pytest.mark.parametrize("seed", range(3))
def test_a_sound_image_and_mask_take_the_fast_path(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    image, mask = _objects(seed)
    assert _both(image, mask, "docs") == []  # Pillow has opened PNGs of these headers
    monkeypatch.setattr(ImageFile.ImageFile, "load", _no_decode)
    monkeypatch.setattr(Image, "open", _no_decode)
    assert _both_fast(image, mask) == []


def _no_decode(*args: Any) -> Any:
    raise AssertionError("Pillow read an object the fast path reads")


def _both_fast(image: bytes, mask: bytes) -> list[Any]:
    manifest = json.dumps(_line()) + "\n"
    return list(iter_findings(manifest, objects={IMAGE: image, MASK: mask}))


@pytest.mark.parametrize(
    ("cut", "said"),
    [
        (lambda d: d[: len(d) // 2], "its IDAT chunk is cut short"),
        (lambda d: d[:-20] + bytes([d[-20] ^ 1]) + d[-19:], "the CRC of its IDAT chunk is wrong"),
    ],
)
def test_a_cut_or_corrupt_image_still_fails(cut: Any, said: str) -> None:
    image, mask = _objects(0)
    found = _both(cut(image), mask, "docs")
    assert [f.rule for f in found] == ["image.format"]
    assert said in found[0].message


def test_a_bad_deflate_stream_still_fails() -> None:
    """A stream changed inside, its CRC made right: only the decode can tell."""
    image, mask = _objects(0)
    chunks = png_chunks(image)
    stream = bytearray(chunks[1][1])
    stream[len(stream) // 2] ^= 0xFF
    chunks[1] = (b"IDAT", bytes(stream))
    found = _both(png_of(chunks), mask, "docs")
    assert [f.rule for f in found] == ["image.format"]
    assert "its pixel data does not inflate" in found[0].message
