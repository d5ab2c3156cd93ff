"""Faults in the objects a line references: the image and the mask.

Sizes come from the rules' constants (synth.format), and colors from the case's own
color map, so each fault breaks its rule whatever preset the case was drawn from.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterable
from functools import partial
from typing import Unpack

import numpy as np

from synth.faults import ops
from synth.faults.model import Case, Conditions, Fault, Transform, rule_row
from synth.faults.registry import CATALOGUE
from synth.format import (
    BACKGROUND_CLASS,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_SIDE,
    MAX_MASK_CLASSES,
    MIN_IMAGE_SIDE,
)

IMAGE = ["source"]  # what an image fault needs: a source-ref the validator follows
MASK = ["mask.ref"]  # and a mask fault: a mask attribute it follows
MAP = "mask.meta.color-map"  # judging mask colors needs a valid color map
# The image's decoded content (format, size) apart from its file's length: the validator
# checks the two independently, so a fault on each composes (the catalogue's order applies
# the file's padding last). A smaller image and mask still have their pixels' colors judged.
CONTENT = "image.content"


obj = partial(rule_row, "object")


def _exact_jpeg(pixels: np.ndarray) -> bytes | None:
    """`pixels` as a JPEG that decodes to exactly them (flat 8x8 blocks at 4:4:4), or None."""
    data = ops.encode(pixels, "JPEG", quality=100, subsampling=0)
    return data if np.array_equal(ops.decode(data), pixels) else None


def _jpeg_mask(case: Case, rng: np.random.Generator) -> Case:
    data = _exact_jpeg(ops.mask_pixels(case))
    assert data is not None  # the precondition
    return ops.replace_object(case, ops.mask_uri(case), data)


def _set_image(make: object) -> Transform:
    def transform(case: Case, rng: np.random.Generator) -> Case:
        data = make(case) if callable(make) else make
        return ops.replace_object(case, ops.image_uri(case), data)  # type: ignore[arg-type]

    return transform


def _reencode(uri: object, fmt: str) -> Transform:
    def transform(case: Case, rng: np.random.Generator) -> Case:
        where = uri(case)  # type: ignore[operator]
        return ops.replace_object(case, where, ops.encode(ops.decode(case.objects[where]), fmt))

    return transform


def _both(case: Case, change: object) -> Case:
    """Image and mask changed alike (cropped or padded), so they keep one size."""
    image, mask = ops.image_uri(case), ops.mask_uri(case)
    pair = ops.decode(case.objects[image]), ops.decode(case.objects[mask])
    new_image, new_mask = change(*pair)  # type: ignore[operator]
    return ops.with_mask(ops.replace_object(case, image, ops.encode(new_image)), new_mask)


def _defects(case: Case, mask: np.ndarray) -> np.ndarray:
    """Where the mask has defect pixels: neither white nor BACKGROUND's color (which
    `background-not-white`, applied before a crop, makes another color)."""
    background = {0xFFFFFF}
    with contextlib.suppress(KeyError, TypeError, AttributeError, ValueError):  # other faults
        entry = ops.read(case, ops.cmap)["0"]
        if entry["class-name"] == BACKGROUND_CLASS and len(entry["hex-color"]) == 7:
            background.add(int(entry["hex-color"][1:], 16))
    return ~np.isin(ops.packed(mask), list(background))


def _cropped(case: Case, axis: int) -> Case:
    """MIN_IMAGE_SIDE - 16 rows (axis 0) or columns (axis 1) of image and mask, around the
    first defect row or column."""
    keep = MIN_IMAGE_SIDE - 16

    def crop(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        defect = np.flatnonzero(_defects(case, mask).any(axis=1 - axis))
        first = int(defect[0]) if defect.size else 0
        start = max(0, min(first - keep // 2, mask.shape[axis] - keep))
        kept = slice(start, start + keep)
        return image[(slice(None),) * axis + (kept,)], mask[(slice(None),) * axis + (kept,)]

    return _both(case, crop)


def _too_small(case: Case, rng: np.random.Generator) -> Case:
    return _cropped(case, axis=0)


def _too_narrow(case: Case, rng: np.random.Generator) -> Case:
    return _cropped(case, axis=1)


def _too_tall(case: Case, rng: np.random.Generator) -> Case:
    """Padded to MAX_IMAGE_SIDE + 4 high: edge pixels for the image, background for the mask."""

    def pad(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tall = ((0, MAX_IMAGE_SIDE + 4 - mask.shape[0]), (0, 0), (0, 0))
        return np.pad(image, tall, "edge"), np.pad(mask, tall, constant_values=255)

    return _both(case, pad)


def _taller_mask(case: Case, rng: np.random.Generator) -> Case:
    """The mask with its last row repeated 8 times: its pixels' colors unchanged."""
    return ops.with_mask(case, np.pad(ops.mask_pixels(case), ((0, 8), (0, 0), (0, 0)), "edge"))


def _too_large(case: Case, rng: np.random.Generator) -> Case:
    """Padded to MAX_IMAGE_SIDE + 4 wide: edge pixels for the image, background for the mask."""

    def pad(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        wide = ((0, 0), (0, MAX_IMAGE_SIDE + 4 - mask.shape[1]), (0, 0))
        return np.pad(image, wide, "edge"), np.pad(mask, wide, constant_values=255)

    return _both(case, pad)


def _wider_mask(case: Case, rng: np.random.Generator) -> Case:
    """The mask with its last column repeated 8 times: its pixels' colors unchanged."""
    return ops.with_mask(case, np.pad(ops.mask_pixels(case), ((0, 0), (0, 8), (0, 0)), "edge"))


def _map_colors(case: Case) -> np.ndarray:
    return np.array(sorted(int(c[1:], 16) for c in ops.colors_of(case)), np.uint32)


def _stray(case: Case, mask: np.ndarray) -> np.ndarray:
    """Each defect color moved to its nearest neighbour (one step in a channel) outside the map."""
    flat = ops.packed(mask)
    taken = set(_map_colors(case).tolist()) | {0xFFFFFF}
    for color in np.unique(flat[flat != 0xFFFFFF]):
        neighbours = [int(color) ^ (1 << bit) for bit in range(24)]
        stray = next((n for n in neighbours if n not in taken), None)
        if stray is None:  # a map holding all 24 neighbours: any color outside it
            stray = int(ops.STRAY.free(case)[0][1:], 16)
        mask[flat == color] = [(stray >> 16) & 255, (stray >> 8) & 255, stray & 255]
    return mask


def _antialiased(case: Case, mask: np.ndarray) -> np.ndarray:
    """3x3 box blur; pixels whose blend happens to be a map color keep their own color."""
    from scipy import ndimage

    blurred = np.rint(ndimage.uniform_filter(mask.astype(np.float32), size=(3, 3, 1)))
    blurred = blurred.astype(np.uint8)
    keep = np.isin(ops.packed(blurred), _map_colors(case), invert=True) & (
        ops.packed(blurred) != 0xFFFFFF
    )
    out = mask.copy()
    out[keep] = blurred[keep]
    return out


def _blends_outside_the_map(case: Case) -> bool:
    mask = ops.mask_pixels(case)
    return bool((_antialiased(case, mask) != mask).any())


def _class_colors(case: Case) -> list[str]:
    return [
        e["hex-color"]
        for k, e in sorted(ops.read(case, ops.cmap).items())
        if k != "0" and e["hex-color"].lower() != ops.WHITE
    ]


def _paint_defect(case: Case, mask: np.ndarray) -> np.ndarray:
    h, w = mask.shape[:2]
    mask[h // 3 : h // 2, w // 3 : w // 2] = ops.rgb(_class_colors(case)[0])
    return mask


def _many_classes(case: Case, rng: np.random.Generator) -> Case:
    """MAX_MASK_CLASSES + 1 new classes in the map, each painted as a 2x2 block of the mask."""
    start = int(ops.next_key(case))
    added = {
        str(start + i): ops.new_entry(case, ops.EXTRA.name(color), color)
        for i, color in enumerate(ops.EXTRA.free(case, MAX_MASK_CLASSES + 1))
    }
    mask = ops.mask_pixels(case).copy()
    for i, entry in enumerate(added.values()):
        row, col = 2 * (i // 8), 2 * (i % 8)
        mask[row : row + 2, col : col + 2] = ops.rgb(entry["hex-color"])
    return ops.with_mask(ops.edit(case, lambda r: ops.at(r, ops.cmap(case)).update(added)), mask)


_PIXELS = ["mask-image.pixels"]


def _transparent_background(case: Case, rng: np.random.Generator) -> Case:
    from PIL import Image

    pixels = ops.mask_pixels(case)
    defect = _defects(case, pixels)
    rgba = np.dstack([np.where(defect[..., None], pixels, 0), np.where(defect, 255, 0)])
    buffer = io.BytesIO()
    Image.fromarray(rgba.astype(np.uint8), "RGBA").save(buffer, "PNG")
    return ops.replace_object(case, ops.mask_uri(case), buffer.getvalue())


def _transparent_fits(case: Case) -> bool:
    """A mask with white background and defect pixels, whose map holds no black (which
    the transparent pixels would read as, under --profile docs) and names BACKGROUND white."""
    if not ops.has_background(case) or "#000000" in ops.colors_of(case):
        return False
    pixels = ops.mask_pixels(case)
    defect = _defects(case, pixels)
    return bool(defect.any()) and bool((ops.packed(pixels)[~defect] == 0xFFFFFF).all())


def repaint(
    name: str,
    rule: str,
    doc: str,
    change: Callable[[Case, np.ndarray], np.ndarray],
    needs: Iterable[str] = (*MASK, MAP),
    **conditions: Unpack[Conditions],
) -> Fault:
    """A row redrawing the mask's pixels (`recolor`): it touches them and, by default, needs
    the mask attribute and the color map its colors are judged by."""
    return obj(name, rule, doc, ops.recolor(change), _PIXELS, needs, **conditions)


CATALOGUE.add(
    obj(
        "image-missing",
        "image.missing",
        "The image object does not exist.",
        _set_image(None),
        ["image"],
        IMAGE,
    ),
    obj(
        "image-not-an-image",
        "image.format",
        "The image object is text, not an image.",
        _set_image(b"<html>Access Denied</html>\n"),
        [CONTENT],
        IMAGE,
    ),
    obj(
        "image-gif",
        "image.format",
        "The image is a GIF.",
        _reencode(ops.image_uri, "GIF"),
        [CONTENT],
        IMAGE,
    ),
    obj(
        "image-too-small",
        "image.size",
        f"Image and mask are {MIN_IMAGE_SIDE - 16} px high, under the {MIN_IMAGE_SIDE} px minimum.",
        _too_small,
        [CONTENT, "mask-image.size"],
        IMAGE + MASK,
        across="dataset.image-dimensions",
    ),
    obj(
        "image-too-narrow",
        "image.size",
        f"Image and mask are {MIN_IMAGE_SIDE - 16} px wide, under the {MIN_IMAGE_SIDE} px minimum.",
        _too_narrow,
        [CONTENT, "mask-image.size"],
        IMAGE + MASK,
        across="dataset.image-dimensions",
    ),
    obj(
        "image-too-tall",
        "image.size",
        f"Image and mask are {MAX_IMAGE_SIDE + 4} px high, over the {MAX_IMAGE_SIDE} maximum.",
        _too_tall,
        [CONTENT, "mask-image"],
        IMAGE + MASK,
        across="dataset.image-dimensions",
    ),
    obj(
        "image-too-large",
        "image.size",
        f"Image and mask are {MAX_IMAGE_SIDE + 4} px wide, over the {MAX_IMAGE_SIDE} maximum.",
        _too_large,
        [CONTENT, "mask-image"],
        IMAGE + MASK,
        across="dataset.image-dimensions",
    ),
    obj(
        "image-file-too-large",
        "image.file-size",
        f"The image file is {MAX_IMAGE_BYTES + 1:,} bytes: zeros after the image's own.",
        _set_image(lambda c: c.objects[ops.image_uri(c)].ljust(MAX_IMAGE_BYTES + 1, b"\0")),
        ["image.file-size"],
        IMAGE,
    ),
    obj(
        "mask-missing",
        "mask-image.missing",
        "The mask object does not exist.",
        lambda case, rng: ops.replace_object(case, ops.mask_uri(case), None),
        ["mask-image"],
        MASK,
    ),
    obj(
        "mask-jpeg",
        "mask-image.format",
        "A normal line's mask is a JPEG (all white, at 4:4:4 and quality 100: it decodes to "
        "the same pixels, so only the format is wrong).",
        _jpeg_mask,
        ["mask-image"],
        MASK,
        applies="normal",
        precondition=lambda case: _exact_jpeg(ops.mask_pixels(case)) is not None,
    ),
    obj(
        "mask-wrong-size",
        "mask-image.size",
        "The mask is 8 px wider than its image.",
        _wider_mask,
        ["mask-image.size"],
        [*IMAGE, *MASK, "image"],
    ),
    obj(
        "mask-wrong-height",
        "mask-image.size",
        "The mask is 8 px taller than its image.",
        _taller_mask,
        ["mask-image.size"],
        [*IMAGE, *MASK, "image"],
    ),
    repaint(
        "mask-stray-color",
        "mask-image.color",
        "Each defect color is one step off, to a color outside the color map.",
        _stray,
        applies="anomaly",
        precondition=ops.has_defect_pixels,
    ),
    repaint(
        "mask-antialiased",
        "mask-image.color",
        "The mask's edges are anti-aliased: blends of defect and background colors.",
        _antialiased,
        (*MASK, MAP, "mask-image.size"),  # a cropped mask may have no blend left to make
        applies="anomaly",
        precondition=_blends_outside_the_map,
    ),
    obj(
        "mask-rgba-transparent",
        "mask-image.color",
        "The mask is an RGBA PNG whose background is transparent black (alpha 0), its "
        "defects opaque: read as RGB, black is no map color (--profile service reads a "
        "transparent pixel as background, and only warns).",
        _transparent_background,
        [*_PIXELS, "mask-image.palette"],
        (*MASK, MAP),
        applies="anomaly",
        precondition=_transparent_fits,
    ),
    repaint(
        "normal-with-defect-pixels",
        "mask-image.label-agreement",
        "A normal image's mask has a block of a class's color.",
        _paint_defect,
        applies="normal",
        precondition=lambda case: bool(_class_colors(case)),
    ),
    obj(
        "mask-too-many-classes",
        "mask-image.max-classes",
        f"{MAX_MASK_CLASSES + 1} classes added to the map and painted in the mask, over the "
        f"{MAX_MASK_CLASSES} per mask.",
        _many_classes,
        [*_PIXELS, f"{MAP}.new"],
        [*MASK, MAP],
        applies="anomaly",
    ),
    repaint(
        "anomaly-empty-mask",
        "mask-image.label-agreement",
        "An anomaly image's mask is all background.",
        lambda case, mask: np.full_like(mask, 255),
        MASK,
        applies="anomaly",
    ),
)
