"""Faults of the MVTec AD tree: each breaks one rule of `synth.format.MVTEC_RULES`.

Each takes one image's files (`TreeImage`) and returns them as the broken tree holds
them. The bugs are the ones real converters make: a mask not written, written at
another size, antialiased, saved under the image's own name, or written for a good image.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from synth.faults.registry import TREE_FAULTS
from synth.faults.tree import Objects, TreeFault, TreeImage
from synth.imaging.encode import encode_gray


def _mask(image: TreeImage) -> np.ndarray:
    assert image.mask is not None
    with Image.open(io.BytesIO(image.objects[image.mask])) as opened:
        return np.asarray(opened.convert("L"))


def _with_mask(image: TreeImage, data: bytes, key: str | None = None) -> Objects:
    """The image's files with its mask replaced by `data` (under `key`, if moved)."""
    assert image.mask is not None
    kept = {k: v for k, v in image.objects.items() if k != image.mask}
    return {**kept, key or image.mask: data}


def _drop_mask(image: TreeImage, rng: np.random.Generator) -> Objects:
    return {k: v for k, v in image.objects.items() if k != image.mask}


def _resize_mask(image: TreeImage, rng: np.random.Generator) -> Objects:
    """Half the size in one direction or both, nearest neighbour: still 0/255."""
    mask = _mask(image)
    height, width = mask.shape
    axis = int(rng.integers(3))
    size = (width // 2 if axis != 0 else width, height // 2 if axis != 1 else height)
    small = np.asarray(Image.fromarray(mask).resize(size, Image.Resampling.NEAREST))
    return _with_mask(image, encode_gray(small))


def _soften_mask(image: TreeImage, rng: np.random.Generator) -> Objects:
    """Antialiased edges, as a resize with interpolation leaves them: some pixels between."""
    mask = _mask(image).astype(np.float32)
    padded = np.pad(mask, 1, mode="edge")
    mean = sum(
        padded[1 + dy : 1 + dy + mask.shape[0], 1 + dx : 1 + dx + mask.shape[1]]
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )
    soft = np.rint(mean / 9).astype(np.uint8)  # 1 to 8 of 9 neighbours: 28 to 227
    if not ((soft > 0) & (soft < 255)).any():  # a mask of all 255: one grey pixel at a corner
        soft[0, 0] = 128
    return _with_mask(image, encode_gray(soft))


def _rename_mask(image: TreeImage, rng: np.random.Generator) -> Objects:
    """The mask saved under its image's own name (NAME.png), not NAME_mask.png."""
    assert image.mask is not None
    key = image.mask.removesuffix("_mask.png") + ".png"
    return _with_mask(image, image.objects[image.mask], key)


def _good_mask(image: TreeImage, rng: np.random.Generator) -> Objects:
    """An empty mask written for a good image, in ground_truth/good/."""
    with Image.open(io.BytesIO(image.objects[image.image])) as opened:
        width, height = opened.size
    folder, _, name = image.image.rpartition("/")
    root = folder.rsplit("/", 2)[0] + "/" if folder.count("/") >= 2 else ""
    stem = name.rsplit(".", 1)[0]
    key = f"{root}ground_truth/good/{stem}_mask.png"
    return {**image.objects, key: encode_gray(np.zeros((height, width), np.uint8))}


TREE_FAULTS.add(
    TreeFault(
        "mask-missing",
        frozenset({"mvtec.mask-missing"}),
        "A defect image without its mask in ground_truth/.",
        "anomaly",
        _drop_mask,
    ),
    TreeFault(
        "mask-size",
        frozenset({"mvtec.mask-size"}),
        "A mask at half its image's width, height or both.",
        "anomaly",
        _resize_mask,
    ),
    TreeFault(
        "mask-not-binary",
        frozenset({"mvtec.mask-binary"}),
        "A mask with antialiased edges: values between 0 and 255.",
        "anomaly",
        _soften_mask,
    ),
    TreeFault(
        "mask-name",
        frozenset({"mvtec.mask-name"}),
        "A mask saved as NAME.png, its image's name, instead of NAME_mask.png.",
        "anomaly",
        _rename_mask,
    ),
    TreeFault(
        "mask-under-good",
        frozenset({"mvtec.good-mask"}),
        "An empty mask written for a good image, under ground_truth/good/.",
        "normal",
        _good_mask,
    ),
)
