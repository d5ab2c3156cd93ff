"""Image + mask: paint a spec's defects onto its base image and label every pixel.

The mask is an index array (0 = background, i = the preset's i-th class). Defects
are painted in order and a later defect wins where two overlap, in the image and in
the mask alike, so the label of a pixel is always the defect you see there. Each
defect also comes back as drawn (class, painter, drawn parameters, box and labeled
pixels): `synth.annotate.instances` turns them into per-defect records.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synth.config.preset import Preset
from synth.errors import InputError, OutputError
from synth.format import MAX_IMAGE_BYTES
from synth.imaging import checks
from synth.imaging.base_images import ROI_SUFFIX, roi_of
from synth.imaging.defects import PAINTERS, Painted
from synth.imaging.defects.base import Region, within
from synth.imaging.encode import encode_valid_image
from synth.imaging.textures import load_part, render_base
from synth.plan import ImageSpec
from synth.seeding import Stream, image_rng

BASE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")


@dataclass(frozen=True, slots=True)
class Drawn:
    """A defect as the renderer painted it, before later defects covered any of it."""

    label: int  # its value in `Rendered.labels`: 1 + the class's index in the preset
    class_name: str
    painter: str
    params: Mapping[str, float]  # the values drawn from the preset's ranges
    box: tuple[slice, slice]  # where its mask lies in the image
    mask: np.ndarray  # bool, the shape of `box`: the pixels it labeled


@dataclass(frozen=True, slots=True)
class Rendered:
    image: np.ndarray  # uint8 (H, W, 3)
    labels: np.ndarray  # uint8 (H, W): indices into the color map
    drawn: tuple[Drawn, ...] = ()  # each defect, in painting order
    # uint8 (H, W, 3): the anomalous image without its defects, when the preset asks
    # for clean twins; None otherwise and for normal images.
    clean: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class Base:
    """A user's base image, and the region of interest its defects stay in, if it has one."""

    image: Path
    roi: Path | None = None


def base_files(base_dir: Path, roi_dir: Path | None = None) -> tuple[Base, ...]:
    """A user's base images, sorted so the choice per image is reproducible, each with its
    region of interest (NAME.roi.png beside it, or in `roi_dir`), which is no base itself."""
    images = sorted(
        path
        for path in base_dir.iterdir()
        if path.suffix.lower() in BASE_SUFFIXES and not path.stem.endswith(ROI_SUFFIX)
    )
    return tuple(Base(path, roi_of(path, roi_dir)) for path in images)


# Draws of a crop holding some of the part, and of a defect's place touching it, before
# giving up: a region that small is one pixel in thousands.
_TRIES = 20


def render(preset: Preset, spec: ImageSpec, seed: int, bases: tuple[Base, ...] = ()) -> Rendered:
    rng = image_rng(seed, spec.index, Stream.RENDER)
    region = None
    if bases:
        image, region = _load(bases[rng.integers(len(bases))], preset, rng)
    else:
        texture = preset.textures[rng.integers(len(preset.textures))]
        image = render_base(texture, preset.height, preset.width, rng)
    _trim_heap(image.shape[0] * image.shape[1])
    labels = np.zeros((preset.height, preset.width), np.uint8)
    drawn: list[Drawn] = []
    clean = to_uint8(image) if spec.anomalous and preset.clean_twins else None
    if spec.anomalous:
        if spec.only_class is None:
            chosen = _chosen_classes(len(preset.classes), rng)
        else:
            chosen = [spec.only_class]
        for class_index in chosen:
            cls = preset.classes[class_index]
            painter = PAINTERS[cls.painter]
            for _ in range(rng.integers(cls.count[0], cls.count[1] + 1)):
                params = painter.get_params(rng, cls.params)  # as painter(...) draws them
                painted = _paint(cls.painter, image, params, rng, preset.mask_extent, region)
                if painted is None:
                    continue
                box, mask = _put(painted, image, labels, class_index + 1)
                drawn.append(Drawn(class_index + 1, cls.name, cls.painter, params, box, mask))
        _trim_heap(image.shape[0] * image.shape[1])
    return Rendered(image=into_uint8(image), labels=labels, drawn=tuple(drawn), clean=clean)


def check_fits(preset: Preset, bases: tuple[Base, ...], compress_level: int) -> None:
    """Refuse, before anything is written, a texture or base image whose images cannot be
    written under the service's file-size limit at this size: one draw of each, encoded as
    the run would (up the level ladder). Below the size where even incompressible pixels
    fit, nothing is drawn."""
    height, width = preset.height, preset.width
    if width * height * 3 * 1.01 + height + 4096 <= MAX_IMAGE_BYTES:
        return
    sources: list[tuple[str, Base | str]] = [(f"base image {b.image}", b) for b in bases] or [
        (f"texture {name!r}", name) for name in preset.textures
    ]
    for what, source in sources:
        rng = np.random.default_rng(0)
        if isinstance(source, Base):
            pixels = load_part(source.image, None, height, width, rng)[0]
        else:
            pixels = render_base(source, height, width, rng)
        image = into_uint8(pixels)
        del pixels
        try:
            encode_valid_image(image, preset.image_format, compress_level)
        except OutputError as exc:
            raise OutputError(f"{what}: {exc}") from None


def _load(base: Base, preset: Preset, rng: np.random.Generator) -> tuple[np.ndarray, Region | None]:
    """A base image's crop and the region of interest within it (None without one). A crop
    that misses the part is drawn again; the draws are the image's own, so a base without
    a region gives the image it always did."""
    for _ in range(_TRIES):
        image, roi = load_part(base.image, base.roi, preset.height, preset.width, rng)
        if roi is None:
            return image, None
        if roi.any():
            return image, Region.of(roi)
    raise InputError(
        f"{base.roi}: {_TRIES} crops of its image at {preset.width}x{preset.height} held none "
        "of the region of interest: draw a larger region, or choose a size closer to the image's"
    )


def _paint(
    name: str,
    image: np.ndarray,
    params: Mapping[str, float],
    rng: np.random.Generator,
    extent: str,
    region: Region | None,
) -> Painted | None:
    """One defect, its mask as `extent` says, kept inside the region of interest if there is
    one: placed there (`within`), cut at its edge, and drawn again if none of it lay inside
    (a thin stroke bowing off a thin part). None if no draw touched the region."""
    with within(region):
        for _ in range(_TRIES):
            made = checks.call(f"painter {name!r}", PAINTERS[name].apply, image, params, rng)
            painted = checks.painted(name, made, image.shape)
            if extent == "visible":
                painted = painted.visible(image[painted.box])
            if region is None:
                return painted
            kept = painted.inside(region.mask[painted.box], image[painted.box])
            if kept is not None:
                return kept
    return None


def _put(
    painted: Painted, image: np.ndarray, labels: np.ndarray, label: int
) -> tuple[tuple[slice, slice], np.ndarray]:
    """One defect into the image and its labels, in place; its box and mask. Its patch
    (up to 50 MiB at 4096 px) is freed on return, before the next defect or the uint8
    copy is made."""
    painted.paint(image)
    labels[painted.box][painted.mask] = label
    return painted.box, painted.mask


def _malloc_trim() -> Callable[[int], int]:
    """glibc's malloc_trim, or a no-op where the C library has none."""
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError, TypeError):
        return lambda pad: 0
    return trim


_MALLOC_TRIM = _malloc_trim()
_TRIM_PIXELS = 1 << 22  # 2048x2048; below it little is left over and a trim costs its time


def _trim_heap(pixels: int) -> None:
    """Give the heap's free pages back to the system after a large texture or its defects
    (an image of `pixels` pixels): glibc keeps their freed band and strip temporaries
    (30-70 MiB at 4096 px), counted in the worker's RSS while the uint8 image is made."""
    if pixels >= _TRIM_PIXELS:
        _MALLOC_TRIM(0)


def _chosen_classes(n: int, rng: np.random.Generator) -> list[int]:
    """A non-empty random subset of the classes, in color-map order."""
    chosen = np.flatnonzero(rng.random(n) < 0.5)
    return chosen.tolist() if chosen.size else [int(rng.integers(n))]


def _rounded(band: np.ndarray) -> np.ndarray:
    """Rows of a float image in [0, 1] as float32 0..255, rounded (a new array)."""
    out = np.multiply(band, 255.0, dtype=np.float32)
    np.clip(out, 0.0, 255.0, out=out)
    return np.rint(out, out=out)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Rounded to 0..255, 64 rows at a time: no second full-size float copy of the image
    (192 MiB at 4096x4096)."""
    out = np.empty(image.shape, np.uint8)
    for top in range(0, image.shape[0], 64):
        out[top : top + 64] = _rounded(image[top : top + 64])
    return out


def into_uint8(image: np.ndarray) -> np.ndarray:
    """to_uint8 of a float32 image no longer needed, written over its own memory, which is
    then shrunk to the uint8 image's size (realloc): the 192 MiB of a 4096 px float image
    and its 48 MiB uint8 copy are never alive together, so a worker's peak is the texture's
    (bench/bench_sizes.py). `image` is unusable afterwards. An image whose memory is not
    its own (a view), or a small one, is copied as to_uint8 does."""
    height, width, channels = image.shape
    own = image.flags.owndata and image.flags.c_contiguous and image.dtype == np.float32
    if not own or height * width < _TRIM_PIXELS:  # small: a copy costs little
        return to_uint8(image)
    row = width * channels
    written = image.reshape(-1).view(np.uint8)
    for top in range(0, height, 64):
        # Band `top` lands on bytes the float rows above it held, already read; its own
        # rows are read into `_rounded`'s copy before anything is written.
        band = _rounded(image[top : top + 64])
        written[top * row : top * row + band.size] = band.reshape(-1)
    del written
    image.resize((-(-height * row // 4),), refcheck=False)  # no view of it is left
    _trim_heap(height * width)
    return image.view(np.uint8)[: height * row].reshape(height, width, channels)
