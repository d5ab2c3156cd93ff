"""Object rules: the image and mask a line references, read from a folder, S3 or a mapping."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image, UnidentifiedImageError

from synth.format import (
    BACKGROUND_COLOR,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_SIDE,
    MAX_MASK_CLASSES,
    MIN_IMAGE_SIDE,
    S3Uri,
    Severity,
    rgb24,
)
from synth.validate.fields import LineFacts, Problem

_WHITE = rgb24(BACKGROUND_COLOR)


class ObjectReader(Protocol):
    def read(self, uri: str) -> bytes | None:
        """The object's bytes, or None if there is no such object."""


class FolderReader:
    """A local folder that is a bucket's root: s3://BUCKET/KEY is ROOT/KEY."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, uri: str) -> bytes | None:
        parsed = S3Uri.find(uri)
        if parsed is None:
            return None
        path = self.root / parsed.key
        try:
            return path.read_bytes() if path.is_file() else None
        except OSError:
            return None


class MappingReader:
    def __init__(self, objects: Mapping[str, bytes]) -> None:
        self.objects = objects

    def read(self, uri: str) -> bytes | None:
        return self.objects.get(uri)


class S3Reader:
    def __init__(self, client: Any) -> None:
        self.client = client

    def read(self, uri: str) -> bytes | None:
        from botocore.exceptions import ClientError

        parsed = S3Uri.find(uri)
        if parsed is None:
            return None
        try:
            return self.client.get_object(Bucket=parsed.bucket, Key=parsed.key)["Body"].read()
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise


def object_reader(objects: ObjectReader | Path | Mapping[str, bytes] | Any) -> ObjectReader:
    """Adapt a folder, a mapping uri -> bytes, or a boto3 S3 client."""
    if isinstance(objects, Path):
        return FolderReader(objects)
    if isinstance(objects, Mapping):
        return MappingReader(objects)
    if hasattr(objects, "get_object"):
        return S3Reader(objects)
    if hasattr(objects, "read"):
        return objects
    raise TypeError(f"cannot read objects from {type(objects).__name__}")


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
    facts: LineFacts, reader: ObjectReader, mask_field: str | None
) -> Iterator[Problem]:
    size: tuple[int, int] | None = None
    if facts.image_uri is not None:
        data = reader.read(facts.image_uri)
        if data is None:
            yield _error("image.missing", "source-ref", f"no object at {facts.image_uri}")
        else:
            if len(data) > MAX_IMAGE_BYTES:
                yield _error(
                    "image.file-size",
                    "source-ref",
                    f"the image is {len(data):,} bytes; the limit is {MAX_IMAGE_BYTES:,}",
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
                else:
                    facts.image_size = size
    if facts.mask_uri is not None:
        yield from _check_mask(facts, reader.read(facts.mask_uri), size, mask_field)


def _check_mask(
    facts: LineFacts, data: bytes | None, size: tuple[int, int] | None, where: str | None
) -> Iterator[Problem]:
    if data is None:
        yield _error("mask-image.missing", where, f"no object at {facts.mask_uri}")
        return
    mask = _open(data)
    if mask is None or mask.format != "PNG":
        kind = "not an image" if mask is None else f"a {mask.format} image"
        yield _error("mask-image.format", where, f"the mask {facts.mask_uri} is {kind}, not PNG")
        return
    if size is not None and mask.size != size:
        yield _error(
            "mask-image.size",
            where,
            f"the mask is {mask.size[0]}x{mask.size[1]}, its image {size[0]}x{size[1]}",
        )
    try:
        rgb = np.asarray(mask.convert("RGB"), dtype=np.uint32)
    except (OSError, ValueError):
        yield _error("mask-image.format", where, f"the mask {facts.mask_uri} cannot be decoded")
        return
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    present, counts = np.unique(packed, return_counts=True)
    facts.mask_colors = frozenset(f"#{int(c):06x}" for c in present)
    if facts.colors is not None:
        allowed = np.array([rgb24(c) for c in facts.colors], np.uint32)
        stray = ~np.isin(present, allowed)
        if stray.any():
            examples = ", ".join(f"#{int(c):06x}" for c in present[stray][:3])
            yield _error(
                "mask-image.color",
                where,
                f"{int(counts[stray].sum()):,} mask pixels have colors not in the color map "
                f"(such as {examples})",
            )
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
