"""Dataset rules: what only shows across lines, and across the manifests of one project.

The state is one entry per distinct image (to find duplicates) plus a few per-class and
per-size entries, so a project of the service's largest size (20,000 images) is judged
in a few megabytes. A finding names its own line and, in `related`, the `file:line` of
the other lines involved (the first line of a duplicate, of the first size, ...).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from synth.errors import counted
from synth.format import (
    ANOMALY_NAME,
    BACKGROUND_CLASS,
    BACKGROUND_COLOR,
    MAX_ANOMALY_LABELS,
    MAX_IMAGES,
    MIN_PER_LABEL_SEPARATE,
    MIN_PER_LABEL_SINGLE,
    MIN_SEPARATE,
    MIN_SINGLE,
    Severity,
)
from synth.validate.fields import LineFacts
from synth.validate.findings import Finding


@dataclass
class SplitCounts:
    """What a dataset holds, as training minimums count it."""

    normal: int = 0
    anomaly: int = 0
    single_label: Counter[str] = field(default_factory=Counter)  # images holding one type only


class Shortfall(NamedTuple):
    split: str  # "train" or "test": the dataset that misses the minimum
    text: str

    def __str__(self) -> str:
        return self.text


def training_shortfalls(
    splits: Mapping[str, SplitCounts], *, labels: Sequence[str] = ()
) -> list[Shortfall]:
    """What keeps a project from training: one sentence per unmet minimum, by split.

    `splits` is {"train": ...} for a single dataset or {"train": ..., "test": ...} for
    separate ones; `labels` are the anomaly labels of a segmentation project (empty for
    classification, or when the masks were not read).
    """
    separate = len(splits) > 1
    needs: dict[str, Mapping[str, int]] = (
        {"train": MIN_SEPARATE["train"], "test": MIN_SEPARATE["test"]}
        if separate
        else {"train": MIN_SINGLE}
    )
    per_label = MIN_PER_LABEL_SEPARATE if separate else MIN_PER_LABEL_SINGLE
    short = []
    for split, need in needs.items():
        counts = splits.get(split, SplitCounts())
        name = f"the {split} dataset" if separate else "the dataset"
        for kind in ("normal", "anomaly"):
            have = getattr(counts, kind)
            if have < need[kind]:
                said = f"{name} has {counted(have, f'{kind} image')}; training needs {need[kind]}"
                short.append(Shortfall(split, said))
        for label in sorted(labels):
            have = counts.single_label[label]
            if have < per_label:
                short.append(
                    Shortfall(
                        split,
                        f"{name} has {counted(have, 'image')} holding only anomaly {label!r}; "
                        f"training needs {per_label}",
                    )
                )
        if labels and not _per_label_reachable(counts, len(labels), per_label, split):
            singles, limit = sum(counts.single_label.values()), MAX_IMAGES["segmentation"][split]
            short.append(
                Shortfall(
                    split,
                    f"{name} has {singles} of {counts.anomaly} anomaly images holding one "
                    f"anomaly type alone, the only images the per-label minimum counts; at that "
                    f"share even {limit:,} images (the service's limit) would hold fewer than "
                    f"{per_label} per label (paint fewer types per image)",
                )
            )
    return short


# Below this many anomaly images, a split's share of single-type images says too little.
_SHARE_SAMPLE = 10


def _per_label_reachable(counts: SplitCounts, labels: int, need: int, split: str) -> bool:
    """Whether a dataset of this make-up, grown to the service's image limit, would hold
    `need` single-type images per label (true when the sample is too small to tell)."""
    if counts.anomaly < _SHARE_SAMPLE:
        return True
    total = counts.normal + counts.anomaly
    singles = sum(counts.single_label.values())
    return MAX_IMAGES["segmentation"][split] * singles / total / labels >= need


@dataclass
class _Manifest:
    source: str | None  # None for a manifest given as text: lines are then named "line N"
    base: int  # its line N is the project's line base + N (lines are numbered by an int)
    limits: dict[int, list[str]]  # images -> the tasks whose limit that many images pass
    attributes: dict[str, tuple[str, str]] = field(default_factory=dict)  # kind -> name, line
    counts: SplitCounts = field(default_factory=SplitCounts)
    past_limit: dict[str, int] = field(default_factory=dict)  # task -> first line over its limit
    # The label and mask attribute names of the last line that gave no finding about
    # them: the same names again cannot give one.
    quiet_names: tuple[str | None, str | None] = (None, None)


class _Findings(NamedTuple):
    """Makes the findings of one line (a tuple: cheaper to build than a closure)."""

    number: int
    source: str | None

    def __call__(self, rule: str, message: str, *related: str, where: str | None = None) -> Finding:
        return Finding(rule, _SEVERITY[rule], self.number, where, message, self.source, related)


class ProjectChecks:
    """Feed it each line's facts in order; it yields the dataset findings as they show."""

    def __init__(self) -> None:
        self._images: dict[str, int] = {}  # source-ref -> its first line, in the project
        self._size: tuple[tuple[int, int], str] | None = None
        self._class_color: dict[str, tuple[str, str]] = {}  # class -> (color, file:line)
        self._color_class: dict[str, tuple[str, str]] = {}
        self._anomaly_labels: dict[str, str] = {}  # anomaly class -> file:line first seen
        self._over_limit: dict[str, str] = {}  # the labels past the project's 100th, likewise
        self._unmasked: list[tuple[str | None, int]] = []  # anomaly lines without a mask
        self._masked: str | None = None  # file:line of the first line with a mask
        self._masks_read = False
        # The last color map's classes that gave no finding: the same object again (the
        # field checks hand out one per repeated map) cannot give one either.
        self._quiet_classes: dict[str, str] | None = None
        self._manifests: list[_Manifest] = []
        self._last = 0  # the project's number of the last line seen
        # A manifest refused unread (over the size limit): the project's shape is unknown.
        self.unread = False
        self.lines = 0  # the lines of every manifest: with none, manifest.empty says it all

    def start(self, source: str | None) -> None:
        role = "train" if not self._manifests else "test"
        limits: dict[int, list[str]] = {}
        for task, limit in MAX_IMAGES.items():
            limits.setdefault(limit[role] + 1, []).append(task)
        self._manifests.append(_Manifest(source, self._last, limits))

    def _at(self, line: int) -> str:
        """`file:line` of a line by its project number (`line N` in a manifest given as text)."""
        manifest = next(m for m in reversed(self._manifests) if m.base < line)
        number = line - manifest.base
        return f"{manifest.source}:{number}" if manifest.source else f"line {number}"

    def line(self, number: int, facts: LineFacts) -> list[Finding]:
        """The dataset findings this line shows: a list, as most lines show none and a
        generator costs more than the checks. What only a finding needs (the line's name,
        its finding maker) is made only for one."""
        manifest = self._manifests[-1]
        self._last = serial = manifest.base + number
        out: list[Finding] = []
        if facts.image_uri is not None:
            first = self._images.setdefault(facts.image_uri, serial)
            if first != serial:
                message = (
                    f"{facts.image_uri} is also the image of another line: "
                    "images must be unique, and the service keeps only one line per image"
                )
                finding = _Findings(number, manifest.source)
                out.append(
                    finding("dataset.duplicate-image", message, self._at(first), where="source-ref")
                )
        names = (facts.label_attribute, facts.mask_attribute)
        if (
            facts.image_size is None
            and facts.classes is self._quiet_classes
            and names == manifest.quiet_names
        ):
            self._count(number, facts, manifest, serial)
            return out
        here = self._at(serial)
        finding = _Findings(number, manifest.source)
        if facts.image_size is not None:
            if self._size is None:
                self._size = (facts.image_size, here)
            elif facts.image_size != self._size[0]:
                (w, h), sized = self._size
                message = (
                    f"the image is {facts.image_size[0]}x{facts.image_size[1]}; the project's "
                    f"images are {w}x{h}"
                )
                out.append(finding("dataset.image-dimensions", message, sized, where="source-ref"))
        if facts.classes is not self._quiet_classes:
            out += self._classes(facts, here, finding)
        quiet = True
        for kind, name in zip(("label", "mask"), names, strict=True):
            if name is None:
                continue
            known = manifest.attributes.setdefault(kind, (name, here))
            if known[0] != name:
                quiet = False
                message = (
                    f"the {kind} attribute is {name!r}; the manifest's first is {known[0]!r}: "
                    "one labeling job writes one name"
                )
                out.append(finding("dataset.attribute-names", message, known[1], where=name))
        if quiet:
            manifest.quiet_names = names
        self._count(number, facts, manifest, serial)
        return out

    def alike(
        self,
        number: int,
        count: int,
        groups: Sequence[tuple[type[LineFacts], list[int], list[str]]],
    ) -> bool:
        """Take `count` lines from line `number` on at once, when `line` would find nothing
        on any of them and only count them: `groups` gives each group's facts (all but
        the image URI), its lines (offsets from `number`) and their image URIs. False, with
        nothing taken, when a line may show a finding or mark a place (the first line over a
        limit, ...): the caller gives them to `line` one by one."""
        manifest = self._manifests[-1]
        counts = manifest.counts
        normal = anomaly = 0
        unmasked: list[int] = []
        for facts, lines, _ in groups:
            if (
                facts.classes is not self._quiet_classes
                or (facts.label_attribute, facts.mask_attribute) != manifest.quiet_names
                or (facts.mask_attribute is not None and self._masked is None)
            ):
                return False
            if facts.class_name == "normal":
                normal += len(lines)
            elif facts.class_name == "anomaly":
                anomaly += len(lines)
                if facts.mask_attribute is None:
                    unmasked += lines
        before = counts.normal + counts.anomaly
        if any(before < limit <= before + normal + anomaly for limit in manifest.limits):
            return False
        uris = [uri for _, _, found in groups for uri in found]
        if len(set(uris)) < len(uris) or not self._images.keys().isdisjoint(uris):
            return False  # an image twice
        serial = manifest.base + number
        for _, lines, found in groups:
            self._images.update(zip(found, map(serial.__add__, lines), strict=True))
        counts.normal += normal
        counts.anomaly += anomaly
        self._unmasked += [(manifest.source, number + at) for at in sorted(unmasked)]
        self._last = serial + count - 1
        return True

    def _classes(self, facts: LineFacts, here: str, finding: _Findings) -> Iterator[Finding]:
        where = facts.mask_attribute and f"{facts.mask_attribute}-metadata"
        quiet = True
        past: list[str] = []  # the line's labels past the project's 100th
        for name, color in (facts.classes or {}).items():
            # One map each way: a class has one color, and a color one class.
            for seen, key, value, said in (
                (self._class_color, name, color, f"class {name!r} is {color}"),
                (self._color_class, color, name, f"color {color} is class {name!r}"),
            ):
                known = seen.setdefault(key, (value, here))
                if known[0] != value:
                    quiet = False
                    yield finding(
                        "dataset.color-consistency",
                        f"{said} here and {known[0]!r} on another line",
                        known[1],
                        where=where,
                    )
            if name in self._over_limit:
                past.append(name)
            if name == BACKGROUND_CLASS or name in self._anomaly_labels:
                continue
            self._anomaly_labels[name] = here
            if len(self._anomaly_labels) > MAX_ANOMALY_LABELS:
                self._over_limit[name] = here
                past.append(name)
            if not ANOMALY_NAME.fullmatch(name):
                quiet = False
                yield finding(
                    "dataset.class-name-chars",
                    f"anomaly class {name!r} is not 1-256 characters of a-z, A-Z, 0-9 "
                    "(the service's anomaly names)",
                )
        if past:
            quiet = False
            first = next(iter(self._over_limit.values()))  # the first line past the limit
            yield finding(
                "dataset.max-classes",
                f"anomaly label {past[0]!r} is one of {len(self._anomaly_labels)} in the "
                f"project; a project holds at most {MAX_ANOMALY_LABELS}",
                *([first] if first != here else []),
                where=where,
            )
        if quiet:
            self._quiet_classes = facts.classes

    def _count(self, number: int, facts: LineFacts, manifest: _Manifest, serial: int) -> None:
        if facts.mask_attribute is not None and self._masked is None:
            self._masked = self._at(serial)
        counted = True
        if facts.class_name == "normal":
            manifest.counts.normal += 1
        elif facts.class_name == "anomaly":
            manifest.counts.anomaly += 1
            if facts.mask_attribute is None:
                self._unmasked.append((manifest.source, number))
        else:
            counted = False
        # The task is known at the project's end: note where each limit is passed.
        if counted and (
            passed := manifest.limits.get(manifest.counts.normal + manifest.counts.anomaly)
        ):
            for task in passed:
                manifest.past_limit[task] = number
        if facts.mask_colors is not None and facts.classes is not None:
            self._masks_read = True
            by_color = {color: name for name, color in facts.classes.items()}
            held = {by_color.get(c) for c in facts.mask_colors if c != BACKGROUND_COLOR}
            if len(held) == 1 and None not in held:
                manifest.counts.single_label[str(held.pop())] += 1

    def finish(self) -> Iterator[Finding]:
        """The findings only the whole manifest shows (mask-missing)."""
        if self._masked is not None:
            for source, number in self._unmasked:
                yield Finding(
                    "dataset.mask-missing",
                    Severity.ERROR,
                    number,
                    None,
                    "an anomaly line without a mask, in a segmentation dataset: it cannot "
                    "teach where the anomaly is",
                    source,
                    (self._masked,),
                )

    def finish_project(self) -> Iterator[Finding]:
        """The findings that need the project's shape: image limits and training minimums."""
        if self.unread or not self.lines:
            return
        task = "segmentation" if self._masked is not None else "classification"
        roles = ["train"] + ["test"] * (len(self._manifests) - 1)
        splits: dict[str, SplitCounts] = {}
        for role, manifest in zip(roles, self._manifests, strict=True):
            counts = manifest.counts
            total = counts.normal + counts.anomaly
            limit = MAX_IMAGES[task][role]
            if total > limit:  # reported on the first image past the limit
                yield Finding(
                    "dataset.max-images",
                    Severity.ERROR,
                    manifest.past_limit[task],
                    None,
                    f"image {limit + 1:,} of {total:,}; a {task} {role} dataset holds at "
                    f"most {limit:,}",
                    manifest.source,
                )
            merged = splits.setdefault(role, SplitCounts())
            merged.normal += counts.normal
            merged.anomaly += counts.anomaly
            merged.single_label.update(counts.single_label)
        labels = list(self._anomaly_labels) if task == "segmentation" and self._masks_read else []
        # Each split's finding names its first manifest.
        pairs = list(zip(roles, self._manifests, strict=True))
        first = {role: m.source for role, m in reversed(pairs)}
        for short in training_shortfalls(splits, labels=labels):
            yield Finding(
                "dataset.training-minimum",
                Severity.WARNING,
                None,
                None,
                f"{short}: the manifests import, but training fails",
                first[short.split],
            )


_SEVERITY = {
    "dataset.duplicate-image": Severity.ERROR,
    "dataset.image-dimensions": Severity.ERROR,
    "dataset.color-consistency": Severity.ERROR,
    "dataset.attribute-names": Severity.WARNING,
    "dataset.class-name-chars": Severity.WARNING,
    "dataset.max-classes": Severity.ERROR,
}
