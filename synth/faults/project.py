"""Project faults: a small project, train and test manifests, that breaks a rule of its shape.

The image limits and the training minimums are rules of a whole project, not of a line:
they need a dataset of hundreds of images, or a test split of the wrong make-up. A
project fault writes such a project cheaply from the run's own valid lines, copied with
new image keys and no objects: judge it as text (`validate_project` without `objects`),
where it breaks exactly its rules. `manifest-over-1gb` (`manifest.file-size`) is written
only when asked for, and only to a folder: two lines, then the file grown past 1 GB as a
sparse file (no disk), which a validator must refuse by its size before reading.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from synth.faults.model import MultiLineFault
from synth.faults.registry import DATASET_FAULTS
from synth.format import MAX_IMAGES, MAX_MANIFEST_BYTES, MIN_SEPARATE, S3Uri

Roles = dict[str, list[bool]]  # "train", "test" -> each line's label (True: anomalous)
Keys = Callable[[str, int, str], str]  # (role, line, "image" or "mask") -> object key


@dataclass(frozen=True, slots=True)
class Expected:
    """A finding the project must give: its rule, manifest role and line (None: the project)."""

    rule: str
    role: str
    line: int | None


@dataclass(frozen=True)
class ProjectFault(MultiLineFault):
    """A fault of a whole project's shape: the run writes it as a small project of its own."""

    # segmentation? -> each role's labels, and the finding the project must give
    shape: Callable[[bool], tuple[Roles, Expected]] = field(repr=False)
    # > 0: the writer grows the train manifest to this many bytes, a sparse file in a folder
    # (an upload would cost that much); such a fault is written only when asked for.
    grow_to: int = field(default=0, kw_only=True)
    level: ClassVar[str] = "project"

    def build(
        self, normal: dict[str, Any], anomaly: dict[str, Any], keys: Keys
    ) -> tuple[dict[str, list[dict[str, Any]]], Expected]:
        """The project's records by role, train first, copied from two valid lines, and the
        finding it must give. A segmentation project (the anomaly line has a mask) has the
        lower image limits."""
        mask = next((k for k in anomaly if k.endswith("-ref") and k != "source-ref"), None)
        roles, expected = self.shape(mask is not None)
        projects: dict[str, list[dict[str, Any]]] = {}
        for role, labels in roles.items():
            lines = projects.setdefault(role, [])
            for number, anomalous in enumerate(labels, 1):
                line = copy.deepcopy(anomaly if anomalous else normal)
                line["source-ref"] = _moved(line["source-ref"], keys(role, number, "image"))
                if mask in line:
                    line[mask] = _moved(line[mask], keys(role, number, "mask"))
                lines.append(line)
        return projects, expected


def _moved(uri: str, key: str) -> str:
    return str(S3Uri.parse(uri).with_key(key))


def _over_limit(segmentation: bool) -> tuple[Roles, Expected]:
    limit = MAX_IMAGES["segmentation" if segmentation else "classification"]["test"]
    train = [False] * MIN_SEPARATE["train"]["normal"]
    return {"train": train, "test": [n % 2 == 1 for n in range(limit + 1)]}, Expected(
        "dataset.max-images", "test", limit + 1
    )


def _few_anomalies(segmentation: bool) -> tuple[Roles, Expected]:
    need = MIN_SEPARATE["test"]
    train = [False] * MIN_SEPARATE["train"]["normal"]
    test = [False] * need["normal"] + [True] * (need["anomaly"] - 1)
    return {"train": train, "test": test}, Expected("dataset.training-minimum", "test", None)


def _oversized(segmentation: bool) -> tuple[Roles, Expected]:
    return {"train": [False, True]}, Expected("manifest.file-size", "train", None)


DATASET_FAULTS.add(
    ProjectFault(
        "test-over-image-limit",
        frozenset({"dataset.max-images"}),
        "A project whose test manifest holds one image over the limit (801 segmenting, "
        "4,001 classifying; text only, no objects): reported on the first line past it.",
        shape=_over_limit,
    ),
    ProjectFault(
        "test-too-few-anomalies",
        frozenset(),
        "A project whose test manifest holds 10 normal and 9 anomalous images (text only, "
        "no objects): it imports, but cannot train (a warning on the project).",
        warnings=frozenset({"dataset.training-minimum"}),
        shape=_few_anomalies,
    ),
    ProjectFault(
        "manifest-over-1gb",
        frozenset({"manifest.file-size"}),
        "A train manifest of two lines grown past 1 GB as a sparse file (no disk; a local "
        "folder only, with --faults manifest.file-size): refused by its size, unread.",
        shape=_oversized,
        grow_to=MAX_MANIFEST_BYTES + 1,
    ),
)
