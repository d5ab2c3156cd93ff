"""The per-image plan: which split an image belongs to, whether it shows defects and,
for presets with one class per image, which class.

Each is a low-discrepancy (Weyl) sequence of the image index: any run of n images
holds the preset's fractions to within about ln(n) images, image i never depends on
the count, and the choices are jointly spread out (the test split gets its share of
anomalies, and each split its share of every class).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from synth.config.preset import Preset

Split = Literal["train", "test"]

# Rationally independent steps, so label and split sequences never fall into step.
_LABEL_STEP = (math.sqrt(5) - 1) / 2
_SPLIT_STEP = math.sqrt(2) - 1
_BROKEN_STEP = math.sqrt(3) - 1
_CLASS_STEP = math.sqrt(7) - 2


@dataclass(frozen=True, slots=True)
class ImageSpec:
    index: int
    split: Split
    anomalous: bool
    broken: bool = False  # its line in the broken manifests carries a fault
    # The one class an anomaly image shows (index into preset.classes), for presets with
    # one class per image; None: the renderer draws a subset of the classes.
    only_class: int | None = None

    @property
    def stem(self) -> str:
        return f"{self.index:06d}"

    @property
    def class_name(self) -> str:
        return "anomaly" if self.anomalous else "normal"


def _weyl(index: int, step: float, offset: float) -> float:
    return (offset + index * step) % 1.0


def image_spec(preset: Preset, seed: int, index: int) -> ImageSpec:
    # Offsets hashed from the seed, so seeds differ in where anomalies fall; the split's
    # offset keeps image 0 in train, so every dataset has a training manifest.
    label_offset = _weyl(seed, 0.7548776662466927, 0.5)
    split_offset = preset.test_fraction + (1 - preset.test_fraction) * _weyl(
        seed, 0.5698402909980532, 0.5
    )
    anomalous = _weyl(index, _LABEL_STEP, label_offset) < preset.anomaly_fraction
    only_class = None
    if anomalous and preset.one_class_per_image:
        only_class = int(_weyl(index, _CLASS_STEP, label_offset) * len(preset.classes))
    return ImageSpec(
        index=index,
        split="test" if _weyl(index, _SPLIT_STEP, split_offset) < preset.test_fraction else "train",
        anomalous=anomalous,
        broken=_weyl(index, _BROKEN_STEP, label_offset) < preset.broken_fraction,
        only_class=only_class,
    )


def plan(preset: Preset, seed: int, indices: Iterable[int]) -> Iterator[ImageSpec]:
    for index in indices:
        yield image_spec(preset, seed, index)
