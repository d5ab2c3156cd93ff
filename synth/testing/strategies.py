"""Hypothesis strategies for fuzzing manifest validators: valid cases, and broken ones that
say which rules they break.

    from hypothesis import given
    from synth.testing import manifest_cases

    @given(manifest_cases())
    def test_my_validator(case):
        assert my_validate(case.manifest, case.objects) == case.expected_rules

By default two cases in three are broken: a third of those are a line that cannot be
read, the rest a rule drawn first, uniformly, then one of its faults, with more faults on
other parts of the line and its objects (see `manifest_cases`); of the valid third, two
thirds are near-misses (valid lines that look odd), several at once. Everything is built
by construction, never filtered. Cases are small (64 px images by default) and shrink
towards a plain valid line, the smallest image, one defect class and a single fault.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from synth.extras import missing

try:
    from hypothesis import strategies as st
except ImportError as error:
    raise missing("hypothesis", "testing", "synth.testing.strategies") from error

from synth.annotate.records import color_map
from synth.config.preset import DefectClass, Preset
from synth.errors import ArgumentError
from synth.faults import (
    DATASET_FAULTS,
    Case,
    DatasetFault,
    Fault,
    breaking,
    clash,
    compose,
    near_misses,
)
from synth.faults.model import LINE
from synth.faults.ops import FAULT_COLORS
from synth.format import RULES, S3Uri
from synth.seeding import Stream, image_rng
from synth.testing.cases import build_case, preset_of

__all__ = [
    "Case",
    "bucket_names",
    "color_maps",
    "datasets",
    "defect_classes",
    "hex_colors",
    "label_metadata",
    "manifest_cases",
    "masks",
    "presets",
    "s3_uris",
    "valid_cases",
]

_NAMES = ("scratch", "dent", "stain", "crack", "rust", "chip", "pit", "burn")
# Colors where validators and faults go wrong: black, one step from white, grey, ...
_EDGE_COLORS = ("#000000", "#fffffe", "#000001", "#fefefe", "#7f7f7f", "#ff0000")
_WHITE = 0xFFFFFF
_COLOR_MODES = ("apart", "edge", "neighbours")
_SEEDS = st.integers(0, 2**32 - 1)

# Each draw below comes from a strategy of its own (no two share a Hypothesis label),
# so Hypothesis' mutator, which copies one span over another of the same label, has
# nothing to copy: every example is freshly drawn, and 100 examples reach far more
# rules than when most of them are near-copies of a few.


def hex_colors() -> st.SearchStrategy[str]:
    """Lower-case #rrggbb colors other than the background's white, edge colors often."""
    return st.sampled_from(_EDGE_COLORS) | st.integers(0, 0xFFFFFE).map(lambda n: f"#{n:06x}")


def _colors(count: int, mode: str, rng: np.random.Generator) -> list[str]:
    """`count` distinct non-white colors: far apart, edge colors, or neighbours of one color."""
    if mode == "edge":
        picked = [int(c[1:], 16) for c in rng.permutation(_EDGE_COLORS)]
    elif mode == "neighbours":
        base = int(rng.integers(0, _WHITE))
        picked = [base, *(base ^ (1 << int(b)) for b in rng.permutation(24))]
    else:
        picked = []
    picked += rng.integers(0, _WHITE, size=count).tolist()  # fills up any shortfall
    # Out of the faults' block: a class a fault adds never meets a drawn one.
    outside = (c ^ 0x800000 if c in FAULT_COLORS else c for c in picked)
    distinct = dict.fromkeys(c for c in outside if c != _WHITE)
    return [f"#{c:06x}" for c in list(distinct)[:count]]


def _classes(count: int, mode: str, seed: int) -> tuple[DefectClass, ...]:
    from synth.imaging.defects import PAINTERS, resolve_params

    rng = np.random.default_rng(seed)
    names = rng.permutation(_NAMES)[:count].tolist()
    painters = rng.choice(PAINTERS.names(), size=count).tolist()
    return tuple(
        DefectClass(name, color, painter, (1, 2), resolve_params(PAINTERS[painter], {}))
        for name, color, painter in zip(names, _colors(count, mode, rng), painters, strict=True)
    )


def _bucket(size: int, seed: int) -> str:
    """A valid bucket name of `size` (3..63) characters, drawn from `seed`."""
    rng = np.random.default_rng(seed)
    inner, ends = "abcdefghijklmnopqrstuvwxyz0123456789-.", "abcdefghijklmnopqrstuvwxyz0123456789"
    middle = "".join(rng.choice(list(inner), size=size - 2)).replace("..", ".-")
    return str(rng.choice(list(ends))) + middle + str(rng.choice(list(ends)))


def bucket_names() -> st.SearchStrategy[str]:
    """Valid bucket names, 3 to 63 characters, the shortest and longest often."""
    return st.builds(_bucket, st.sampled_from((3, 63)) | st.integers(3, 63), _SEEDS)


def s3_uris(bucket: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """Valid s3://BUCKET/OBJECT_PATH URIs."""
    keys = st.from_regex(r"[a-z0-9][a-z0-9/_.-]{0,30}\.png", fullmatch=True)
    return st.builds(lambda b, k: str(S3Uri(b, k)), bucket or bucket_names(), keys)


def defect_classes(max_classes: int = 3) -> st.SearchStrategy[tuple[DefectClass, ...]]:
    """1..max_classes classes with distinct names and colors, each with a registered painter.

    Colors are far apart, or edge colors (#000000, #fffffe, ...), or neighbours one step
    apart: the maps where a fault's "other" color is easy to get wrong.
    """
    if not 1 <= max_classes <= len(_NAMES):
        raise ArgumentError(f"max_classes must be 1..{len(_NAMES)}")
    return st.builds(
        _classes,
        st.sampled_from(range(1, max_classes + 1)),
        st.sampled_from(_COLOR_MODES),
        _SEEDS,
    )


def color_maps(max_classes: int = 3) -> st.SearchStrategy[dict[str, dict[str, object]]]:
    """Valid internal-color-map objects: BACKGROUND at "0", then the classes."""
    return defect_classes(max_classes).map(lambda c: color_map(preset_of(c, 64, 64, "bucket")))


def label_metadata() -> st.SearchStrategy[dict[str, object]]:
    """Valid classification metadata, optional fields present or not."""
    dates = st.datetimes().map(lambda d: d.isoformat(timespec="milliseconds"))
    return st.fixed_dictionaries(
        {
            "class-name": st.sampled_from(["normal", "anomaly"]),
            "human-annotated": st.sampled_from(["yes", "no"]),
            "type": st.just("groundtruth/image-classification"),
        },
        optional={
            "confidence": st.integers(0, 1) | st.floats(0, 1),
            "job-name": st.text(min_size=1, max_size=20),
            "creation-date": dates,
        },
    )


def masks(width: int = 64, height: int = 64, classes: int = 2) -> st.SearchStrategy[np.ndarray]:
    """Index masks (uint8, 0 = background) with a few rectangles of class pixels."""

    @st.composite
    def draw(draw: st.DrawFn) -> np.ndarray:
        mask = np.zeros((height, width), np.uint8)
        for _ in range(draw(st.integers(0, 3))):
            top, left = draw(st.integers(0, height - 1)), draw(st.integers(0, width - 1))
            mask[top : top + draw(st.integers(1, 16)), left : left + draw(st.integers(1, 16))] = (
                draw(st.integers(1, classes))
            )
        return mask

    return draw()


_SIZES = ((64, 64), (96, 64), (64, 128))
# Fixed names, or names of these lengths drawn from the case's seed.
_BUCKETS: tuple[str | int, ...] = ("synth-dataset", "b-0", "test.bucket", 3, 63, 40)


_PRESET_SEEDS = st.sampled_from(range(2**32))  # not _SEEDS: a label of its own (see above)
_LINE_SEEDS = st.integers(0, 2**32 - 1).map(int)  # a dataset's lines' seeds, likewise


def presets(
    sizes: Sequence[tuple[int, int]] = _SIZES,
    buckets: st.SearchStrategy[str] | None = None,
    max_classes: int = 3,
    task: str = "segmentation",
) -> st.SearchStrategy[Preset]:
    """Drawn one-image presets: classes and their colors, size, bucket; `task`
    "classification" makes no masks."""
    counts = st.sampled_from(range(1, max_classes + 1))
    modes, shapes = st.sampled_from(_COLOR_MODES), st.sampled_from(sizes)
    named = st.sampled_from(_BUCKETS) if buckets is None else buckets
    return _preset(counts, modes, shapes, named, task)


# The composites below are defined once, here, and given their settings as arguments:
# Hypothesis reads a composite's source each time the decorator runs (about 50 ms for
# manifest_cases'), which in a draw (a line of datasets(), a case of manifest_cases())
# cost more than the drawing itself.


@st.composite
def _preset(
    draw: st.DrawFn,
    counts: st.SearchStrategy[int],
    modes: st.SearchStrategy[str],
    shapes: st.SearchStrategy[tuple[int, int]],
    named: st.SearchStrategy[str | int],
    task: str,
) -> Preset:
    count, mode, (width, height) = draw(counts), draw(modes), draw(shapes)
    bucket = draw(named)
    seed = draw(_PRESET_SEEDS)
    if isinstance(bucket, int):
        bucket = _bucket(bucket, seed)
    return preset_of(_classes(count, mode, seed), width, height, bucket, task)


def valid_cases(
    sizes: Sequence[tuple[int, int]] = _SIZES,
    buckets: st.SearchStrategy[str] | None = None,
    anomalous: bool | None = None,
    max_classes: int = 3,
    preset: Preset | None = None,
    task: str = "segmentation",
    *,
    seeds: st.SearchStrategy[int] | None = None,
) -> st.SearchStrategy[Case]:
    """Plain valid cases from drawn presets (or from `preset`, for lines of one dataset);
    `task="classification"` draws lines without masks. `seeds` draws the render seed, which
    also names the line's objects (`datasets()` gives each line its own)."""
    drawn = st.just(preset) if preset is not None else presets(sizes, buckets, max_classes, task)
    return _valid_case(drawn, anomalous, _SEEDS if seeds is None else seeds)


_LABELS = st.sampled_from(("normal", "anomaly"))


@st.composite
def _valid_case(
    draw: st.DrawFn,
    drawn: st.SearchStrategy[Preset],
    anomalous: bool | None,
    seeds: st.SearchStrategy[int],
) -> Case:
    chosen = draw(drawn)
    flag = draw(_LABELS) == "anomaly" if anomalous is None else anomalous
    return build_case(chosen, draw(seeds), flag)


def _labeled_as(faults: Sequence[Fault]) -> bool | None:
    """The label a case must have for one of `faults` to fit it (None: either will do)."""
    wanted = {f.applies for f in faults}
    return (wanted.pop() == "anomaly") if len(wanted) == 1 and "any" not in wanted else None


_SHAPES = st.sampled_from(("readable", "readable", "unreadable"))
# Most faults in a mask need defect pixels (stray colors, too many classes, an empty mask).
_READABLE_LABELS = st.sampled_from(("anomaly", "anomaly", "normal"))


def _by_rule(faults: Iterable[Fault]) -> dict[str, list[Fault]]:
    """Faults grouped by the rules they break, in rule order."""
    groups: dict[str, list[Fault]] = {}
    for f in faults:
        for rule in f.rules:
            groups.setdefault(rule, []).append(f)
    return dict(sorted(groups.items()))


@functools.cache
def _weights(faults: tuple[Fault, ...]) -> np.ndarray:
    """How early each fault is tried as an extra one: (1 + the number of others it clashes
    with) squared, doubled for a fault in the objects. A fault that clashes with many (a
    mask's stray colors clash with every change to the color map) would otherwise be
    crowded out by them, and the objects' checks reached less often than the line's."""
    return np.array(
        [
            (1.0 + sum(1 for g in faults if g is not f and clash([f, g]))) ** 2
            * (2.0 if f.level == "object" else 1.0)
            for f in faults
        ]
    )


def _more_faults(
    chosen: list[Fault],
    faults: tuple[Fault, ...],
    case: Case,
    count: int,
    rng: np.random.Generator,
) -> list[Fault]:
    """Up to `count` more faults that fit the case and compose with those chosen (never
    one that makes the line unreadable: it would hide the others). They are tried in a
    random order weighted by `_weights` (each fault's key is a uniform draw to the power
    1/weight), so one order decides them all and fewer faults keep its first ones.
    """
    keys = rng.random(len(faults)) ** (1 / _weights(faults))
    more: list[Fault] = []
    for index in np.argsort(-keys, kind="stable"):
        f = faults[int(index)]
        if len(more) == count:
            break
        fits = LINE not in f.touches and f not in chosen and f.fits(case)
        if fits and not clash([*chosen, *more, f]):
            more.append(f)
    return [*chosen, *more]


def _kept(chosen: list[Fault], keep: bytes) -> list[Fault]:
    """The faults whose keep byte is not 0 (the first if none is). Drawn, a byte is 0 one
    time in 256, so all are kept; shrinking zeroes the bytes one by one, so a failing case
    sheds every fault but the one that matters, the rule drawn first included. They come
    in the draw of the order's seed: a number drawn per fault instead (Hypothesis' mutator
    copies one draw over another of its kind, see above) cut the rule-id kill rate at 100
    examples from 93.9% to 66.7%."""
    kept = [f for f, byte in zip(chosen, keep, strict=False) if byte]
    return kept or chosen[:1]


def _name_seed(fault: Fault) -> int:
    """A fault's own seed, from its name: its draws do not depend on the faults beside it."""
    return zlib.crc32(fault.name.encode())


def manifest_cases(
    valid: bool | None = None,
    rules: Collection[str] | None = None,
    objects: bool = True,
    sizes: Sequence[tuple[int, int]] = _SIZES,
    buckets: st.SearchStrategy[str] | None = None,
    max_faults: int = 10,
    preset: Preset | None = None,
    task: str = "segmentation",
    among_others: bool = False,
    *,
    seeds: st.SearchStrategy[int] | None = None,
) -> st.SearchStrategy[Case]:
    """One manifest line with its objects and the rule ids a correct validator must report.

    `valid=True` draws valid cases only (plain, or near-misses that look odd but are
    valid); `valid=False` broken ones only; `rules` restricts broken cases to faults
    breaking those rules; `objects=False` leaves `objects` empty and draws no fault
    that lives in the objects; `max_faults` caps the faults (or near-misses) composed
    on one case, their rules adding up (1: a single fault per case); `among_others=True`
    draws lines for a manifest of several, leaving out what is valid only alone (custom
    attribute names on one line warn `dataset.attribute-names` beside the others); `seeds`
    draws the valid line's render seed (see `valid_cases`).

    A broken case is, 1 in 3, a line that cannot be read (truncated, not UTF-8, blank, a
    JSON array...): one such fault, uniformly, alone, as it hides every other. Otherwise
    a rule is drawn first, uniformly, then one of its faults, then up to `max_faults - 1`
    more faults on independent parts of the line and its objects, so one case exercises
    many checks at once. A failing case shrinks to the one fault that matters, whichever
    of them it was.
    """
    unknown = set(rules or ()) - set(RULES)
    if unknown:
        raise ArgumentError(f"unknown rule ids: {', '.join(sorted(unknown))}")
    if max_faults < 1:
        raise ArgumentError("max_faults must be at least 1")
    task = preset.task if preset is not None else task
    masked = task == "segmentation"  # classification lines fit no fault that needs a mask

    def usable(faults: Iterable[Fault]) -> tuple[Fault, ...]:
        return tuple(
            f
            for f in faults
            if (objects or f.level != "object")
            and (masked or not f.needs_mask)
            and not (among_others and f.alone)
        )

    allowed = tuple(f for f in usable(breaking()) if rules is None or f.rules & set(rules))
    odd = usable(near_misses())
    unreadable = [f for f in allowed if LINE in f.touches]
    readable = {
        rule: faults
        for rule, faults in _by_rule(f for f in allowed if LINE not in f.touches).items()
        if rules is None or rule in rules
    }
    if valid is False and not (unreadable or readable):
        raise ArgumentError(
            "no fault breaks those rules" + (" without objects" if not objects else "")
        )

    cases = {
        labeled: valid_cases(sizes, buckets, labeled, preset=preset, task=task, seeds=seeds)
        for labeled in (None, True, False)
    }
    line = _Line(
        valid,
        unreadable,
        readable,
        odd,
        allowed,
        objects,
        cases,
        rule_names=st.sampled_from(sorted(readable) or [""]),
        extra=st.sampled_from(range(max_faults)),
        extra_bits=st.binary(min_size=8 + max_faults, max_size=8 + max_faults),
    )
    return _manifest_case(line)


# Two in three cases are broken: a broken case catches a validator too strict as surely as
# a valid one (a check the format lacks fires on it too), and the faults that fit only
# alone on their part of a line (a JPEG mask, a recolored background) need the cases:
# bench/bench_fuzz.py's rule-id mutants at 100 examples, half broken, survived more.
_KINDS = st.sampled_from(("valid", "broken", "broken"))
_ODDNESS = st.sampled_from(("plain", "near-miss", "odd"))  # 2 in 3 near-misses


@dataclass(frozen=True, repr=False)
class _Line:
    """What manifest_cases() draws a line from: its settings, worked out once."""

    valid: bool | None
    unreadable: list[Fault]
    readable: dict[str, list[Fault]]
    odd: tuple[Fault, ...]
    allowed: tuple[Fault, ...]
    objects: bool
    cases: dict[bool | None, st.SearchStrategy[Case]]  # valid_cases() by label (None: either)
    rule_names: st.SearchStrategy[str]
    extra: st.SearchStrategy[int]
    extra_bits: st.SearchStrategy[bytes]


@st.composite
def _manifest_case(draw: st.DrawFn, line: _Line) -> Case:
    unreadable, readable, valid = line.unreadable, line.readable, line.valid
    broken = bool(unreadable or readable) and (
        valid is False or (valid is None and draw(_KINDS) == "broken")
    )
    if broken and unreadable and (not readable or draw(_SHAPES) == "unreadable"):
        case = draw(line.cases[None])
        chosen = [draw(st.sampled_from([f for f in unreadable if f.fits(case)]))]
    elif broken and readable:
        candidates = readable[draw(line.rule_names)]
        labeled = _labeled_as(candidates)
        if labeled is None:
            labeled = draw(_READABLE_LABELS) == "anomaly"
        case = draw(line.cases[labeled])
        chosen = [draw(st.sampled_from([f for f in candidates if f.fits(case)]))]
    else:
        case = draw(line.cases[None])
        fitting = [f for f in line.odd if f.fits(case)]
        chosen = [draw(st.sampled_from(fitting))] if draw(_ODDNESS) != "plain" else []
    extras = draw(line.extra) if chosen and LINE not in chosen[0].touches else 0
    if extras:  # drawn from one value: repeated draws would invite Hypothesis' mutator
        bits = draw(line.extra_bits)  # the order's seed, then a keep byte per fault
        rng = np.random.default_rng(list(bits[:8]))
        chosen = _more_faults(chosen, line.allowed if broken else line.odd, case, extras, rng)
        chosen = _kept(chosen, bits[8:])
    if chosen:
        seed = zlib.crc32(case.manifest)
        case = compose(case, chosen, lambda f: np.random.default_rng([seed, _name_seed(f)]))
    return case if line.objects else replace(case, objects={})


def datasets(
    min_size: int = 1,
    max_size: int = 5,
    valid: bool | None = None,
    dataset_fault: bool | None = None,
    task: str = "segmentation",
) -> st.SearchStrategy[list[Case]]:
    """Small datasets: the lines of one project (one preset: size, classes, colors, bucket).

    Each line is drawn as `manifest_cases(valid)` draws it. With `dataset_fault` (True:
    always; None: sometimes, unless `valid` is True), two more lines are added, a
    reference first and a target last, and a dataset fault makes the target break a
    rule across lines (the same image twice, another size, ...): the target's
    `expected_rules` carry it, as every line's carry its own.
    """

    @st.composite
    def draw(draw: st.DrawFn) -> list[Case]:
        preset = draw(presets(task=task))
        # One render seed per line: the seed names a line's objects, so two lines never
        # share one (a fault that removes or re-encodes an object then holds in the dataset).
        seeds = draw(st.lists(_LINE_SEEDS, min_size=min_size, max_size=max_size, unique=True))
        cases = [
            draw(manifest_cases(valid, preset=preset, among_others=True, seeds=st.just(seed)))
            for seed in seeds
        ]
        add = (
            dataset_fault
            if dataset_fault is not None
            else valid is not True and draw(st.booleans())
        )
        if not add:
            return cases
        # Seeds above the lines' (< 2**32), so the two new images are new to the dataset.
        seeds = draw(st.lists(st.integers(2**32, 2**33), min_size=2, max_size=2, unique=True))
        reference, target = (build_case(preset, s, draw(st.booleans())) for s in seeds)
        fitting = [
            f
            for f in DATASET_FAULTS.values()
            if isinstance(f, DatasetFault) and f.fits(reference, target)
        ]
        fault = draw(st.sampled_from(fitting))  # duplicate-image fits any two lines
        rng = image_rng(draw(st.integers(0, 2**16)), 1, Stream.FAULT)
        return [reference, *cases, fault.apply(reference, target, rng)]

    return draw()
