"""Object rules: the image and mask a line references, read from a folder, S3 or a mapping."""

from __future__ import annotations

import functools
import io
import warnings
import zlib
from collections.abc import Generator, Iterator

from PIL import Image, UnidentifiedImageError

from synth.format import (
    BACKGROUND_COLOR,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_SIDE,
    MAX_MASK_CLASSES,
    MIN_IMAGE_SIDE,
    Severity,
    rgb24,
)
from synth.validate.fields import LineFacts, Problem
from synth.validate.png import SIGNATURE, Png, read_png
from synth.validate.profiles import Profile, explain, lenient_severity
from synth.validate.readers import ObjectReader

_WHITE = rgb24(BACKGROUND_COLOR)
_CLEAR = 1 << 24  # added to a fully transparent pixel's packed RGB
_TRANSPARENT = "fully transparent mask pixels"  # the form of mask-image.color the service accepted


def _error(rule: str, where: str | None, message: str) -> Problem:
    return Problem(rule, where, message, Severity.ERROR)


def _open(data: bytes) -> Image.Image | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _header_only(data)
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def _header_only(data: bytes) -> Image.Image | None:
    """A PNG or JPEG past Pillow's pixel limit, read for its format and size only (never
    decoded: it is past MAX_IMAGE_SIDE too), so that its finding is its size, not 'not an
    image' (Image.open refuses it whole)."""
    from PIL import JpegImagePlugin, PngImagePlugin

    for kind in (PngImagePlugin.PngImageFile, JpegImagePlugin.JpegImageFile):
        try:
            return kind(io.BytesIO(data))
        except (OSError, SyntaxError, ValueError):
            continue
    return None


def check_objects(
    facts: LineFacts,
    reader: ObjectReader,
    mask_field: str | None,
    chosen: Profile = Profile.DOCS,
    *,
    exact: bool = False,
) -> Iterator[Problem]:
    """The line's object problems. Every object is read to its last byte (see
    `synth.validate.png`, `synth.validate.jpeg`); a sound PNG is not decoded by Pillow,
    nor opened by it when a PNG of the same header was (see `_sound_png`). `exact`
    decodes every object with Pillow too (the reference)."""
    size: tuple[int, int] | None = None
    if facts.image_uri is not None:
        found = _read(reader, facts.image_uri)
        if found is None:
            yield _error("image.missing", "source-ref", f"no object at {facts.image_uri}")
        else:
            png = _png(*found, rows=False)
            if not exact and (sound := _sound_png(png)) is not None:
                facts.image_size = size = sound  # no finding: its size is all checks need
            else:
                size = yield from _check_image(facts, facts.image_uri, *found, png, exact)
    if facts.mask_uri is not None:
        mask = _read(reader, facts.mask_uri)
        if mask is not None and mask[1] > MAX_IMAGE_BYTES:
            message = f"the mask {facts.mask_uri} is {mask[1]:,} bytes, more than any image"
            yield _error("mask-image.format", mask_field, message)
        else:
            yield from _check_mask(
                facts, None if mask is None else mask[0], size, mask_field, chosen, exact
            )


def _png(data: bytes, length: int, *, rows: bool = True) -> Png | str | None:
    """The object read as a PNG (see `read_png`; its `rows` kept, a mask's), when it is
    a whole one that says so."""
    if length > MAX_IMAGE_BYTES or not data.startswith(SIGNATURE):
        return None
    return read_png(data, MAX_IMAGE_SIDE, rows=rows)


def _check_image(
    facts: LineFacts, uri: str, data: bytes, length: int, png: Png | str | None, exact: bool
) -> Generator[Problem, None, tuple[int, int] | None]:
    """The image's problems, opened by Pillow, then its size when Pillow read one (noted
    in `facts` when the image has no problem)."""
    whole = length <= MAX_IMAGE_BYTES
    if not whole:
        yield _error(
            "image.file-size",
            "source-ref",
            f"the image is {length:,} bytes; the limit is {MAX_IMAGE_BYTES:,}",
        )
    image = _open(data)
    if image is None or image.format not in ("PNG", "JPEG"):
        kind = "not an image" if image is None else f"a {image.format} image"
        yield _error("image.format", "source-ref", f"{uri} is {kind}, not PNG or JPEG")
        return None
    size: tuple[int, int] = image.size
    if not all(MIN_IMAGE_SIDE <= side <= MAX_IMAGE_SIDE for side in size):
        yield _error(
            "image.size",
            "source-ref",
            f"the image is {size[0]}x{size[1]}; each side must be "
            f"{MIN_IMAGE_SIDE} to {MAX_IMAGE_SIDE} pixels",
        )
    elif whole and (broken := _undecodable(image, data, png, exact)) is not None:
        yield _error("image.format", "source-ref", f"{uri} does not decode completely: {broken}")
    else:
        facts.image_size = size
        if isinstance(png, Png):
            if len(_OPENED) >= _HELD:
                _OPENED.clear()
            _OPENED.add(png.key)
    return size


def _read(reader: ObjectReader, uri: str) -> tuple[bytes, int] | None:
    """An object's bytes (its head only, past the image size limit) and its size."""
    within = getattr(reader, "read_within", None)
    if within is not None:
        found: tuple[bytes, int] | None = within(uri, MAX_IMAGE_BYTES)
        return found
    data = reader.read(uri)
    return None if data is None else (data, len(data))


def _undecodable(
    image: Image.Image, data: bytes, png: Png | str | None, exact: bool = False
) -> str | None:
    """Why an image's bytes are not sound to the last, or None: a PNG read by `read_png`,
    a JPEG by `jpeg_problem`. `exact` has Pillow decode it too."""
    if image.format == "PNG":
        problem = png if isinstance(png, str) else None
        if png is None:  # Pillow took it for a PNG, without the signature: never sound
            problem = "it does not start with the PNG signature"
    else:  # libjpeg-turbo's module, only once a JPEG is read
        from synth.validate.jpeg import jpeg_problem

        problem = jpeg_problem(data)
    if problem is not None or not exact:
        return problem
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, zlib.error) as exc:
        return f"its pixels cannot be decoded ({exc})"
    return None


def _check_mask(
    facts: LineFacts,
    data: bytes | None,
    size: tuple[int, int] | None,
    where: str | None,
    chosen: Profile,
    exact: bool = False,
) -> Iterator[Problem]:
    if data is None:
        yield _error("mask-image.missing", where, f"no object at {facts.mask_uri}")
        return
    png = _png(data, len(data))
    if not exact and (present := _sound_mask(png, size, facts.colors)) is not None:
        yield from _mask_colors(facts, present, None, where, chosen)
        return
    mask = _open(data)
    if mask is None or mask.format != "PNG":
        kind = "not an image" if mask is None else f"a {mask.format} image"
        yield _error("mask-image.format", where, f"the mask {facts.mask_uri} is {kind}, not PNG")
        return
    if max(mask.size) <= MAX_IMAGE_SIDE and not isinstance(png, Png):
        broken = png or "it does not start with the PNG signature"
        yield _error(
            "mask-image.format",
            where,
            f"the mask {facts.mask_uri} does not decode completely: {broken}",
        )
        return
    if size is not None and mask.size != size:
        yield _error(
            "mask-image.size",
            where,
            f"the mask is {mask.size[0]}x{mask.size[1]}, its image {size[0]}x{size[1]}",
        )
    if not isinstance(png, Png):
        return  # no such image is valid (image.size or mask-image.size): not worth decoding
    counted = None if exact else _indices(png)  # pixels per index, from its rows
    try:
        colors, pixels = _color_counts(mask, None if exact else png.key, counted)
    except (OSError, ValueError, SyntaxError, zlib.error) as exc:
        yield _error(
            "mask-image.format",
            where,
            f"the mask {facts.mask_uri} does not decode completely: its pixels cannot be "
            f"decoded ({exc})",
        )
        return
    yield from _mask_colors(facts, colors, pixels, where, chosen)


def _mask_colors(
    facts: LineFacts,
    present: list[int],
    counts: list[int] | None,
    where: str | None,
    chosen: Profile,
) -> Iterator[Problem]:
    """The findings of a mask's colors (packed as `_color_counts` packs them, sorted;
    `counts` pixels each, needed only for colors not in the line's color map); its
    colors noted in `facts`. A mask holds a few colors: plain ints, no arrays."""
    if facts.colors is not None:
        allowed = _packed_colors(facts.colors)
        for transparent in (False, True):
            stray = [
                i
                for i, key in enumerate(present)
                if (key >= _CLEAR) is transparent and key & 0xFFFFFF not in allowed
            ]
            if not stray:
                continue
            assert counts is not None, "counts are given with colors not in the map"
            examples = ", ".join(f"#{present[i] & 0xFFFFFF:06x}" for i in stray[:3])
            pixels = sum(counts[i] for i in stray)
            if not transparent:
                yield _error(
                    "mask-image.color",
                    where,
                    f"{pixels:,} mask pixels have colors not in the color map (such as {examples})",
                )
                continue
            yield Problem(
                "mask-image.color",
                where,
                f"{pixels:,} mask pixels are fully transparent and, read as RGB, not in "
                f"the color map (such as {examples})"
                + explain("mask-image.color", _TRANSPARENT, chosen),
                lenient_severity("mask-image.color", _TRANSPARENT, chosen),
                chosen.value,
            )
    # Read as the profile reads them: a transparent pixel is its RGB (docs) or background.
    docs = chosen is Profile.DOCS
    seen = {key & 0xFFFFFF if key < _CLEAR or docs else _WHITE for key in present}
    facts.mask_colors = frozenset(f"#{rgb:06x}" for rgb in seen)
    has_anomaly = bool(seen - {_WHITE})
    # Classes are the map's colors other than background; a stray color is no class.
    classes = len(facts.mask_colors & (facts.colors or frozenset()) - {BACKGROUND_COLOR})
    if classes > MAX_MASK_CLASSES:
        yield _error(
            "mask-image.max-classes",
            where,
            f"{classes} anomaly classes in one mask; the limit is {MAX_MASK_CLASSES}",
        )
    if facts.class_name == "anomaly" and not has_anomaly:
        yield _error(
            "mask-image.label-agreement",
            where,
            "the image is labeled anomaly but its mask is empty",
        )
    elif facts.class_name == "normal" and has_anomaly:
        yield _error(
            "mask-image.label-agreement",
            where,
            "the image is labeled normal but its mask has anomaly pixels",
        )


def _color_counts(
    mask: Image.Image, key: bytes | None = None, counted: list[int] | None = None
) -> tuple[list[int], list[int]]:
    """The mask's pixel colors (packed 0xRRGGBB, sorted) and how many pixels each.

    A fully transparent pixel (alpha 0 in an RGBA, LA or PA mask, or through a tRNS
    chunk) is keyed with `_CLEAR` added to its RGB, so that the profile decides how it
    is read; alpha is otherwise ignored, as the troubleshooting page's check ignores it.
    Palette and gray masks (synth's own are palette PNGs) are counted by index with
    Pillow's histogram, and the 256 indices read by Pillow's own conversion of a
    256-pixel strip with the mask's palette: no RGB copy of the mask, no sort of its
    pixels, no numpy (its import costs more than a dataset's masks). A palette or gray
    mask's pixels per index `counted` from its inflated rows (see `_indices`) are used
    as they are; with the PNG's header `key` (see `header_key`), a header seen before
    reuses its strip's colors.
    """
    alpha = mask.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in mask.info
    if mask.mode not in ("P", "L"):
        return _all_colors(_convert(mask, alpha))
    per_index = mask.histogram() if counted is None else counted
    lut = None if key is None else _LUTS.get(key)
    if lut is None:
        strip = mask.crop((0, 0, 256, 1))  # the same palette, mode and tRNS, 256 pixels
        strip.putdata(range(256))
        pixels, step = _convert(strip, alpha).tobytes(), 4 if alpha else 3
        lut = [_key(pixels[at : at + step]) for at in range(0, 256 * step, step)]
        if key is not None:
            if len(_LUTS) >= _HELD:
                _LUTS.clear()
            _LUTS[key] = lut
    totals: dict[int, int] = {}
    for index, count in enumerate(per_index):
        if count:
            totals[lut[index]] = totals.get(lut[index], 0) + count
    present = sorted(totals)
    return present, [totals[color] for color in present]


def _all_colors(picture: Image.Image) -> tuple[list[int], list[int]]:
    """The colors (see `_color_counts`) of an RGB or RGBA picture, counted by numpy (a
    mask of other modes may hold as many colors as pixels)."""
    import numpy as np

    pixels = np.asarray(picture)
    rgb = pixels.astype(np.uint32)
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    if pixels.shape[-1] == 4:
        packed |= np.where(pixels[..., 3] == 0, np.uint32(_CLEAR), np.uint32(0))
    present, counts = np.unique(packed, return_counts=True)
    return present.tolist(), counts.tolist()


def _key(pixel: bytes) -> int:
    """An RGB or RGBA pixel as packed RGB, plus `_CLEAR` where its alpha is 0."""
    packed: int = (pixel[0] << 16) | (pixel[1] << 8) | pixel[2]
    return packed | _CLEAR if len(pixel) == 4 and pixel[3] == 0 else packed


# The packed colors of a palette or gray mask's 256 indices, by its header (see
# `header_key`): a dataset's masks share one. Bounded: cleared when full.
_LUTS: dict[bytes, list[int]] = {}
_HELD = 64


def _indices(png: Png) -> list[int] | None:
    """The pixels per index of an 8-bit palette or gray PNG whose every row is unfiltered
    (its bytes are its indices: synth writes its masks so), as Pillow's histogram counts
    them; None for Pillow to decode it."""
    rows = _unfiltered(png)
    if rows is None:
        return None
    per_index: list[int] = _rows_image(rows, png.size).histogram()
    per_index[0] -= png.size[1]  # each row's filter byte, 0
    return per_index


def _rows_image(rows: bytearray, size: tuple[int, int]) -> Image.Image:
    """Unfiltered 8-bit rows as a gray image one column wider (the filter bytes)."""
    return Image.frombuffer("L", (size[0] + 1, size[1]), rows, "raw", "L", 0, 1)


def _unfiltered(png: Png) -> bytearray | None:
    """The rows of an 8-bit palette or gray PNG, not interlaced, whose every row is
    unfiltered, each a 0 and its indices; else None."""
    rows = png.rows
    if rows is None or png.depth != 8 or png.color not in (0, 3) or png.interlaced:
        return None
    width, height = png.size
    return rows if rows[:: width + 1].count(0) == height else None


# Rows a mask's index search skips at once when they hold only its first pixel's index:
# fewer, and a few comparisons find them; more, and the search reads more of the rest.
_BLOCK = 32


def _present(rows: bytearray, size: tuple[int, int], block: int = _BLOCK) -> list[int]:
    """The indices the unfiltered rows of a `size` PNG hold. A run of rows of the first
    pixel's index alone (a mask's background, most of it) is found by comparing memory,
    `block` rows or more at a time, and not read again; the rest is searched by Pillow's
    extrema and a byte search an index (no count). A 0 is a pixel's only where it is no
    row's filter byte."""
    width, height = size
    row = width + 1
    first = rows[1]
    blank = bytes((0, *(first,) * width))
    view = memoryview(rows)
    kept: list[tuple[int, int]] = []  # runs of rows with another index, in order
    runs = [(0, height)]
    while runs:
        top, end = runs.pop()
        # Rows all `blank`: the first is, and each is the one before it.
        if rows.startswith(blank, top * row) and rows.startswith(
            view[(top + 1) * row : end * row], top * row
        ):
            continue
        if end - top <= block:
            kept.append((top, end))
        else:
            middle = (top + end) // 2
            runs += ((middle, end), (top, middle))
    if not kept:
        return [first]
    rest = bytearray().join(view[top * row : end * row] for top, end in kept)
    found = _searched(rest, (width, sum(end - top for top, end in kept)))
    return sorted({first, *found})


def _searched(rows: bytearray, size: tuple[int, int]) -> list[int]:
    """`_present`'s search of the rows: each index up to their top one looked for."""
    width = size[0]
    _, top = _rows_image(rows, size).getextrema()
    assert isinstance(top, int), "a gray image's extrema are ints"
    found = [index for index in range(1, top + 1) if index in rows]
    at, row = 0, width + 1
    while (at := rows.find(0, at + 1)) > 0 and at % row == 0:
        pass
    return [0, *found] if at > 0 else found


def _sound_png(png: Png | str | None) -> tuple[int, int] | None:
    """The size of a sound PNG (see `read_png`) that has no finding, when that is sure
    without Pillow: its size allowed, and Pillow opened a sound PNG of the same header
    before (its open reads no more than the header: it opens this one the same)."""
    if not isinstance(png, Png) or png.key not in _OPENED:
        return None
    if not all(MIN_IMAGE_SIDE <= side <= MAX_IMAGE_SIDE for side in png.size):
        return None
    return png.size


def _sound_mask(
    png: Png | str | None, size: tuple[int, int] | None, colors: frozenset[str] | None
) -> list[int] | None:
    """The colors (as `_color_counts` gives them) of a mask that has no finding of its
    format, size or colors not in the line's map, when that is sure without Pillow: a
    sound 8-bit palette or gray PNG of a header whose colors Pillow read before
    (`_LUTS`), its size its image's, its rows unfiltered. Else None."""
    if not isinstance(png, Png) or (lut := _LUTS.get(png.key)) is None:
        return None
    if size is not None and png.size != size:
        return None
    rows = _unfiltered(png)
    if rows is None:
        return None
    present = sorted({lut[index] for index in _present(rows, png.size)})
    if colors is not None and any(key & 0xFFFFFF not in _packed_colors(colors) for key in present):
        return None  # the finding needs its pixels counted: Pillow's path
    return present


# The headers (see `header_key`) of sound PNGs Pillow opened. Bounded: cleared when full.
_OPENED: set[bytes] = set()


def _convert(picture: Image.Image, alpha: bool) -> Image.Image:
    with warnings.catch_warnings():  # Pillow's palette-transparency advice: read on purpose
        warnings.simplefilter("ignore", UserWarning)
        return picture.convert("RGBA" if alpha else "RGB")


@functools.lru_cache(maxsize=64)  # a manifest's lines share a few color maps
def _packed_colors(colors: frozenset[str]) -> frozenset[int]:
    return frozenset(rgb24(c) for c in colors)
