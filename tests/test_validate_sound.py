"""Every object `--objects` calls fine is sound to its last byte, whatever a decoder
forgives: a PNG's chunk sequence exactly right (nothing after IEND, one run of IDAT, one
zlib stream inflating to exactly its rows), a JPEG's scans complete (libjpeg only warns
when a scan is cut and an end-of-image marker follows, and Pillow drops the warning).
And no JPEG a real producer writes is refused: Pillow's own, at every setting."""

from __future__ import annotations

import io
import json
import struct
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from synth.imaging.encode import encode_mask, encode_png
from synth.validate import iter_findings
from tests.helpers import png_chunks, png_of
from tests.test_validate import IMAGE, MASK, _line

_PALETTE = ["#ffffff", "#2ca02c", "#1f77b4"]
_SIDE = 64
SOME = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _picture(side: int = _SIDE, seed: int = 0) -> np.ndarray:
    """A picture with edges and grain, as a photograph has (not flat: scans hold data)."""
    rng = np.random.default_rng(seed)
    ramp = np.add.outer(np.arange(side), 2 * np.arange(side)) % 256
    return (ramp[..., None] // 2 + rng.integers(0, 128, (side, side, 3))).astype(np.uint8)


def _mask() -> bytes:
    labels = np.zeros((_SIDE, _SIDE), np.uint8)
    labels[40:, :20] = 1
    return encode_mask(labels, _PALETTE)


def _findings(image: bytes, mask: bytes, exact: bool) -> list[tuple[str, str]]:
    manifest = json.dumps(_line()) + "\n"
    found = iter_findings(manifest, objects={IMAGE: image, MASK: mask}, exact=exact)
    return [(f.rule, f.message) for f in found]


def _format_error(image: bytes, mask: bytes, rule: str, said: str) -> None:
    """Both paths, fast and exact (Pillow decoding too), give one finding, `rule`."""
    for exact in (False, True):
        found = _findings(image, mask, exact)
        assert [r for r, _ in found] == [rule], (exact, found)
        assert said in found[0][1], found


# PNG ----------------------------------------------------------------------------------


def _rechunked(change: Callable[[list[tuple[bytes, bytes]]], None]) -> Callable[[bytes], bytes]:
    def apply(data: bytes) -> bytes:
        chunks = png_chunks(data)
        change(chunks)
        return png_of(chunks)

    return apply


def _idat(chunks: list[tuple[bytes, bytes]]) -> int:
    return next(i for i, (kind, _) in enumerate(chunks) if kind == b"IDAT")


def _split_by(kind: bytes) -> Callable[[list[tuple[bytes, bytes]]], None]:
    def change(chunks: list[tuple[bytes, bytes]]) -> None:
        at = _idat(chunks)
        stream = chunks[at][1]
        half = len(stream) // 2
        chunks[at : at + 1] = [(b"IDAT", stream[:half]), (kind, b"x"), (b"IDAT", stream[half:])]

    return change


def _rows_plus(extra: bytes) -> Callable[[list[tuple[bytes, bytes]]], None]:
    """The rows with `extra` bytes after them, deflated whole: a stream that inflates
    past the rows (Pillow decodes the rows and ignores the rest)."""

    def change(chunks: list[tuple[bytes, bytes]]) -> None:
        at = _idat(chunks)
        chunks[at] = (b"IDAT", zlib.compress(zlib.decompress(chunks[at][1]) + extra))

    return change


def _after_stream(chunks: list[tuple[bytes, bytes]]) -> None:
    at = _idat(chunks)
    chunks[at] = (b"IDAT", chunks[at][1] + b"\x00junk")


def _critical(chunks: list[tuple[bytes, bytes]]) -> None:
    chunks.insert(1, (b"ABCD", b"?"))


def _late_palette(chunks: list[tuple[bytes, bytes]]) -> None:
    at = next(i for i, (kind, _) in enumerate(chunks) if kind == b"PLTE")
    palette = chunks.pop(at)
    chunks.insert(len(chunks) - 1, palette)


PNG_FAULTS: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "a byte after IEND": (lambda d: d + b"x", "1 byte after its IEND chunk"),
    "zeros after IEND": (lambda d: d + bytes(16), "16 bytes after its IEND chunk"),
    "a second PNG after IEND": (lambda d: d + d, "after its IEND chunk"),
    "a chunk after IEND": (
        lambda d: d + png_of([(b"tEXt", b"a\x00b")])[8:],
        "after its IEND chunk",
    ),
    "a text chunk between IDATs": (
        _rechunked(_split_by(b"tEXt")),
        "its IDAT chunks are not one run (a tEXt chunk between them)",
    ),
    "a stream that inflates past the rows": (
        _rechunked(_rows_plus(bytes(_SIDE + 1))),
        "inflates to more than",
    ),
    "bytes after the zlib stream": (
        _rechunked(_after_stream),
        "5 bytes after its zlib stream",
    ),
    "an unknown critical chunk": (
        _rechunked(_critical),
        "an unknown critical chunk, ABCD",
    ),
}


@pytest.mark.parametrize("fault", PNG_FAULTS)
@pytest.mark.parametrize("on_mask", [False, True])
def test_a_png_not_exactly_right_is_not_sound(fault: str, on_mask: bool) -> None:
    change, said = PNG_FAULTS[fault]
    image, mask = encode_png(_picture()), _mask()
    if on_mask:
        _format_error(image, change(mask), "mask-image.format", said)
    else:
        _format_error(change(image), mask, "image.format", said)


def test_a_palette_after_the_data_is_not_sound() -> None:
    _format_error(
        encode_png(_picture()),
        _rechunked(_late_palette)(_mask()),
        "mask-image.format",
        "its PLTE chunk is misplaced",
    )


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"])
@pytest.mark.parametrize("optimize", [False, True])
def test_pillows_pngs_are_sound(mode: str, optimize: bool) -> None:
    """Pillow's PNGs of every mode it writes (IDAT split at 64 KiB, palettes, 16-bit)."""
    source = _picture(300)
    picture = Image.fromarray(source).convert(mode) if mode != "LA" else Image.new("LA", (300, 300))
    out = io.BytesIO()
    picture.save(out, "PNG", optimize=optimize)
    assert _picture_findings(out.getvalue(), (300, 300)) == []


def _picture_findings(image: bytes, size: tuple[int, int]) -> list[tuple[str, str]]:
    """The findings of a line whose image is `image` and mask a blank one of its size."""
    blank = encode_mask(np.zeros(size[::-1], np.uint8), _PALETTE)
    line = {**_line(), "anomaly-label": 0}
    line["anomaly-label-metadata"] = {**line["anomaly-label-metadata"], "class-name": "normal"}
    manifest = json.dumps(line) + "\n"
    found = []
    for exact in (False, True):
        objects = {IMAGE: image, MASK: blank}
        found += [
            (f.rule, f.message) for f in iter_findings(manifest, objects=objects, exact=exact)
        ]
    return found


# JPEG ---------------------------------------------------------------------------------


def _jpeg(picture: Image.Image, **options: Any) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", **options)
    return out.getvalue()


def _scans(data: bytes) -> list[int]:
    """Where each SOS marker starts (a marker is never stuffed data: 0xFF 0xDA)."""
    found, at = [], data.find(b"\xff\xda")
    while at >= 0:
        found.append(at)
        at = data.find(b"\xff\xda", at + 2)
    return found


_JPEG_KINDS: dict[str, dict[str, Any]] = {
    "baseline": {"quality": 90},
    "progressive": {"quality": 90, "progressive": True},
    "restart intervals": {"quality": 90, "restart_marker_rows": 1},
    "optimized 4:4:4": {"quality": 75, "optimize": True, "subsampling": 0},
}


@SOME
@given(st.sampled_from(sorted(_JPEG_KINDS)), st.sampled_from(["RGB", "L"]), st.data())
def test_a_jpeg_cut_inside_a_scan_with_its_end_marker_forged_is_not_sound(
    kind: str, mode: str, data: st.DataObject
) -> None:
    """The blind tester's object: cut anywhere in the scans' data, an EOI put back."""
    whole = _jpeg(Image.fromarray(_picture()).convert(mode), **_JPEG_KINDS[kind])
    cut = data.draw(st.integers(_scans(whole)[0] + 16, len(whole) - 3), label="cut")
    _format_error(whole[:cut] + b"\xff\xd9", _mask(), "image.format", "does not decode completely")


def test_the_blind_testers_jpeg_is_not_sound() -> None:
    """Cut inside its scan, an EOI appended: Pillow loads it (55 of 64 rows grey)."""
    whole = _jpeg(Image.fromarray(_picture()), quality=90)
    cut = whole[: len(whole) * 3 // 4] + b"\xff\xd9"
    Image.open(io.BytesIO(cut)).load()  # what Pillow makes of it: no error
    _format_error(cut, _mask(), "image.format", "premature end of data segment")


def test_a_progressive_jpeg_cut_between_scans_is_not_sound() -> None:
    """No scan is cut: whole scans are missing, so libjpeg has nothing to warn about."""
    whole = _jpeg(Image.fromarray(_picture()), quality=90, progressive=True)
    for scan in _scans(whole)[1:]:
        _format_error(whole[:scan] + b"\xff\xd9", _mask(), "image.format", "a scan is missing")


@SOME
@given(
    st.sampled_from(["RGB", "L", "CMYK"]),
    st.integers(1, 100),
    st.sampled_from([0, 1, 2]),
    st.booleans(),
    st.booleans(),
    st.sampled_from([{}, {"restart_marker_blocks": 3}, {"restart_marker_rows": 2}]),
    st.integers(64, 140),
    st.integers(64, 140),
)
def test_jpegs_a_real_producer_writes_are_sound(
    mode: str,
    quality: int,
    subsampling: int,
    progressive: bool,
    optimize: bool,
    restart: dict[str, int],
    width: int,
    height: int,
) -> None:
    """Pillow's JPEGs (libjpeg-turbo's encoder) at any setting, odd sizes, gray and CMYK."""
    picture = Image.fromarray(_picture(140)[:height, :width]).convert(mode)
    options = {"progressive": progressive, "optimize": optimize, **restart}
    data = _jpeg(picture, quality=quality, subsampling=subsampling, **options)
    assert _picture_findings(data, (width, height)) == []


def _interlaced(pixels: np.ndarray) -> bytes:
    """An RGB PNG written interlaced (Adam7), each pass's rows unfiltered: Pillow writes
    none, libpng's users do."""
    height, width, _ = pixels.shape
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2)]
    passes.append((0, 1, 1, 2))
    rows = b"".join(
        b"\x00" + row.tobytes()
        for x, y, dx, dy in passes
        if x < width and y < height
        for row in pixels[y::dy, x::dx]
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 1)
    return png_of([(b"IHDR", header), (b"IDAT", zlib.compress(rows)), (b"IEND", b"")])


@pytest.mark.parametrize("side", [64, 67, 131])
def test_an_interlaced_png_is_sound_and_one_cut_short_is_not(side: int) -> None:
    pixels = _picture(side)
    data = _interlaced(pixels)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), pixels)  # as libpng reads
    assert _picture_findings(data, (side, side)) == []
    chunks = png_chunks(data)
    chunks[1] = (b"IDAT", zlib.compress(zlib.decompress(chunks[1][1])[:-side]))
    assert {rule for rule, _ in _picture_findings(png_of(chunks), (side, side))} == {"image.format"}


def test_pngs_read_in_threads_at_once_read_as_one_at_a_time() -> None:
    """The inflate lets go of the GIL: threads reading at once must not share state."""
    from concurrent.futures import ThreadPoolExecutor

    from synth.validate.png import read_png

    objects = [encode_png(_picture(256, seed)) for seed in range(8)]
    objects += [PNG_FAULTS["bytes after the zlib stream"][0](data) for data in objects[:4]]
    alone = [read_png(data, 4096) for data in objects]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(5):
            assert list(pool.map(lambda data: read_png(data, 4096), objects)) == alone


@SOME
@given(
    st.integers(1, 40),
    st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=12),
    st.lists(st.integers(0, 11), max_size=12),
    st.integers(1, 4),
)
def test_a_masks_indices_are_read_from_its_unfiltered_rows(
    width: int, rows: list[bytes], copies: list[int], block: int
) -> None:
    """What the fast path reads of a mask: the indices its rows hold, not a filter byte,
    runs of rows like its first pixel's skipped `block` rows at a time or not."""
    from synth.validate.objects import _present

    pixels = [(row * width)[:width] for row in rows]
    for at in copies:  # rows of the first pixel's index alone, where runs are skipped
        pixels.insert(min(at, len(pixels)), bytes([pixels[0][0]]) * width)
    unfiltered = bytearray(b"".join(b"\0" + row for row in pixels))
    assert _present(unfiltered, (width, len(pixels)), block) == sorted(set(b"".join(pixels)))
