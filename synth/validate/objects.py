"""Object rules: the image and mask a line references, read from a folder, S3 or a mapping."""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from collections.abc import Iterator

import numpy as np
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
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        return None


def check_objects(
    facts: LineFacts,
    reader: ObjectReader,
    mask_field: str | None,
    chosen: Profile = Profile.DOCS,
) -> Iterator[Problem]:
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
                elif whole and (broken := _undecodable(image, data)) is not None:
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
                facts, None if mask is None else mask[0], size, mask_field, chosen
            )


def _read(reader: ObjectReader, uri: str) -> tuple[bytes, int] | None:
    """An object's bytes (its head only, past the image size limit) and its size."""
    within = getattr(reader, "read_within", None)
    if within is not None:
        found: tuple[bytes, int] | None = within(uri, MAX_IMAGE_BYTES)
        return found
    data = reader.read(uri)
    return None if data is None else (data, len(data))


def _undecodable(image: Image.Image, data: bytes) -> str | None:
    """Why an image's bytes do not decode to its last pixel and end, or None.

    Pillow decodes the pixels (a cut or corrupt deflate or JPEG stream fails there); a
    PNG's chunks are walked too, since a decoder need not check the CRCs or the IEND
    chunk, and a JPEG must end in its EOI marker.
    """
    if image.format == "PNG":
        problem = _png_chunks(data)
    else:
        problem = None if data.rstrip(b"\0").endswith(b"\xff\xd9") else "no end-of-image marker"
    if problem is not None:
        return problem
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, zlib.error) as exc:
        return f"its pixels cannot be decoded ({exc})"
    return None


def _png_chunks(data: bytes) -> str | None:
    """Why a PNG's chunks are not whole (lengths, CRCs, an IEND at the end), or None."""
    at = 8  # past the signature
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        name = kind.decode("latin-1").encode("unicode_escape").decode()
        end = at + 12 + length
        if end > len(data):
            return f"its {name} chunk is cut short"
        if zlib.crc32(data[at + 4 : end - 4]) != int.from_bytes(data[end - 4 : end], "big"):
            return f"the CRC of its {name} chunk is wrong"
        if kind == b"IEND":
            return None
        at = end
    return "it ends without an IEND chunk"


def _check_mask(
    facts: LineFacts,
    data: bytes | None,
    size: tuple[int, int] | None,
    where: str | None,
    chosen: Profile,
) -> Iterator[Problem]:
    if data is None:
        yield _error("mask-image.missing", where, f"no object at {facts.mask_uri}")
        return
    mask = _open(data)
    if mask is None or mask.format != "PNG":
        kind = "not an image" if mask is None else f"a {mask.format} image"
        yield _error("mask-image.format", where, f"the mask {facts.mask_uri} is {kind}, not PNG")
        return
    if max(mask.size) <= MAX_IMAGE_SIDE and (broken := _png_chunks(data)) is not None:
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
    try:
        present, counts = _color_counts(mask)
    except (OSError, ValueError, SyntaxError, zlib.error) as exc:
        yield _error(
            "mask-image.format",
            where,
            f"the mask {facts.mask_uri} does not decode completely: its pixels cannot be "
            f"decoded ({exc})",
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


def _color_counts(mask: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """The mask's pixel colors (packed 0xRRGGBB, sorted) and how many pixels each.

    A fully transparent pixel (alpha 0 in an RGBA, LA or PA mask, or through a tRNS
    chunk) is keyed with `_CLEAR` added to its RGB, so that the profile decides how it
    is read; alpha is otherwise ignored, as the troubleshooting page's check ignores it.
    Palette and gray masks (synth's own are palette PNGs) are counted by index with
    Pillow's histogram, and the 256 indices read by Pillow's own conversion of a
    256-pixel strip with the mask's palette: no RGB copy of the mask, no sort of its pixels.
    """
    alpha = mask.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in mask.info
    if mask.mode in ("P", "L"):
        per_index = np.array(mask.histogram(), np.int64)
        strip = mask.crop((0, 0, 256, 1))  # the same palette, mode and tRNS, 256 pixels
        strip.putdata(range(256))
        lut = _keys(np.asarray(_convert(strip, alpha))[0])
        used = np.flatnonzero(per_index)
        present, where = np.unique(lut[used], return_inverse=True)
        counts = np.zeros(present.size, np.int64)
        np.add.at(counts, where, per_index[used])
        return present, counts
    return np.unique(_keys(np.asarray(_convert(mask, alpha))), return_counts=True)


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
