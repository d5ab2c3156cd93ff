"""Cases built without Hypothesis: one valid case of a preset, and `every_case()`.

`every_case()` is the deterministic complement of the strategies: one case per fault
and near-miss of the catalogue, for `@pytest.mark.parametrize`, so each rule and each
oddity is tried on every run whatever Hypothesis draws.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from synth.annotate.masks import mask_bytes
from synth.annotate.records import has_mask, job_names, record, style_of
from synth.config.preset import DefectClass, Preset, load_preset, palette
from synth.faults import CATALOGUE, Case
from synth.format import S3Uri
from synth.imaging.encode import encode_image
from synth.imaging.render import render
from synth.plan import ImageSpec


def preset_of(
    classes: tuple[DefectClass, ...],
    width: int,
    height: int,
    bucket: str,
    task: str = "segmentation",
) -> Preset:
    """A one-image preset of these classes, size and bucket, on a plain texture."""
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


def build_case(preset: Preset, seed: int, anomalous: bool) -> Case:
    """The valid case synth renders for one image of `preset`: its line and objects.

    Rendered once per process for each (preset, seed, label): a strategy draws the same
    image again and again while Hypothesis shrinks a case around it. Each call returns
    its own record and objects dict, so a caller's edits never reach the next."""
    case = _built(_Same(preset), seed, anomalous)
    return replace(case, record=_fresh(case.record), objects=dict(case.objects))


def _fresh(value: Any) -> Any:
    """A copy of a JSON-like value (a record): new dicts and lists, the same leaves.
    (copy.deepcopy, with its memo for cycles a record cannot have, took longer than the
    rest of a cached build_case.)"""
    if isinstance(value, dict):
        return {key: _fresh(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    return value


@dataclass(frozen=True, eq=False)
class _Same:
    """A preset as a cache key: a preset holds dicts (its classes' params), so it has no
    hash; two presets with the same repr (every field, floats exactly) render the same."""

    preset: Preset

    def __hash__(self) -> int:
        return hash(repr(self.preset))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and repr(self.preset) == repr(other.preset)


@functools.lru_cache(maxsize=256)
def _built(key: _Same, seed: int, anomalous: bool) -> Case:
    preset = key.preset
    spec = ImageSpec(index=0, split="train", anomalous=anomalous)
    rendered = render(preset, spec, seed)
    uris = (str(S3Uri(preset.bucket, f"{kind}/{seed}.png")) for kind in ("images", "masks"))
    image_uri, mask_uri = uris
    masked = has_mask(preset, spec, seed)
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
        form = style_of(preset, seed, 0).mask_form  # the console's masks as the console writes them
        objects[mask_uri] = mask_bytes(form, rendered.labels, palette(preset), compress_level=1)
    return Case(record=line, objects=objects)


@functools.cache
def _every_case(objects: bool) -> tuple[tuple[str, Case], ...]:
    preset = replace(load_preset("mixed"), width=64, height=64)
    valid = {flag: build_case(preset, seed=1, anomalous=flag) for flag in (True, False)}
    named = [("valid", valid[True]), ("valid-normal", valid[False])]
    for fault in CATALOGUE.values():
        if objects or fault.level != "object":
            base = valid[True] if fault.fits(valid[True]) else valid[False]
            named.append((fault.name, fault.apply(base, np.random.default_rng(0))))
    return tuple((name, case if objects else replace(case, objects={})) for name, case in named)


def every_case(objects: bool = True) -> list[Any]:
    """One pytest param per fault and near-miss (its id the fault's name), and the valid
    cases ("valid", "valid-normal"): `@pytest.mark.parametrize("case", every_case())`.

    `objects=False` leaves out the faults in the objects and empties `case.objects`.
    """
    import pytest

    return [pytest.param(case, id=name) for name, case in _every_case(objects)]
