"""Dataset faults: a line that breaks a rule across lines, relative to an earlier line.

A dataset fault changes one line (the target) so that, read after a valid line of the
same dataset (the reference), it breaks a dataset rule: the same image twice, another
image size, a class with another color, another attribute name, an anomaly without a
mask, a 101st anomaly label. The rule is reported on the target's line, so its expected
rules stay per line. The project-sized rules (dataset.max-images,
dataset.training-minimum) need hundreds of lines or a project's shape: project faults
(synth/faults/project.py) write a small project for each.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from synth.faults.model import Case, FaultError, MultiLineFault
from synth.faults.ops import (
    MANY,
    PIN_HOLES,
    RECOLORED,
    class_names,
    cmap,
    decode,
    edit,
    encode,
    image_uri,
    mask_pixels,
    mask_uri,
    new_entry,
    next_key,
    packed,
    read,
    rename_key,
    replace_object,
    rgb,
    with_mask,
)
from synth.faults.registry import DATASET_FAULTS
from synth.format import BACKGROUND_CLASS, MAX_ANOMALY_LABELS, MAX_IMAGE_SIDE

PairTransform = Callable[[Case, Case, np.random.Generator], Case]
PairCheck = Callable[[Case, Case], bool]


@dataclass(frozen=True)
class DatasetFault(MultiLineFault):
    """A fault of a pair of lines: it changes the target so that, read after the
    reference, it breaks its rules; `fits` says whether the pair allows it."""

    transform: PairTransform = field(repr=False)
    fits: PairCheck = field(repr=False)
    level: ClassVar[str] = "dataset"

    def apply(self, reference: Case, target: Case, rng: np.random.Generator) -> Case:
        """The target, changed to break the rule when read after `reference`."""
        if not self.fits(reference, target):
            raise FaultError(f"dataset fault {self.name!r} does not fit these lines ({self.doc})")
        broken = self.transform(reference, target, rng)
        return replace(
            broken,
            expected_rules=target.expected_rules | self.rules,
            expected_warnings=target.expected_warnings | self.warnings,
            faults=(*target.faults, self.name),
        )


def _has_mask(case: Case) -> bool:
    return case.mask in case.record and f"{case.mask}-metadata" in case.record


def _first_class(case: Case) -> dict[str, Any] | None:
    if not _has_mask(case):
        return None
    first = read(case, cmap).get("1")
    return first if isinstance(first, dict) else None


def _same_first_class(reference: Case, target: Case) -> bool:
    one, two = _first_class(reference), _first_class(target)
    return bool(one and two and one.get("class-name") == two.get("class-name"))


def _duplicate(reference: Case, target: Case, rng: np.random.Generator) -> Case:
    uri = image_uri(reference)
    moved = replace_object(target, image_uri(target), None)
    if uri in reference.objects:
        moved = replace_object(moved, uri, reference.objects[uri])
    return edit(moved, lambda r: r.update({"source-ref": uri}))


def _resized(reference: Case, target: Case, rng: np.random.Generator) -> Case:
    """Image and mask 8 columns wider (or narrower at the limit): still a valid size."""
    image, mask = decode(target.objects[image_uri(target)]), mask_pixels(target)
    if image.shape[1] + 8 <= MAX_IMAGE_SIDE:
        image = np.pad(image, ((0, 0), (0, 8), (0, 0)), "edge")
        mask = np.pad(mask, ((0, 0), (0, 8), (0, 0)), "edge")
    else:
        image, mask = image[:, :-8], mask[:, :-8]
    return with_mask(replace_object(target, image_uri(target), encode(image)), mask)


def _recolored(reference: Case, target: Case, rng: np.random.Generator) -> Case:
    """Class 1 gets a color no entry has, in the map and in the mask's pixels alike."""
    old = read(target, cmap)["1"]["hex-color"]
    [new] = RECOLORED.free(target)
    case = edit(target, lambda r: _map(target, r)["1"].update({"hex-color": new}))
    if mask_uri(target) not in target.objects:
        return case
    pixels = mask_pixels(target).copy()
    pixels[packed(pixels) == int(old[1:], 16)] = rgb(new)
    return with_mask(case, pixels)


def _renamed_label(reference: Case, target: Case, rng: np.random.Generator) -> Case:
    new = f"{target.label}-v2"

    def change(record: dict[str, Any]) -> None:
        rename_key(record, target.label, new)
        rename_key(record, f"{target.label}-metadata", f"{new}-metadata")

    return replace(edit(target, change), label=new)


def _odd_class(reference: Case, target: Case, rng: np.random.Generator) -> Case:
    """A new, unused class named pin-hole-N: a hyphen the service's anomaly names refuse.

    Its color (and so N) comes from the line's image, so each line this fault changes in
    one manifest most often adds a name of its own, which the validator reports there (it
    reports each name once); two lines that meet on one color add one class, alike.
    """
    first = zlib.crc32(image_uri(target).encode()) % PIN_HOLES.size
    [color] = PIN_HOLES.free(target, first=first)
    entry = new_entry(target, PIN_HOLES.name(color), color)
    key = next_key(target)
    return edit(target, lambda r: _map(target, r).update({key: entry}))


def _unmasked(reference: Case, target: Case, rng: np.random.Generator) -> Case:
    case = replace_object(target, mask_uri(target), None)
    return edit(case, lambda r: [r.pop(target.mask), r.pop(f"{target.mask}-metadata")])


def _many_classes(reference: Case, target: Case, rng: np.random.Generator) -> Case:
    """New classes x1, x2, ... in their pool's colors, up to one label over the limit.

    Short names keep the line under 8,192 characters (no line-length warning).

    They are made from the line's map alone, so every line this fault changes in one manifest
    adds the same classes in the same colors: each of them holds labels past the 100th.
    """
    wanted = MAX_ANOMALY_LABELS + 1 - len(class_names(target) - {BACKGROUND_CLASS})
    colors = MANY.free(target, max(wanted, 0), first=1) if wanted > 0 else []
    first = int(next_key(target))
    added = {
        str(first + i): new_entry(target, MANY.name(color), color) for i, color in enumerate(colors)
    }
    return edit(target, lambda r: _map(target, r).update(added))


def _map(case: Case, record: dict[str, Any]) -> dict[str, Any]:
    return record[f"{case.mask}-metadata"]["internal-color-map"]


def _images(*cases: Case) -> bool:
    return all(
        image_uri(c) in c.objects and _has_mask(c) and mask_uri(c) in c.objects for c in cases
    )


def _no_hyphen(reference: Case, target: Case) -> bool:
    return _has_mask(target) and all(
        not isinstance(e, dict) or "-" not in str(e.get("class-name"))
        for e in read(target, cmap).values()
    )


def dataset_fault(
    name: str,
    rules: Iterable[str],
    doc: str,
    transform: PairTransform,
    fits: PairCheck,
    warnings: Iterable[str] = (),
) -> DatasetFault:
    return DatasetFault(name, frozenset(rules), doc, transform, fits, warnings=frozenset(warnings))


DATASET_FAULTS.add(
    dataset_fault(
        "duplicate-image",
        ["dataset.duplicate-image"],
        "The line's source-ref is an earlier line's image.",
        _duplicate,
        lambda reference, target: image_uri(reference) != image_uri(target),
    ),
    dataset_fault(
        "other-image-size",
        ["dataset.image-dimensions"],
        "The line's image and mask are 8 px wider than the earlier lines' (a valid size).",
        _resized,
        lambda reference, target: _images(reference, target),
    ),
    dataset_fault(
        "class-recolored",
        ["dataset.color-consistency"],
        "Class 1 has another color on this line than on earlier lines (map and mask agree).",
        _recolored,
        _same_first_class,
    ),
    dataset_fault(
        "label-attribute-renamed",
        [],
        "The line's label attribute has another name than the earlier lines': a warning.",
        _renamed_label,
        lambda reference, target: reference.label == target.label,
        warnings=["dataset.attribute-names"],
    ),
    dataset_fault(
        "class-name-hyphen",
        [],
        "A new class named pin-hole-N: not an anomaly name the service takes, a warning.",
        _odd_class,
        _no_hyphen,
        warnings=["dataset.class-name-chars"],
    ),
    dataset_fault(
        "anomaly-without-mask",
        ["dataset.mask-missing"],
        "An anomaly line without its mask, while earlier lines have masks.",
        _unmasked,
        lambda reference, target: _has_mask(reference) and _has_mask(target) and target.anomalous,
    ),
    dataset_fault(
        "too-many-classes",
        ["dataset.max-classes"],
        f"The line's color map gains classes (not painted) that make the project's "
        f"anomaly labels {MAX_ANOMALY_LABELS + 1}.",
        _many_classes,
        lambda reference, target: _has_mask(target),
    ),
)
