"""Hypothesis strategies for fuzzing manifest validators: valid cases, and broken ones that
say which rules they break.

    from hypothesis import given
    from synth.testing import manifest_cases

    @given(manifest_cases())
    def test_my_validator(case):
        assert my_validate(case.manifest, case.objects) == case.expected_rules

By default about half the cases are broken: a rule is drawn first, uniformly, then one
of the faults breaking it that fits the case; of the valid half, about half are
near-misses (valid lines that look odd). Everything is built by construction, never
filtered. Cases are small (64 px images by default) and shrink towards a plain valid
line, the smallest image, one defect class and a single fault.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

import numpy as np

from synth.extras import missing

try:
    from hypothesis import strategies as st
except ImportError as error:
    raise missing("hypothesis", "testing", "synth.testing.strategies") from error

from synth.annotate.records import color_map, has_mask, job_names, palette, record
from synth.config.preset import DefectClass, Preset
from synth.faults import DATASET_FAULTS, Case, Fault, breaking, clash, compose, near_misses
from synth.format import RULES, S3Uri
from synth.imaging.encode import encode_image, encode_mask
from synth.imaging.render import render
from synth.plan import ImageSpec
from synth.seeding import Stream, image_rng

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

_NAMES = st.sampled_from(["scratch", "dent", "stain", "crack", "rust", "chip", "pit", "burn"])
# Colors where validators and faults go wrong: black, one step from white, grey, ...
_EDGE_COLORS = ("#000000", "#fffffe", "#000001", "#fefefe", "#7f7f7f", "#ff0000")
_WHITE = 0xFFFFFF


def hex_colors() -> st.SearchStrategy[str]:
    """Lower-case #rrggbb colors other than the background's white, edge colors often."""
    return st.sampled_from(_EDGE_COLORS) | st.integers(0, 0xFFFFFE).map(lambda n: f"#{n:06x}")


def _neighbours(n: int) -> st.SearchStrategy[list[str]]:
    """Up to n colors one step (one bit of one channel) apart from a first one."""
    return st.builds(
        lambda base, bits: list(
            dict.fromkeys(
                f"#{c:06x}" for c in (base, *(base ^ (1 << b) for b in bits)) if c != _WHITE
            )
        ),
        st.integers(0, 0xFFFFFE),
        st.lists(st.integers(0, 23), min_size=n - 1, max_size=n - 1, unique=True),
    )


def bucket_names() -> st.SearchStrategy[str]:
    """Valid bucket names, 3 to 63 characters, the longest ones often."""

    @st.composite
    def draw(draw: st.DrawFn) -> str:
        size = draw(st.sampled_from([3, 63]) | st.integers(3, 63))
        ends = st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789")
        middle = draw(
            st.text("abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=size - 2, max_size=size - 2)
        )
        return draw(ends) + middle.replace("..", ".-") + draw(ends)

    return draw()


def s3_uris(bucket: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """Valid s3://BUCKET/OBJECT_PATH URIs."""
    keys = st.from_regex(r"[a-z0-9][a-z0-9/_.-]{0,30}\.png", fullmatch=True)
    return st.builds(lambda b, k: str(S3Uri(b, k)), bucket or bucket_names(), keys)


def defect_classes(max_classes: int = 3) -> st.SearchStrategy[tuple[DefectClass, ...]]:
    """1..max_classes classes with distinct names and colors, each with a painter.

    Colors are drawn apart, or as neighbours one step apart, edge colors often.
    """
    from synth.imaging.defects import PAINTERS, resolve_params

    def build(names: list[str], colors: list[str], painters: list[str]) -> tuple[DefectClass, ...]:
        return tuple(
            DefectClass(name, color, painter, (1, 2), resolve_params(PAINTERS[painter], {}))
            for name, color, painter in zip(names, colors, painters, strict=False)
        )

    return st.integers(1, max_classes).flatmap(
        lambda n: st.builds(
            build,
            st.lists(_NAMES, min_size=n, max_size=n, unique=True),
            st.lists(hex_colors(), min_size=n, max_size=n, unique=True) | _neighbours(n),
            st.lists(st.sampled_from(PAINTERS.names()), min_size=n, max_size=n),
        )
    )


def _preset(
    classes: tuple[DefectClass, ...],
    width: int,
    height: int,
    bucket: str,
    task: str = "segmentation",
) -> Preset:
    return Preset(
        task=task,
        name="hypothesis",
        description="drawn by synth.testing.strategies",
        width=width,
        height=height,
        textures=("painted",),
        classes=classes,
        count=1,
        bucket=bucket,
    )


def color_maps(max_classes: int = 3) -> st.SearchStrategy[dict[str, dict[str, object]]]:
    """Valid internal-color-map objects: BACKGROUND at "0", then the classes."""
    return defect_classes(max_classes).map(lambda c: color_map(_preset(c, 64, 64, "bucket")))


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


def build_case(preset: Preset, seed: int, anomalous: bool) -> Case:
    """The valid case synth renders for one image of `preset`: its line and objects."""
    spec = ImageSpec(index=0, split="train", anomalous=anomalous)
    rendered = render(preset, spec, seed)
    bucket = preset.bucket
    image_uri, mask_uri = (str(S3Uri(bucket, f"{kind}/{seed}.png")) for kind in ("images", "masks"))
    masked = has_mask(preset, spec)
    line = record(
        preset,
        spec,
        seed,
        image_uri=image_uri,
        mask_uri=mask_uri if masked else None,
        jobs=job_names(seed),
    )
    objects = {image_uri: encode_image(rendered.image, "png", compress_level=1)}
    if masked:
        objects[mask_uri] = encode_mask(rendered.labels, palette(preset), compress_level=1)
    return Case(record=line, objects=objects)


_SIZES = ((64, 64), (96, 64), (64, 128))
_BUCKETS = st.sampled_from(["synth-dataset", "b-0", "test.bucket"]) | bucket_names()


def presets(
    sizes: Sequence[tuple[int, int]] = _SIZES,
    buckets: st.SearchStrategy[str] | None = None,
    max_classes: int = 3,
    task: str = "segmentation",
) -> st.SearchStrategy[Preset]:
    """Drawn presets: classes, colors, size, bucket; `task` "classification" makes no masks."""

    @st.composite
    def draw(draw: st.DrawFn) -> Preset:
        classes = draw(defect_classes(max_classes))
        width, height = draw(st.sampled_from(sizes))
        bucket = draw(_BUCKETS if buckets is None else buckets)
        return _preset(classes, width, height, bucket, task)

    return draw()


def valid_cases(
    sizes: Sequence[tuple[int, int]] = _SIZES,
    buckets: st.SearchStrategy[str] | None = None,
    anomalous: bool | None = None,
    max_classes: int = 3,
    preset: Preset | None = None,
    task: str = "segmentation",
) -> st.SearchStrategy[Case]:
    """Plain valid cases from drawn presets (or from `preset`, for lines of one dataset);
    `task="classification"` draws lines without masks."""

    @st.composite
    def draw(draw: st.DrawFn) -> Case:
        chosen = preset or draw(presets(sizes, buckets, max_classes, task))
        flag = draw(st.booleans()) if anomalous is None else anomalous
        return build_case(chosen, draw(st.integers(0, 2**32 - 1)), flag)

    return draw()


def _labeled_as(faults: Sequence[Fault]) -> bool | None:
    """The label a case must have for one of `faults` to fit it (None: either will do)."""
    wanted = {f.applies for f in faults}
    return (wanted.pop() == "anomaly") if len(wanted) == 1 and "any" not in wanted else None


def manifest_cases(
    valid: bool | None = None,
    rules: Collection[str] | None = None,
    objects: bool = True,
    sizes: Sequence[tuple[int, int]] = _SIZES,
    buckets: st.SearchStrategy[str] | None = None,
    max_faults: int = 1,
    preset: Preset | None = None,
    task: str = "segmentation",
) -> st.SearchStrategy[Case]:
    """One manifest line with its objects and the rule ids a correct validator must report.

    `valid=True` draws valid cases only (plain, or near-misses that look odd but are
    valid); `valid=False` broken ones only; `rules` restricts broken cases to faults
    breaking those rules; `objects=False` leaves `objects` empty and draws no fault
    that lives in the objects; `max_faults` > 1 composes up to that many faults (or
    near-misses) on one case, their rules adding up.
    """
    unknown = set(rules or ()) - set(RULES)
    if unknown:
        raise ValueError(f"unknown rule ids: {', '.join(sorted(unknown))}")
    if max_faults < 1:
        raise ValueError("max_faults must be at least 1")
    task = preset.task if preset is not None else task
    masked = task == "segmentation"  # classification lines fit no fault that needs a mask
    usable = [
        f for f in breaking() if (objects or f.level != "object") and (masked or not f.needs_mask)
    ]
    allowed = [f for f in usable if rules is None or f.rules & set(rules)]
    odd = [
        f
        for f in near_misses()
        if (objects or f.level != "object") and (masked or not f.needs_mask)
    ]
    by_rule = {
        rule: [f for f in allowed if rule in f.rules]
        for rule in sorted({r for f in allowed for r in f.rules} & set(rules or RULES))
    }
    if valid is False and not by_rule:
        raise ValueError(
            "no fault breaks those rules" + (" without objects" if not objects else "")
        )

    @st.composite
    def draw(draw: st.DrawFn) -> Case:
        broken = bool(by_rule) and (valid is False or (valid is None and draw(st.booleans())))
        if broken:
            candidates = by_rule[draw(st.sampled_from(sorted(by_rule)))]
            labeled = _labeled_as(candidates)
            case = draw(valid_cases(sizes, buckets, labeled, preset=preset, task=task))
            chosen = [draw(st.sampled_from([f for f in candidates if f.fits(case)]))]
        else:
            case = draw(valid_cases(sizes, buckets, preset=preset, task=task))
            fitting = [f for f in odd if f.fits(case)]
            chosen = [draw(st.sampled_from(fitting))] if draw(st.booleans()) else []
        for _ in range(draw(st.integers(0, max_faults - 1)) if chosen else 0):
            more = [
                f
                for f in (allowed + odd if broken else odd)
                if f.fits(case) and clash([*chosen, f]) is None
            ]
            if more:
                chosen.append(draw(st.sampled_from(more)))
        if chosen:
            rng = image_rng(draw(st.integers(0, 2**16)), 0, Stream.FAULT)
            case = compose(case, chosen, rng)
        return case if objects else replace(case, objects={})

    return draw()


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
        cases = draw(
            st.lists(
                manifest_cases(valid=valid, preset=preset),
                min_size=min_size,
                max_size=max_size,
                unique_by=lambda case: case.record.get("source-ref", ""),
            )
        )
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
        fitting = [f for f in DATASET_FAULTS.values() if f.fits(reference, target)]
        fault = draw(st.sampled_from(fitting))  # duplicate-image fits any two lines
        rng = image_rng(draw(st.integers(0, 2**16)), 1, Stream.FAULT)
        return [reference, *cases, fault.apply(reference, target, rng)]

    return draw()
