"""Load synth's MVTec AD trees with anomalib's own dataset classes, and check what it read.

Run by bench/check_anomalib.sh inside a virtualenv holding anomalib (not synth: the
trees are files, read here as a user's anomalib would read them). OUT holds one
dataset a preset, OUT/PRESET/PRESET being the category. For each it prints the samples
anomalib found per split and label, and fails unless every sample's mask, as anomalib
reads it, is exactly the mask file's 255 pixels (empty for good images), and both
readers (MVTecADDataset, FolderDataset) agree on the images and labels.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from anomalib.data.datasets import FolderDataset, MVTecADDataset
from PIL import Image


class Item(Protocol):
    """What anomalib hands back for one sample (torch tensors, read through numpy)."""

    gt_mask: Any
    gt_label: Any


def check_item(item: Item, mask_path: str) -> None:
    gt = np.asarray(item.gt_mask).astype(bool)
    if mask_path:
        expected = np.asarray(Image.open(mask_path).convert("L")) == 255
        assert gt.any(), f"{mask_path}: anomalib read an empty mask"
    else:
        expected = np.zeros(gt.shape, bool)
    assert gt.shape == expected.shape, f"{mask_path}: {gt.shape} vs {expected.shape}"
    assert (gt == expected).all(), f"{mask_path or item}: anomalib's mask differs from the file"
    assert int(item.gt_label) == int(bool(mask_path))


def check(root: Path, category: str) -> str:
    tree = root / category
    found: dict[str, dict[str, int]] = {}
    mvtec_test: set[tuple[str, int]] = set()
    for split in ("train", "test"):
        dataset = MVTecADDataset(root=root, category=category, split=split)
        samples = dataset.samples
        found[split] = samples.label.value_counts().sort_index().to_dict()
        on_disk = len(list((tree / split).glob("*/*.png")))
        assert len(samples) == on_disk, f"{tree / split}: anomalib {len(samples)}, files {on_disk}"
        for index in range(len(dataset)):
            row = samples.iloc[index]
            check_item(dataset[index], row.mask_path or "")
            if split == "test":
                mvtec_test.add((Path(row.image_path).name, int(row.label_index)))
    kinds = sorted(p.name for p in (tree / "test").glob("*") if p.name != "good")
    folder = FolderDataset(
        name=category,
        root=tree,
        normal_dir="train/good",
        abnormal_dir=[f"test/{kind}" for kind in kinds] or None,
        normal_test_dir="test/good" if (tree / "test" / "good").is_dir() else None,
        mask_dir=[f"ground_truth/{kind}" for kind in kinds] or None,
        split="test",
    )
    folder_test = set()
    for index in range(len(folder)):
        row = folder.samples.iloc[index]
        check_item(folder[index], row.mask_path or "")
        folder_test.add((Path(row.image_path).name, int(row.label_index)))
    assert folder_test == mvtec_test, f"{tree}: FolderDataset and MVTecADDataset disagree"
    task = MVTecADDataset(root=root, category=category).samples.attrs["task"]
    parts = ", ".join(
        f"{split} " + " ".join(f"{label}={n}" for label, n in counts.items())
        for split, counts in found.items()
    )
    return f"{category:<12} {task:<14} {parts}; FolderDataset test={len(folder)} agrees"


def main() -> None:
    out = Path(sys.argv[1])
    import anomalib
    import torch

    print(f"anomalib {anomalib.__version__}, torch {torch.__version__}")
    for root in sorted(p for p in out.iterdir() if p.is_dir()):
        print(check(root, root.name))
    print("every tree loaded; every mask read as its file's 255 pixels")


if __name__ == "__main__":
    main()
