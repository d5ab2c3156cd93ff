"""Making one image: its plan, pixels, encoded files, manifest line and broken twin.

`make` is what workers run, in any process or on a dask cluster; it depends only on
the job and the image index, so output bytes do not depend on where it runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from synth.annotate.instances import Instance, instances, sole_class
from synth.annotate.manifest import dumps
from synth.annotate.records import has_mask, mask_created, record, style_of
from synth.config.preset import Preset
from synth.faults import CATALOGUE, DATASET_FAULTS, Case, DatasetFault, Fault, break_case
from synth.format import S3Uri
from synth.imaging.encode import CONTENT_TYPES, encode_valid_image
from synth.imaging.render import Base, Rendered, render
from synth.output.layout import Layout
from synth.output.layouts import Files
from synth.plan import ImageSpec, image_spec
from synth.registry import LAYOUTS
from synth.seeding import Stream, image_rng


@dataclass(frozen=True, slots=True)
class Job:
    """Everything a worker needs to make any image; sent to each worker once."""

    preset: Preset
    seed: int
    bucket: str
    layout: Layout
    compress_level: int
    jobs: tuple[str, str]
    bases: tuple[Base, ...]
    faults: tuple[str, ...]  # names: the catalogue's functions do not pickle
    dataset_faults: tuple[str, ...] = ()  # names of DATASET_FAULTS to draw from

    def uri(self, key: str) -> str:
        return str(S3Uri(self.bucket, key))


@dataclass(frozen=True, slots=True)
class Made:
    split: str
    anomalous: bool
    line: str | None  # the manifest line, for layouts with manifests
    objects: tuple[tuple[str, bytes, str], ...]  # (key, data, content type)
    broken: Case | None  # the line and objects of the broken manifests, when this image is one
    sole_class: str | None = None  # the one anomaly class the mask holds, if only one
    related: tuple[str, ...] = ()  # file:line of the line a dataset fault is relative to
    lines: tuple[tuple[str, str], ...] = ()  # (key, line) of spooled files: manifests, sidecar


# One broken line in DATASET_SHARE takes a dataset fault (when an earlier valid line fits);
# every broken line tries one when only dataset faults were chosen.
DATASET_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class _Valid:
    """An image's valid line, objects and spooled lines, and the case its broken twin
    starts from (layouts with manifests)."""

    spec: ImageSpec
    record: dict[str, Any] | None
    objects: tuple[tuple[str, bytes, str], ...]
    lines: tuple[tuple[str, str], ...]
    twin: Case | None  # what the line's broken twin starts from (its objects under broken/)
    sole_class: str | None


def _valid(job: Job, index: int) -> _Valid:
    preset = job.preset
    spec = image_spec(preset, job.seed, index)
    rendered = render(preset, spec, job.seed, job.bases)
    found = instances(rendered)
    files = LAYOUTS[job.layout.kind].files(job, spec, rendered, found)
    lines = (*files.lines, *_defect_lines(job, spec, files, found))
    twin = None
    if files.record is not None:  # a manifest line: its broken twin's objects under broken/
        twins = {"source-ref": files.image}
        if files.mask is not None:
            twins[preset.mask_attribute] = files.mask
        data = {key: body for key, body, _ in files.objects}
        twin = Case(
            record={
                **files.record,
                **{k: job.uri(job.layout.broken(key)) for k, key in twins.items()},
            },
            objects={job.uri(job.layout.broken(key)): data[key] for key in twins.values()},
            # broken lines are written as valid ones
            separators=style_of(preset, job.seed, index).separators,
        )
    sole = sole_class(found) if files.mask is not None else None
    objects = (*files.objects, *_clean_twin(job, rendered, files.image))
    return _Valid(spec, files.record, objects, lines, twin, sole)


def _defect_lines(
    job: Job, spec: ImageSpec, files: Files, found: tuple[Instance, ...]
) -> Iterator[tuple[str, str]]:
    """The image's lines of defects.jsonl: one per defect, in painting order."""
    prefix = job.layout.prefix
    place = {
        "image": files.image.removeprefix(prefix),
        "mask": None if files.mask is None else files.mask.removeprefix(prefix),
        "index": spec.index,
        "split": spec.split,
    }
    for number, defect in enumerate(found):
        line = {**place, "defect": number, **defect.record()}
        yield job.layout.defects, json.dumps(line, separators=(",", ":"))


def _clean_twin(job: Job, rendered: Rendered, image_key: str) -> list[tuple[str, bytes, str]]:
    """The image's clean twin (same texture and seed, no defects), when there is one: one
    more object of the image, under clean/ beside its key."""
    if rendered.clean is None:
        return []
    fmt = job.preset.image_format
    twin = encode_valid_image(rendered.clean, fmt, job.compress_level)
    return [(job.layout.clean(image_key), twin, CONTENT_TYPES[fmt])]


def _separators(job: Job, spec: ImageSpec) -> tuple[str, str]:
    return style_of(job.preset, job.seed, spec.index).separators


def make(job: Job, index: int) -> Made:
    made = _valid(job, index)
    broken: Case | None = None
    related: tuple[str, ...] = ()
    if made.spec.broken and made.twin is not None:
        broken, related = _dataset_fault(job, made)
        if broken is None:
            broken = _line_fault(job, made)
    return Made(
        split=made.spec.split,
        anomalous=made.spec.anomalous,
        line=None if made.record is None else dumps(made.record, _separators(job, made.spec)),
        objects=made.objects,
        broken=broken,
        sole_class=made.sole_class,
        related=related,
        lines=made.lines,
    )


def _all_broken(job: Job, spec: ImageSpec) -> bool:
    """Whether every line is broken and `spec` is its split's first: then its fault is one
    that leaves all but the label intact, so that later lines can take dataset faults
    against it (there is no valid line to take them against)."""
    if job.preset.broken_fraction < 1:
        return False
    earlier = (image_spec(job.preset, job.seed, i) for i in range(spec.index))
    return all(other.split != spec.split for other in earlier)


def _label_only(fault: Fault) -> bool:
    """A fault of the label's value or metadata fields: the attribute stays where it was
    (its name is what dataset.attribute-names compares), and all else is intact."""
    return fault.level == "field" and all(part.startswith("label.") for part in fault.touches)


def _line_fault(job: Job, made: _Valid) -> Case:
    """The line broken by a fault of the run's choice, drawn from (seed, index)."""
    assert made.twin is not None
    faults = [CATALOGUE[name] for name in job.faults]
    if _all_broken(job, made.spec):
        faults = [f for f in faults if _label_only(f) and f.fits(made.twin)] or faults
    return break_case(made.twin, faults, image_rng(job.seed, made.spec.index, Stream.FAULT))


def _dataset_fault(job: Job, made: _Valid) -> tuple[Case | None, tuple[str, ...]]:
    """Some broken lines break a dataset rule against the split's first valid line
    (a masked one when this line has a mask).

    That reference is found and remade from the plan alone, so the choice does not
    depend on workers or shards; its line number in the broken manifest goes in `related`.
    """
    index = made.spec.index
    assert made.twin is not None
    rng = np.random.default_rng([job.seed, index, 0xDA7A])
    share = DATASET_SHARE if job.faults else 1.0
    if not job.dataset_faults or rng.random() >= share:
        return None, ()
    preset, line = job.preset, 0
    masked = has_mask(preset, made.spec, job.seed)
    for earlier in range(index):
        spec = image_spec(preset, job.seed, earlier)
        line += spec.split == made.spec.split
        fits = has_mask(preset, spec, job.seed) or not masked
        if spec.split == made.spec.split and not spec.broken and fits:
            reference = _valid(job, earlier)
            assert reference.record is not None
            valid = Case(
                record=reference.record,
                objects={job.uri(key): data for key, data, _ in reference.objects},
            )
            break
        if spec.split == made.spec.split and line == 1 and fits and _all_broken(job, spec):
            # No valid line: the first, whose fault leaves all but its label intact.
            first = _valid(job, earlier)
            if first.twin is not None:
                valid = _line_fault(job, first)
                if all(_label_only(CATALOGUE[name]) for name in valid.faults):
                    break
    else:
        return None, ()
    chosen = (DATASET_FAULTS[name] for name in job.dataset_faults)
    fitting = [f for f in chosen if isinstance(f, DatasetFault) and f.fits(valid, made.twin)]
    if not fitting:
        return None, ()
    fault = fitting[int(rng.integers(len(fitting)))]
    manifest = job.layout.broken(job.layout.manifest(made.spec.split))
    return fault.apply(valid, made.twin, rng), (f"{manifest}:{line}",)


def template(job: Job, anomalous: bool) -> dict[str, Any]:
    """A valid line of the run (image 0's dates and jobs) with this label: what project
    faults copy into their text-only projects."""
    preset, layout = job.preset, job.layout
    spec = ImageSpec(index=0, split="train", anomalous=anomalous)
    mask = None
    if has_mask(preset, spec, job.seed):
        in_job = style_of(preset, job.seed, 0).job_output_keys
        mask = job.uri(layout.mask(0, mask_created(preset, job.seed, 0), in_job))
    image = job.uri(layout.image(0))
    return record(preset, spec, job.seed, image_uri=image, mask_uri=mask, jobs=job.jobs)
