"""Object rules: the image and mask a line references, read from a folder, S3 or a mapping."""

from __future__ import annotations

import functools
import io
import struct
import warnings
import zlib
from collections.abc import Generator, Iterator

import deflate
import numpy as np
from deflate import crc32
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
    """The line's object problems. PNGs whose data inflates whole are not decoded by
    Pillow (see `_inflated`), nor opened by it when a PNG of the same header was (see
    `_sound_png`); `exact` decodes every object with Pillow (the reference)."""
    size: tuple[int, int] | None = None
    if facts.image_uri is not None:
        found = _read(reader, facts.image_uri)
        if found is None:
            yield _error("image.missing", "source-ref", f"no object at {facts.image_uri}")
        elif exact or (sound := _sound_png(*found)) is None:
            size = yield from _check_image(facts, facts.image_uri, *found, exact)
        else:  # no finding: its size is all the other checks need
            facts.image_size = size = sound[1]
    if facts.mask_uri is not None:
        mask = _read(reader, facts.mask_uri)
        if mask is not None and mask[1] > MAX_IMAGE_BYTES:
            message = f"the mask {facts.mask_uri} is {mask[1]:,} bytes, more than any image"
            yield _error("mask-image.format", mask_field, message)
        else:
            yield from _check_mask(
                facts, None if mask is None else mask[0], size, mask_field, chosen, exact
            )


def _check_image(
    facts: LineFacts, uri: str, data: bytes, length: int, exact: bool
) -> Generator[Problem, None, tuple[int, int] | None]:
    """The image's problems, read by Pillow, then its size when Pillow read one (noted in
    `facts` when the image has no problem)."""
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
    elif whole and (broken := _undecodable(image, data, exact)) is not None:
        yield _error("image.format", "source-ref", f"{uri} does not decode completely: {broken}")
    else:
        facts.image_size = size
        if image.format == "PNG" and (walked := _walk(data)) is not None:
            if len(_OPENED) >= _HELD:
                _OPENED.clear()
            _OPENED.add(walked[0])
    return size


def _read(reader: ObjectReader, uri: str) -> tuple[bytes, int] | None:
    """An object's bytes (its head only, past the image size limit) and its size."""
    within = getattr(reader, "read_within", None)
    if within is not None:
        found: tuple[bytes, int] | None = within(uri, MAX_IMAGE_BYTES)
        return found
    data = reader.read(uri)
    return None if data is None else (data, len(data))


def _undecodable(image: Image.Image, data: bytes, exact: bool = False) -> str | None:
    """Why an image's bytes do not decode to its last pixel and end, or None.

    Pillow decodes the pixels (a cut or corrupt deflate or JPEG stream fails there); a
    PNG's chunks are walked too, since a decoder need not check the CRCs or the IEND
    chunk, and a JPEG must end in its EOI marker. A PNG whose data inflates whole (see
    `_inflates`) is not decoded again: it is what Pillow would decode without a fault.
    """
    if image.format == "PNG":
        chunks: list[tuple[bytes, memoryview]] = []
        problem = _png_chunks(data, chunks)
        if problem is None and not exact and _inflates(chunks, image.size):
            return None
    else:
        problem = None if data.rstrip(b"\0").endswith(b"\xff\xd9") else "no end-of-image marker"
    if problem is not None:
        return problem
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, zlib.error) as exc:
        return f"its pixels cannot be decoded ({exc})"
    return _short(chunks) if image.format == "PNG" else None


_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)


def _short(chunks: list[tuple[bytes, memoryview]]) -> str | None:
    """Why a PNG's data inflates to fewer bytes than its rows need, or None.

    Pillow fills the rows past a stream that ends early (but ends well: its checksum
    right) with zeros, and says nothing: half an image passed. Counted as it inflates,
    a MiB at a time; only PNGs Pillow decoded (those `_inflates` could not vouch for).
    """
    header = next((bytes(body) for kind, body in chunks if kind == b"IHDR"), b"")
    if len(header) != 13:
        return None
    width, height, depth, color, _, _, interlaced = struct.unpack(">IIBBBBB", header)
    channels = _CHANNELS.get(color)
    if channels is None:
        return None
    need = 0
    for x, y, dx, dy in _ADAM7 if interlaced else ((0, 0, 1, 1),):
        columns, rows = (width - x + dx - 1) // dx, (height - y + dy - 1) // dy
        if columns and rows:
            need += rows * ((columns * channels * depth + 7) // 8 + 1)
    inflater, got = zlib.decompressobj(), 0
    try:
        for kind, body in chunks:
            tail = bytes(body) if kind == b"IDAT" else b""
            while tail and got < need:
                got += len(inflater.decompress(tail, 1 << 20))
                tail = inflater.unconsumed_tail
        while got < need and not inflater.eof and (more := inflater.decompress(b"", 1 << 20)):
            got += len(more)
    except zlib.error:
        return None  # Pillow decoded it: a stream zlib refuses is not this finding's
    if got < need:
        return f"its pixel data ends after {got:,} of the {need:,} bytes its rows need"
    return None


def _png_chunks(data: bytes, chunks: list[tuple[bytes, memoryview]] | None = None) -> str | None:
    """Why a PNG's chunks are not whole (lengths, CRCs, an IEND at the end), or None;
    each chunk's kind and data added to `chunks`, when given."""
    view = memoryview(data)
    at = 8  # past the signature
    while at + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, at)
        end = at + 12 + length
        if end > len(data):
            return f"its {_name(kind)} chunk is cut short"
        if crc32(view[at + 4 : end - 4]) != int.from_bytes(view[end - 4 : end], "big"):
            return f"the CRC of its {_name(kind)} chunk is wrong"
        if chunks is not None:
            chunks.append((kind, view[at + 8 : end - 4]))
        if kind == b"IEND":
            return None
        at = end
    return "it ends without an IEND chunk"


def _name(kind: bytes) -> str:
    return kind.decode("latin-1").encode("unicode_escape").decode()


# Channels per PNG color type: gray, RGB, palette, gray and alpha, RGBA.
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_FILTERS = bytes(range(5))  # None, Sub, Up, Average, Paeth


def _inflates(chunks: list[tuple[bytes, memoryview]], size: tuple[int, int]) -> bool:
    """Whether a PNG with whole chunks decodes without a fault (see `_inflated`)."""
    return _inflated(chunks, size) is not None


def _inflated(chunks: list[tuple[bytes, memoryview]], size: tuple[int, int]) -> bytearray | None:
    """The rows of a PNG with whole chunks, each its filter byte and its pixels, when its
    one run of IDAT chunks (the data Pillow reads) inflates (libdeflate, checking the
    stream's Adler-32) to exactly the bytes its rows need and every row has a known
    filter: then Pillow decodes it without a fault. None when in doubt (interlaced,
    chunks other than IEND after the data, another stream length), for Pillow to decode
    and say why."""
    kinds = [kind for kind, _ in chunks]
    if kinds[0] != b"IHDR" or len(chunks[0][1]) != 13 or b"IDAT" not in kinds:
        return None
    first = kinds.index(b"IDAT")
    last = first
    while kinds[last + 1] == b"IDAT":
        last += 1
    if kinds[last + 1 :] != [b"IEND"]:
        return None
    width, height, depth, color, _, _, interlaced = struct.unpack(">IIBBBBB", chunks[0][1])
    channels = _CHANNELS.get(color)
    if (width, height) != size or interlaced or channels is None:
        return None
    if color == 3 and b"PLTE" not in kinds[:first]:
        return None
    row = (width * channels * depth + 7) // 8 + 1  # its filter byte, then its pixels
    stream = b"".join(body for _, body in chunks[first : last + 1])
    try:
        rows: bytearray = deflate.zlib_decompress(stream, row * height)
    except deflate.DeflateError:
        return None
    if len(rows) != row * height or rows[::row].translate(None, _FILTERS):
        return None
    return rows


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
    if not exact and (present := _sound_mask(data, size, facts.colors)) is not None:
        yield from _mask_colors(facts, present, None, where, chosen)
        return
    mask = _open(data)
    if mask is None or mask.format != "PNG":
        kind = "not an image" if mask is None else f"a {mask.format} image"
        yield _error("mask-image.format", where, f"the mask {facts.mask_uri} is {kind}, not PNG")
        return
    chunks: list[tuple[bytes, memoryview]] = []
    if max(mask.size) <= MAX_IMAGE_SIDE and (broken := _png_chunks(data, chunks)) is not None:
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
    if max(mask.size) > MAX_IMAGE_SIDE:
        return  # no such image is valid (image.size or mask-image.size): not worth decoding
    counted = None  # pixels per index, from rows that inflated whole: no _short to ask
    key = None if exact else _header(chunks)
    try:
        if not exact and mask.mode in ("P", "L"):
            counted = _indices(chunks, mask.size)
        colors, pixels = _color_counts(mask, key, counted)
    except (OSError, ValueError, SyntaxError, zlib.error) as exc:
        yield _error(
            "mask-image.format",
            where,
            f"the mask {facts.mask_uri} does not decode completely: its pixels cannot be "
            f"decoded ({exc})",
        )
        return
    if counted is None and (short := _short(chunks)) is not None:
        yield _error(
            "mask-image.format",
            where,
            f"the mask {facts.mask_uri} does not decode completely: {short}",
        )
        return
    yield from _mask_colors(facts, colors.tolist(), pixels.tolist(), where, chosen)


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
    mask: Image.Image, key: bytes | None = None, counted: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The mask's pixel colors (packed 0xRRGGBB, sorted) and how many pixels each.

    A fully transparent pixel (alpha 0 in an RGBA, LA or PA mask, or through a tRNS
    chunk) is keyed with `_CLEAR` added to its RGB, so that the profile decides how it
    is read; alpha is otherwise ignored, as the troubleshooting page's check ignores it.
    Palette and gray masks (synth's own are palette PNGs) are counted by index with
    Pillow's histogram, and the 256 indices read by Pillow's own conversion of a
    256-pixel strip with the mask's palette: no RGB copy of the mask, no sort of its pixels.
    A palette or gray mask's pixels per index `counted` from its inflated rows (see
    `_indices`) are used as they are; with the PNG's header `key` (see `_header`), a
    header seen before reuses its strip's colors.
    """
    alpha = mask.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in mask.info
    if mask.mode in ("P", "L"):
        per_index = np.array(mask.histogram(), np.int64) if counted is None else counted
        lut = None if key is None else _LUTS.get(key)
        if lut is None:
            strip = mask.crop((0, 0, 256, 1))  # the same palette, mode and tRNS, 256 pixels
            strip.putdata(range(256))
            lut = _keys(np.asarray(_convert(strip, alpha))[0])
            if key is not None:
                if len(_LUTS) >= _HELD:
                    _LUTS.clear()
                _LUTS[key] = lut
        used = np.flatnonzero(per_index)
        present, where = np.unique(lut[used], return_inverse=True)
        counts = np.zeros(present.size, np.int64)
        np.add.at(counts, where, per_index[used])
        return present, counts
    return np.unique(_keys(np.asarray(_convert(mask, alpha))), return_counts=True)


# The packed colors of a palette or gray mask's 256 indices, by its header (see `_header`):
# a dataset's masks share one. Bounded: cleared when full.
_LUTS: dict[bytes, np.ndarray] = {}
_HELD = 64


def _indices(chunks: list[tuple[bytes, memoryview]], size: tuple[int, int]) -> np.ndarray | None:
    """The pixels per index of an 8-bit palette or gray PNG whose data inflates whole
    (as `_inflates` checks it) and whose every row is unfiltered (its bytes are its
    indices: synth writes its masks so), as Pillow's histogram counts them; None for
    Pillow to decode it."""
    rows = _unfiltered(chunks, size)
    if rows is None:
        return None
    # The rows as a gray image one column wider (the filter bytes), counted by Pillow.
    per_index = np.array(
        Image.frombuffer("L", (size[0] + 1, size[1]), rows, "raw", "L", 0, 1).histogram()
    )
    per_index[0] -= size[1]  # each row's filter byte, 0
    return per_index.astype(np.int64)


def _unfiltered(chunks: list[tuple[bytes, memoryview]], size: tuple[int, int]) -> bytearray | None:
    """The rows of an 8-bit palette or gray PNG whose data inflates whole (as `_inflates`
    checks it) and whose every row is unfiltered, each a 0 and its indices; else None."""
    header = chunks[0][1]
    if len(header) != 13 or header[8] != 8 or header[9] not in (0, 3):
        return None
    rows = _inflated(chunks, size)
    if rows is None or rows[:: size[0] + 1].count(0) != size[1]:
        return None
    return rows


def _present(rows: bytearray, width: int) -> list[int]:
    """The indices the unfiltered rows of `width` pixels hold (a byte search each: no
    count). A 0 is a pixel's only where it is no row's filter byte."""
    top = int(np.frombuffer(rows, np.uint8).max())
    found = [index for index in range(1, top + 1) if index in rows]
    at, row = 0, width + 1
    while (at := rows.find(0, at + 1)) > 0 and at % row == 0:
        pass
    return [0, *found] if at > 0 else found


def _sound_png(data: bytes, length: int) -> tuple[bytes, tuple[int, int]] | None:
    """The header key (see `_header`) and size of a PNG that has no finding, when that
    is sure without Pillow: its chunks whole, its size allowed, its data inflating whole
    (see `_inflated`), and Pillow opened a sound PNG of the same header before (its open
    reads no more than the header: it opens this one the same). Else None."""
    walked = None if length > MAX_IMAGE_BYTES else _walk(data)
    if walked is None or walked[0] not in _OPENED:
        return None
    key, size, chunks = walked
    if not all(MIN_IMAGE_SIDE <= side <= MAX_IMAGE_SIDE for side in size):
        return None
    return (key, size) if _inflates(chunks, size) else None


def _sound_mask(
    data: bytes, size: tuple[int, int] | None, colors: frozenset[str] | None
) -> list[int] | None:
    """The colors (as `_color_counts` gives them) of a mask that has no finding of its
    format, size or colors not in the line's map, when that is sure without Pillow: an
    8-bit palette or gray PNG of a header whose colors Pillow read before (`_LUTS`), its
    chunks whole, its size its image's, its rows inflating whole and unfiltered. Else None."""
    walked = _walk(data)
    if walked is None or (lut := _LUTS.get(walked[0])) is None:
        return None
    _, shape, chunks = walked
    if max(shape) > MAX_IMAGE_SIDE or (size is not None and shape != size):
        return None
    rows = _unfiltered(chunks, shape)
    if rows is None:
        return None
    present = sorted({int(lut[index]) for index in _present(rows, shape[0])})
    if colors is not None and any(key & 0xFFFFFF not in _packed_colors(colors) for key in present):
        return None  # the finding needs its pixels counted: Pillow's path
    return present


_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The headers (see `_header`) of sound PNGs Pillow opened. Bounded: cleared when full.
_OPENED: set[bytes] = set()


def _walk(data: bytes) -> tuple[bytes, tuple[int, int], list[tuple[bytes, memoryview]]] | None:
    """A PNG's header key (see `_header`), size and chunks, when its chunks are whole."""
    chunks: list[tuple[bytes, memoryview]] = []
    if not data.startswith(_SIGNATURE) or _png_chunks(data, chunks) is not None:
        return None
    key = _header(chunks)
    if key is None:
        return None
    width, height = struct.unpack_from(">II", chunks[0][1])
    return key, (width, height), chunks


def _header(chunks: list[tuple[bytes, memoryview]]) -> bytes | None:
    """All that Pillow's open reads of a PNG but its size, as one key: its IHDR's other
    fields and every chunk before its first IDAT. None without an IHDR first."""
    if not chunks or chunks[0][0] != b"IHDR" or len(chunks[0][1]) != 13:
        return None
    parts = [bytes(chunks[0][1][8:])]
    for kind, body in chunks[1:]:
        if kind == b"IDAT":
            break
        parts += (kind, len(body).to_bytes(4, "big"), bytes(body))
    return b"".join(parts)


def _convert(picture: Image.Image, alpha: bool) -> Image.Image:
    with warnings.catch_warnings():  # Pillow's palette-transparency advice: read on purpose
        warnings.simplefilter("ignore", UserWarning)
        return picture.convert("RGBA" if alpha else "RGB")


def _keys(pixels: np.ndarray) -> np.ndarray:
    """RGB or RGBA pixels as packed RGB, plus `_CLEAR` where alpha is 0."""
    rgb = pixels.astype(np.uint32)
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    if pixels.shape[-1] == 4:
        packed |= np.where(pixels[..., 3] == 0, np.uint32(_CLEAR), np.uint32(0))
    return packed


@functools.lru_cache(maxsize=64)  # a manifest's lines share a few color maps
def _packed_colors(colors: frozenset[str]) -> frozenset[int]:
    return frozenset(rgb24(c) for c in colors)
