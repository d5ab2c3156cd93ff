"""The MVTec AD tree checked against `synth.format.MVTEC_RULES`: `synth validate DIR`.

It reads the tree as anomalib's MVTec AD reader does (train/good, test/TYPE,
ground_truth/TYPE/NAME_mask.png) and names each problem by file. A mask under another
name that still holds its image's name (NAME.png, NAME-mask.png) counts as that
image's mask, misnamed: the image is not also reported as missing one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from synth.format import Severity
from synth.validate.findings import Finding

GOOD = "good"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
MASK_SUFFIX = "_mask.png"


def is_tree(folder: Path) -> bool:
    """Whether a folder looks like an MVTec AD category: train/good or ground_truth/ in it."""
    return (folder / "train" / GOOD).is_dir() or (folder / "ground_truth").is_dir()


def trees(folder: Path) -> list[Path]:
    """The categories a folder holds: itself if it is one, else its sub-folders that are
    (a dataset root such as `--layout mvtec`'s OUT; its broken/ aside)."""
    if is_tree(folder):
        return [folder]
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name != "broken" and is_tree(p))


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file())


def _images(folder: Path) -> list[Path]:
    return [p for p in _files(folder) if p.suffix.lower() in IMAGE_SUFFIXES]


def _finding(rule: str, path: Path, message: str) -> Finding:
    return Finding(rule, Severity.ERROR, None, None, message, source=str(path))


def check_tree(root: Path) -> Iterator[Finding]:
    """Every problem of the tree under `root`, folder by folder in name order."""
    truth = root / "ground_truth"
    for mask in _files(truth / GOOD):
        yield _finding(
            "mvtec.good-mask", mask, "a mask for a defect-free image; ground_truth has no good"
        )
    kinds = {p.name for p in (root / "test").glob("*") if p.is_dir() and p.name != GOOD}
    kinds |= {p.name for p in truth.glob("*") if p.is_dir() and p.name != GOOD}
    for kind in sorted(kinds):
        yield from _check_kind(root / "test" / kind, truth / kind)


def _check_kind(images_dir: Path, masks_dir: Path) -> Iterator[Finding]:
    images = {p.stem: p for p in _images(images_dir)}
    masks = _files(masks_dir)
    paired: dict[str, Path] = {}
    misnamed: list[Path] = []
    for mask in masks:
        stem = mask.name.removesuffix(MASK_SUFFIX) if mask.name.endswith(MASK_SUFFIX) else None
        if stem in images and stem not in paired:
            paired[stem] = mask
        else:
            misnamed.append(mask)
    for mask in misnamed:
        # A misnamed mask that holds an unpaired image's name is that image's mask.
        owner = next((s for s in images if s not in paired and s in mask.stem), None)
        if owner is not None:
            paired[owner] = mask
            why = f"name it {owner}{MASK_SUFFIX}, after its image {images[owner].name}"
        else:
            why = f"it names no image of {images_dir}; a mask is NAME{MASK_SUFFIX}"
        yield _finding("mvtec.mask-name", mask, why)
    for stem, image in images.items():
        if stem not in paired:
            yield _finding(
                "mvtec.mask-missing", image, f"no mask {masks_dir / (stem + MASK_SUFFIX)}"
            )
    for stem, mask in sorted(paired.items()):
        yield from _check_mask(images[stem], mask)


def _check_mask(image: Path, mask: Path) -> Iterator[Finding]:
    import numpy as np  # here, not above: `synth validate MANIFEST` never needs them
    from PIL import Image

    try:
        with Image.open(image) as opened:
            size = opened.size
    except (OSError, ValueError) as exc:
        yield _finding("mvtec.mask-size", image, f"cannot read the image to compare: {exc}")
        return
    try:
        with Image.open(mask) as opened:
            mode, mask_size = opened.mode, opened.size
            values = np.unique(np.asarray(opened)) if mode == "L" else None
    except (OSError, ValueError) as exc:
        yield _finding("mvtec.mask-binary", mask, f"not a readable PNG: {exc}")
        return
    if mask_size != size:
        yield _finding(
            "mvtec.mask-size",
            mask,
            f"{mask_size[0]}x{mask_size[1]}, its image {image.name} is {size[0]}x{size[1]}",
        )
    if values is None:
        yield _finding("mvtec.mask-binary", mask, f"PNG mode {mode}, not 8-bit grayscale (L)")
    elif not set(values.tolist()) <= {0, 255}:
        odd = [v for v in values.tolist() if v not in (0, 255)]
        yield _finding(
            "mvtec.mask-binary",
            mask,
            f"{len(odd)} values besides 0 and 255 (such as {odd[0]}); a mask is 0 or 255",
        )
