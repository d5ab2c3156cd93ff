"""What a fault of a folder tree is (the MVTec AD layout): it changes an image's files.

A tree fault takes one image's objects (its image and, for a defect, its mask, by key)
and returns them broken, breaking exactly the rules it declares; `fits` says whether it
applies to a defect-free image or to a defect's. The faults are in synth/faults/layouts/,
registered in `TREE_FAULTS` and listed by `synth faults` beside the manifest faults.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np

Objects = dict[str, bytes]  # key -> data: the image's files as the tree holds them


@dataclass(frozen=True, slots=True)
class TreeImage:
    """One image of a tree and its files: `mask` None for a defect-free image."""

    image: str
    mask: str | None
    objects: Objects


@dataclass(frozen=True)
class TreeFault:
    name: str
    rules: frozenset[str]
    doc: str
    applies: Literal["anomaly", "normal"]
    transform: Callable[[TreeImage, np.random.Generator], Objects]
    warnings: frozenset[str] = field(default=frozenset())
    level: ClassVar[str] = "tree"

    def fits(self, image: TreeImage) -> bool:
        return (image.mask is not None) == (self.applies == "anomaly")

    def apply(self, image: TreeImage, rng: np.random.Generator) -> Objects:
        """The image's files, broken: what replaces `image.objects` in the broken tree."""
        return self.transform(image, rng)
