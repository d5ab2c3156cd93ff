"""Hypothesis strategies for fuzzing manifest validators: valid cases, and broken ones that
say which rules they break.

    from hypothesis import given
    from synth.testing.strategies import manifest_cases

    @given(manifest_cases())
    def test_my_validator(case):
        assert my_validate(case.line, case.objects) == case.expected_rules

Cases are small (64x64 images by default) and shrink towards a plain valid line, the
smallest image, one defect class and a single fault.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

import numpy as np
from hypothesis import strategies as st

from synth.annotate.records import color_map, job_names, palette, record
from synth.config.preset import DefectClass, Preset
from synth.faults.catalogue import Case, Fault, breaking, near_misses
from synth.format import RULES, S3Uri
from synth.imaging.encode import encode_image, encode_mask
from synth.imaging.render import render
from synth.plan import ImageSpec
from synth.seeding import Stream, image_rng

__all__ = [
    "Case",
    "color_maps",
    "datasets",
    "defect_classes",
    "hex_colors",
    "label_metadata",
    "manifest_cases",
    "masks",
    "s3_uris",
]

_NAMES = st.sampled_from(["scratch", "dent", "stain", "crack", "rust", "chip", "pit", "burn"])


def hex_colors() -> st.SearchStrategy[str]:
    """Lower-case #rrggbb colors other than the background's white."""
    return st.integers(0, 0xFFFFFE).map(lambda n: f"#{n:06x}")


def bucket_names() -> st.SearchStrategy[str]:
    return st.from_regex(r"[a-z0-9][a-z0-9-]{1,20}[a-z0-9]", fullmatch=True)


def s3_uris(bucket: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """Valid s3://BUCKET/OBJECT_PATH URIs."""
    keys = st.from_regex(r"[a-z0-9][a-z0-9/_.-]{0,30}\.png", fullmatch=True)
    return st.builds(lambda b, k: str(S3Uri(b, k)), bucket or bucket_names(), keys)


def defect_classes(max_classes: int = 3) -> st.SearchStrategy[tuple[DefectClass, ...]]:
    """1..max_classes classes with distinct names and colors, each with a registered painter."""
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
            st.lists(hex_colors(), min_size=n, max_size=n, unique=True),
            st.lists(st.sampled_from(PAINTERS.names()), min_size=n, max_size=n),
        )
    )


def _preset(classes: tuple[DefectClass, ...], width: int, height: int, bucket: str) -> Preset:
    return Preset(
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


_BUCKETS = st.sampled_from(["synth-dataset", "b-0", "test.bucket"]) | bucket_names()


@st.composite
def _valid_case(
    draw: st.DrawFn, sizes: Sequence[tuple[int, int]], buckets: st.SearchStrategy[str]
) -> Case:
    classes = draw(defect_classes())
    width, height = draw(st.sampled_from(sizes))
    bucket = draw(buckets)
    preset = _preset(classes, width, height, bucket)
    seed = draw(st.integers(0, 2**32 - 1))
    spec = ImageSpec(index=0, split="train", anomalous=draw(st.booleans()))
    rendered = render(preset, spec, seed)
    image_uri, mask_uri = (str(S3Uri(bucket, f"{kind}/{seed}.png")) for kind in ("images", "masks"))
    line = record(preset, spec, seed, image_uri=image_uri, mask_uri=mask_uri, jobs=job_names(seed))
    objects = {
        image_uri: encode_image(rendered.image, "png", compress_level=1),
        mask_uri: encode_mask(rendered.labels, palette(preset), compress_level=1),
    }
    return Case(record=line, objects=objects)


def manifest_cases(
    valid: bool | None = None,
    rules: Collection[str] | None = None,
    objects: bool = True,
    sizes: Sequence[tuple[int, int]] = ((64, 64), (96, 64), (64, 128)),
    buckets: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Case]:
    """One manifest line with its objects and the rule ids a correct validator must report.

    `valid=True` draws valid cases only (plain, or a near-miss that looks odd but is
    valid); `valid=False` broken ones only; `rules` restricts broken cases to faults
    breaking those rules; `objects=False` leaves `objects` empty and draws no fault
    that lives in the objects.
    """
    unknown = set(rules or ()) - set(RULES)
    if unknown:
        raise ValueError(f"unknown rule ids: {', '.join(sorted(unknown))}")
    allowed: list[Fault] = [
        f
        for f in breaking()
        if (rules is None or f.rules & set(rules)) and (objects or f.level != "object")
    ]
    odd = [f for f in near_misses() if objects or f.level != "object"]
    choices: list[Fault | None] = []
    if valid is not False:
        choices += [None, *odd]
    if valid is not True:
        choices += allowed
    if not choices:
        raise ValueError(
            "no fault breaks those rules" + (" without objects" if not objects else "")
        )

    @st.composite
    def draw(draw: st.DrawFn) -> Case:
        case = draw(_valid_case(sizes, _BUCKETS if buckets is None else buckets))
        fault = draw(st.sampled_from(choices).filter(lambda f: f is None or f.fits(case)))
        if fault is not None:
            case = fault.apply(case, image_rng(draw(st.integers(0, 2**16)), 0, Stream.FAULT))
        return case if objects else replace(case, objects={})

    return draw()


def datasets(
    min_size: int = 1, max_size: int = 5, valid: bool | None = None
) -> st.SearchStrategy[list[Case]]:
    """Small datasets: lists of cases in one bucket (unless a fault moves an object out)."""
    return bucket_names().flatmap(
        lambda bucket: st.lists(
            manifest_cases(valid=valid, buckets=st.just(bucket)),
            min_size=min_size,
            max_size=max_size,
            unique_by=lambda case: case.record["source-ref"],
        )
    )
