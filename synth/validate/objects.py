"""Object rules: the image and mask a line references, read from a folder, S3 or a mapping."""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from collections.abc import Iterator

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
    Pillow (see `_inflated`); `exact` decodes every object with Pillow (the reference)."""
    size: tuple[int, int] | None = None
    if facts.image_uri is not None:
        found = _read(reader, facts.image_uri)
        if found is None:
            yield _error("image.missing", "source-ref", f"no object at {facts.image_uri}")
        else:
            data, length = found
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
                yield _error(
                    "image.format", "source-ref", f"{facts.image_uri} is {kind}, not PNG or JPEG"
                )
            else:
                size = image.size
                if not all(MIN_IMAGE_SIDE <= side <= MAX_IMAGE_SIDE for side in size):
                    yield _error(
                        "image.size",
                        "source-ref",
                        f"the image is {size[0]}x{size[1]}; each side must be "
                        f"{MIN_IMAGE_SIDE} to {MAX_IMAGE_SIDE} pixels",
                    )
                elif whole and (broken := _undecodable(image, data, exact)) is not None:
                    yield _error(
                        "image.format",
                        "source-ref",
                        f"{facts.image_uri} does not decode completely: {broken}",
                    )
                else:
                    facts.image_size = size
    if facts.mask_uri is not None:
        mask = _read(reader, facts.mask_uri)
        if mask is not None and mask[1] > MAX_IMAGE_BYTES:
            message = f"the mask {facts.mask_uri} is {mask[1]:,} bytes, more than any image"
            yield _error("mask-image.format", mask_field, message)
        else:
            yield from _check_mask(
                facts, None if mask is None else mask[0], size, mask_field, chosen, exact
            )


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
    try:
        if not exact and mask.mode in ("P", "L"):
            counted = _indices(chunks, mask.size)
        present, counts = _color_counts(mask, None if exact else chunks, counted)
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
    clear = present >= _CLEAR  # fully transparent pixels, keyed by their RGB
    rgb = present & 0xFFFFFF
    if facts.colors is not None:
        stray = ~np.isin(rgb, _packed_colors(facts.colors))
        if (stray & ~clear).any():
            examples = ", ".join(f"#{int(c):06x}" for c in rgb[stray & ~clear][:3])
            yield _error(
                "mask-image.color",
                where,
                f"{int(counts[stray & ~clear].sum()):,} mask pixels have colors not in the "
                f"color map (such as {examples})",
            )
        if (stray & clear).any():
            examples = ", ".join(f"#{int(c):06x}" for c in rgb[stray & clear][:3])
            yield Problem(
                "mask-image.color",
                where,
                f"{int(counts[stray & clear].sum()):,} mask pixels are fully transparent and, "
                f"read as RGB, not in the color map (such as {examples})"
                + explain("mask-image.color", _TRANSPARENT, chosen),
                lenient_severity("mask-image.color", _TRANSPARENT, chosen),
                chosen.value,
            )
    # Read as the profile reads them: a transparent pixel is its RGB (docs) or background.
    seen = np.where(clear, rgb if chosen is Profile.DOCS else _WHITE, rgb)
    facts.mask_colors = frozenset(f"#{int(c):06x}" for c in seen)
    present = seen
    has_anomaly = bool((present != _WHITE).any())
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
    mask: Image.Image,
    chunks: list[tuple[bytes, memoryview]] | None = None,
    counted: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The mask's pixel colors (packed 0xRRGGBB, sorted) and how many pixels each.

    A fully transparent pixel (alpha 0 in an RGBA, LA or PA mask, or through a tRNS
    chunk) is keyed with `_CLEAR` added to its RGB, so that the profile decides how it
    is read; alpha is otherwise ignored, as the troubleshooting page's check ignores it.
    Palette and gray masks (synth's own are palette PNGs) are counted by index with
    Pillow's histogram, and the 256 indices read by Pillow's own conversion of a
    256-pixel strip with the mask's palette: no RGB copy of the mask, no sort of its pixels.
    A palette or gray mask's pixels per index `counted` from its inflated rows (see
    `_indices`) are used as they are; with the PNG's `chunks` (walked whole), a palette
    seen before reuses its strip's colors.
    """
    alpha = mask.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in mask.info
    if mask.mode in ("P", "L"):
        per_index = np.array(mask.histogram(), np.int64) if counted is None else counted
        palette = (
            mask.mode,
            alpha,
            *(bytes(body) for kind, body in chunks or () if kind in (b"PLTE", b"tRNS")),
        )
        lut = _LUTS.get(palette) if chunks else None
        if lut is None:
            strip = mask.crop((0, 0, 256, 1))  # the same palette, mode and tRNS, 256 pixels
            strip.putdata(range(256))
            lut = _keys(np.asarray(_convert(strip, alpha))[0])
            if chunks:
                if len(_LUTS) >= _LUTS_HELD:
                    _LUTS.clear()
                _LUTS[palette] = lut
        used = np.flatnonzero(per_index)
        present, where = np.unique(lut[used], return_inverse=True)
        counts = np.zeros(present.size, np.int64)
        np.add.at(counts, where, per_index[used])
        return present, counts
    return np.unique(_keys(np.asarray(_convert(mask, alpha))), return_counts=True)


# The packed colors of a palette's 256 indices, by (mode, alpha, PLTE, tRNS): a dataset's
# masks share one palette. Bounded: cleared when full.
_LUTS: dict[tuple[object, ...], np.ndarray] = {}
_LUTS_HELD = 64


def _indices(chunks: list[tuple[bytes, memoryview]], size: tuple[int, int]) -> np.ndarray | None:
    """The pixels per index of an 8-bit palette or gray PNG whose data inflates whole
    (as `_inflates` checks it) and whose every row is unfiltered (its bytes are its
    indices: synth writes its masks so), as Pillow's histogram counts them; None for
    Pillow to decode it."""
    header = chunks[0][1]
    if len(header) != 13 or header[8] != 8 or header[9] not in (0, 3):
        return None
    rows = _inflated(chunks, size)
    if rows is None or rows[:: size[0] + 1].count(0) != size[1]:
        return None
    # The rows as a gray image one column wider (the filter bytes), counted by Pillow.
    per_index = np.array(
        Image.frombuffer("L", (size[0] + 1, size[1]), rows, "raw", "L", 0, 1).histogram()
    )
    per_index[0] -= size[1]  # each row's filter byte, 0
    return per_index.astype(np.int64)


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


def _packed_colors(colors: frozenset[str]) -> np.ndarray:
    return np.array([rgb24(c) for c in colors], np.uint32)
