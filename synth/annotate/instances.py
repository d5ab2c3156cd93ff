"""Per-defect records: what each painted defect is, how it was drawn and where it shows.

The one source for the defects sidecar of every layout and for COCO's annotations.
An instance's pixels are the ones it holds in the class mask: a later defect wins
where two overlap (see `synth.imaging.render`), so a defect covered by later ones
keeps only what still shows, and one covered whole has no pixels and no box.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from synth.imaging.render import Drawn, Rendered

Box = tuple[int, int, int, int]  # x, y, width, height in pixels, as COCO writes a bbox


@dataclass(frozen=True, slots=True)
class Instance:
    """One defect of an image, in painting order."""

    label: int  # its value in the class mask: 1 + the class's index in the preset
    class_name: str
    painter: str
    params: Mapping[str, float]  # the values drawn from the preset's ranges
    box: Box | None  # the bounding box of `mask`; None when later defects cover it whole
    mask: np.ndarray  # bool (height, width) of `box`: its pixels in the class mask

    @property
    def pixels(self) -> int:
        return int(np.count_nonzero(self.mask))

    def full_mask(self, shape: tuple[int, int]) -> np.ndarray:
        """Its pixels as a bool array of the whole image."""
        full = np.zeros(shape, bool)
        if self.box is not None:
            x, y, width, height = self.box
            full[y : y + height, x : x + width] = self.mask
        return full

    def record(self) -> dict[str, Any]:
        """What the sidecar says of it (the mask aside: the class mask holds it)."""
        return {
            "class": self.class_name,
            "label": self.label,
            "painter": self.painter,
            "params": dict(self.params),
            "box": None if self.box is None else list(self.box),
            "pixels": self.pixels,
        }


def instances(rendered: Rendered) -> tuple[Instance, ...]:
    """Each drawn defect less what later ones painted over, in painting order.

    Walks back from the last defect with one bool plane of what is covered so far.
    """
    if not rendered.drawn:
        return ()
    covered = np.zeros(rendered.labels.shape, bool)
    found: list[Instance] = []
    for defect in reversed(rendered.drawn):
        visible = defect.mask & ~covered[defect.box]
        covered[defect.box] |= defect.mask
        found.append(_instance(defect, visible))
    return tuple(reversed(found))


def _instance(defect: Drawn, visible: np.ndarray) -> Instance:
    rows, cols = np.flatnonzero(visible.any(axis=1)), np.flatnonzero(visible.any(axis=0))
    box: Box | None = None
    mask = np.zeros((0, 0), bool)
    if rows.size:
        top, left = defect.box[0].start or 0, defect.box[1].start or 0
        r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        box = (left + c0, top + r0, c1 - c0, r1 - r0)
        mask = visible[r0:r1, c0:c1].copy()
    return Instance(defect.label, defect.class_name, defect.painter, defect.params, box, mask)


def sole_class(found: Sequence[Instance]) -> str | None:
    """The one anomaly class an image's mask holds, if only one: read from its instances,
    not from a count of every mask pixel."""
    shown = {instance.class_name for instance in found if instance.box is not None}
    return shown.pop() if len(shown) == 1 else None
