"""Probes: whole manifests with their objects, and which of their lines a validator must flag.

A probe is what `synth check` feeds a validator and `synth suite` writes to disk. The
fixed ones come first: every fault and near-miss of the catalogue once on a one-line
manifest, for each task and style (as `every_case()` builds them, on 64 px images), then
each dataset fault as a multi-line manifest: a reference line, a valid line, and the
line the fault changed. Drawn probes come from the Hypothesis strategies (`drawn`).

A line's verdict is one of three: it must be flagged (it breaks `rules`), it must not be
(valid, a near-miss, or a line that only warns), or either is right (`neutral`: the
reference of a dataset fault, which a validator may well flag beside its twin, or a line
breaking only rules the validator was not asked to check). A dataset
fault's line is caught when it, or a line it `needs`, is flagged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from synth.config.preset import TASKS, load_preset
from synth.config.styles import STYLES, styles_for
from synth.faults import CATALOGUE, DATASET_FAULTS, Case, DatasetFault, Fault
from synth.testing.cases import build_case

# Objects larger than this (the 8 MB image of `image-file-too-large`) are probed once, on
# the first task and style chosen: the bytes are the same for all, and the suite stays small.
_ONCE_ABOVE = 1 << 20
SIZE = 64
Objects = Mapping[str, bytes]


@dataclass(frozen=True, slots=True)
class Line:
    """One manifest line and its verdict."""

    text: bytes  # as written, newline included
    rules: frozenset[str] = frozenset()  # a validator must flag the line for these
    warnings: frozenset[str] = frozenset()  # a validator may warn of these
    faults: tuple[str, ...] = ()
    neutral: bool = False  # flagged or not, either is right
    needs: tuple[int, ...] = ()  # 0-based lines it breaks its rules against

    @property
    def must_flag(self) -> bool:
        return bool(self.rules)

    @property
    def must_pass(self) -> bool:
        return not self.rules and not self.neutral


@dataclass(frozen=True)
class Probe:
    """A manifest, the objects it references (by s3:// URI), and each line's verdict."""

    name: str  # unique, a path: TASK/STYLE/FAULT, or drawn/SEED-N
    fault: str  # the fault or near-miss it shows, "valid", or "drawn"
    kind: str  # the fault's level, "near-miss", "valid" or "drawn"
    doc: str
    task: str
    style: str
    profile: str  # the validator profile its verdicts hold under
    lines: tuple[Line, ...]
    objects: Objects = field(repr=False)

    @property
    def manifest(self) -> bytes:
        return b"".join(line.text for line in self.lines)

    @property
    def rules(self) -> frozenset[str]:
        return frozenset().union(*(line.rules for line in self.lines))

    @property
    def valid(self) -> bool:
        return not self.rules

    def keep(self, indices: Sequence[int]) -> Probe:
        """The probe with only these lines (and what they need), renumbered; the objects
        only the kept lines name. Shrinking removes lines this way."""
        kept = sorted(set(indices) | {n for i in indices for n in self.lines[i].needs})
        where = {old: new for new, old in enumerate(kept)}
        lines = tuple(
            replace(self.lines[i], needs=tuple(where[n] for n in self.lines[i].needs)) for i in kept
        )
        text = b"".join(line.text for line in lines)
        objects = {uri: data for uri, data in self.objects.items() if uri.encode() in text}
        return replace(self, lines=lines, objects=objects)


def line_of(case: Case, *, neutral: bool = False, needs: tuple[int, ...] = ()) -> Line:
    """A case's line with its verdict. A line that only warns is valid: a validator may
    warn of it (a flag marked as a warning), never reject it."""
    return Line(
        case.manifest,
        case.expected_rules,
        case.expected_warnings,
        case.faults,
        neutral=neutral,
        needs=needs,
    )


def restrict(probe: Probe, rules: frozenset[str]) -> Probe:
    """The probe judged on `rules` only: a line breaking none of them may be flagged or not."""
    lines = tuple(
        replace(line, rules=line.rules & rules, neutral=line.neutral or not line.rules & rules)
        if line.rules
        else line
        for line in probe.lines
    )
    return replace(probe, lines=lines)


def _kind(fault: Fault) -> str:
    return fault.level if fault.rules else "near-miss"


def fixed(
    objects: bool = True,
    seed: int = 0,
    tasks: Collection[str] | None = None,
    styles: Collection[str] | None = None,
) -> tuple[Probe, ...]:
    """Every fault and near-miss once for each task and style (all, or those given), then
    each dataset fault as a three-line manifest. `objects=False` leaves out the faults in
    the objects (and empties the objects) for validators that read the manifest only;
    `seed` picks the images (and so the objects' keys) the lines are made from."""
    pairs = [
        (task, style)
        for task in TASKS
        for style in styles_for(task)  # AWS's tools write no segmentation lines
        if (tasks is None or task in tasks) and (styles is None or style in styles)
    ]
    probes: list[Probe] = []
    for number, (task, style) in enumerate(pairs):
        probes += _fixed_of(task, style, objects, seed, big=number == 0)
    return tuple(probes)


Make = Callable[[int, bool], Case]


@functools.cache
def _fixed_of(task: str, style: str, objects: bool, seed: int, big: bool) -> tuple[Probe, ...]:
    """One task and style's probes; `big`: with those whose objects are large."""
    return tuple(_made(task, style, objects, 4 * seed, big))


def _made(task: str, style: str, objects: bool, first: int, big: bool) -> Iterator[Probe]:
    preset = replace(load_preset("mixed"), width=SIZE, height=SIZE, task=task, style=style)
    profile = STYLES[style].profile
    separators = STYLES[style].separators

    def case(number: int, anomalous: bool) -> Case:
        made = build_case(preset, first + number, anomalous)
        return replace(made, separators=separators)

    def probe(fault: str, kind: str, doc: str, lines: tuple[Line, ...], found: Objects) -> Probe:
        kept = found if objects else {}
        return Probe(f"{task}/{style}/{fault}", fault, kind, doc, task, style, profile, lines, kept)

    valid = {flag: case(1, flag) for flag in (True, False)}
    for name, flag in (("valid", True), ("valid-normal", False)):
        said = f"A valid {'anomalous' if flag else 'normal'} line."
        yield probe(name, "valid", said, (line_of(valid[flag]),), valid[flag].objects)
    for fault in CATALOGUE.values():
        if fault.level == "object" and not objects:
            continue
        base = next((valid[flag] for flag in (True, False) if fault.fits(valid[flag])), None)
        if base is None:
            continue  # a fault of masks, on a classification task
        broken = fault.apply(base, np.random.default_rng(0))
        if sum(map(len, broken.objects.values())) > _ONCE_ABOVE and not big:
            continue
        yield probe(fault.name, _kind(fault), fault.doc, (line_of(broken),), broken.objects)
    for multi in DATASET_FAULTS.values():
        if not isinstance(multi, DatasetFault):
            continue  # project faults: a project of hundreds of lines, or a 1 GB file
        made = _dataset_lines(multi, case)
        if made is None:
            continue
        lines, found = made
        yield probe(multi.name, "dataset" if multi.rules else "near-miss", multi.doc, lines, found)


def _dataset_lines(multi: DatasetFault, make: Make) -> tuple[tuple[Line, ...], Objects] | None:
    """Reference, a valid filler, and the target the fault changed; None if no pair fits."""
    for flags in ((True, True), (False, True), (True, False), (False, False)):
        reference, target = make(2, flags[0]), make(4, flags[1])
        if multi.fits(reference, target):
            break
    else:
        return None
    filler = make(3, False)
    broken = multi.apply(reference, target, np.random.default_rng(0))
    lines = (
        line_of(reference, neutral=True),
        line_of(filler),
        line_of(broken, needs=(0,)),
    )
    found = {**reference.objects, **filler.objects, **broken.objects}
    return lines, found
