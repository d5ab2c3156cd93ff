"""Making one image: its plan, pixels, encoded files, manifest line and broken twin.

`make` is what workers run, in any process or on a dask cluster; it depends only on
the job and the image index, so output bytes do not depend on where it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synth.annotate.manifest import dumps
from synth.annotate.records import has_mask, mask_created, record, style_of
from synth.config.preset import Preset, palette
from synth.faults import CATALOGUE, DATASET_FAULTS, Case, DatasetFault, break_case
from synth.format import S3Uri
from synth.imaging.encode import CONTENT_TYPES, encode_mask, encode_valid_image
from synth.imaging.render import Base, Rendered, render
from synth.output.layout import Layout
from synth.plan import ImageSpec, image_spec
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
    line: str
    objects: tuple[tuple[str, bytes, str], ...]  # (key, data, content type)
    broken: Case | None  # the line and objects of the broken manifests, when this image is one
    sole_class: str | None = None  # the one anomaly class the mask holds, if only one
    related: tuple[str, ...] = ()  # file:line of the line a dataset fault is relative to


# One broken line in DATASET_SHARE takes a dataset fault (when an earlier valid line fits);
# every broken line tries one when only dataset faults were chosen.
DATASET_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class _Valid:
    """An image's valid line and objects, and the case its broken twin starts from."""

    spec: ImageSpec
    record: dict[str, Any]
    objects: tuple[tuple[str, bytes, str], ...]
    twin: Case  # what the line's broken twin starts from (its objects under broken/)
    sole_class: str | None


def _valid(job: Job, index: int) -> _Valid:
    preset, layout = job.preset, job.layout
    spec = image_spec(preset, job.seed, index)
    rendered = render(preset, spec, job.seed, job.bases)
    image_key = layout.image(index)
    mask_key = None
    if has_mask(preset, spec):
        mask_key = layout.mask(index, mask_created(preset, job.seed, index))
    valid = record(
        preset,
        spec,
        job.seed,
        image_uri=job.uri(image_key),
        mask_uri=None if mask_key is None else job.uri(mask_key),
        jobs=job.jobs,
    )
    image = encode_valid_image(rendered.image, preset.image_format, job.compress_level)
    objects = [(image_key, image, CONTENT_TYPES[preset.image_format])]
    objects.extend(_clean_twin(job, rendered, image_key))
    twins = {"source-ref": (layout.broken(image_key), image)}
    sole_class = None
    if mask_key is not None:
        mask = encode_mask(rendered.labels, palette(preset), job.compress_level)
        objects.append((mask_key, mask, CONTENT_TYPES["png"]))
        twins[preset.mask_attribute] = (layout.broken(mask_key), mask)
        sole_class = _sole_class(preset, rendered.labels)
    twin = Case(
        record={**valid, **{k: job.uri(key) for k, (key, _) in twins.items()}},
        objects={job.uri(key): data for key, data in twins.values()},
        separators=style_of(preset).separators,  # broken lines are written as valid ones
    )
    return _Valid(spec, valid, tuple(objects), twin, sole_class)


def _clean_twin(job: Job, rendered: Rendered, image_key: str) -> list[tuple[str, bytes, str]]:
    """The image's clean twin (same texture and seed, no defects), when there is one: one
    more object of the image, under clean/ beside its key."""
    if rendered.clean is None:
        return []
    fmt = job.preset.image_format
    twin = encode_valid_image(rendered.clean, fmt, job.compress_level)
    return [(job.layout.clean(image_key), twin, CONTENT_TYPES[fmt])]


def make(job: Job, index: int) -> Made:
    made = _valid(job, index)
    broken: Case | None = None
    related: tuple[str, ...] = ()
    if made.spec.broken:
        broken, related = _dataset_fault(job, made)
        if broken is None:
            faults = [CATALOGUE[name] for name in job.faults]
            broken = break_case(made.twin, faults, image_rng(job.seed, index, Stream.FAULT))
    return Made(
        split=made.spec.split,
        anomalous=made.spec.anomalous,
        line=dumps(made.record, style_of(job.preset).separators),
        objects=made.objects,
        broken=broken,
        sole_class=made.sole_class,
        related=related,
    )


def _dataset_fault(job: Job, made: _Valid) -> tuple[Case | None, tuple[str, ...]]:
    """Some broken lines break a dataset rule against the split's first valid line
    (a masked one when this line has a mask).

    That reference is found and remade from the plan alone, so the choice does not
    depend on workers or shards; its line number in the broken manifest goes in `related`.
    """
    index = made.spec.index
    rng = np.random.default_rng([job.seed, index, 0xDA7A])
    share = DATASET_SHARE if job.faults else 1.0
    if not job.dataset_faults or rng.random() >= share:
        return None, ()
    preset, line = job.preset, 0
    masked = has_mask(preset, made.spec)
    for earlier in range(index):
        spec = image_spec(preset, job.seed, earlier)
        line += spec.split == made.spec.split
        fits = has_mask(preset, spec) or not masked
        if spec.split == made.spec.split and not spec.broken and fits:
            reference = _valid(job, earlier)
            break
    else:
        return None, ()
    valid = Case(
        record=reference.record,
        objects={job.uri(key): data for key, data, _ in reference.objects},
    )
    chosen = (DATASET_FAULTS[name] for name in job.dataset_faults)
    fitting = [f for f in chosen if isinstance(f, DatasetFault) and f.fits(valid, made.twin)]
    if not fitting:
        return None, ()
    fault = fitting[int(rng.integers(len(fitting)))]
    manifest = job.layout.broken(job.layout.manifest(made.spec.split))
    return fault.apply(valid, made.twin, rng), (f"{manifest}:{line}",)


def _sole_class(preset: Preset, labels: np.ndarray) -> str | None:
    """The anomaly class a mask holds alone: what the per-label training minimum counts."""
    held = np.flatnonzero(np.bincount(labels.ravel(), minlength=len(preset.classes) + 1)[1:])
    return preset.classes[int(held[0])].name if len(held) == 1 else None


def template(job: Job, anomalous: bool) -> dict[str, Any]:
    """A valid line of the run (image 0's dates and jobs) with this label: what project
    faults copy into their text-only projects."""
    preset, layout = job.preset, job.layout
    spec = ImageSpec(index=0, split="train", anomalous=anomalous)
    mask = None
    if has_mask(preset, spec):
        mask = job.uri(layout.mask(0, mask_created(preset, job.seed, 0)))
    image = job.uri(layout.image(0))
    return record(preset, spec, job.seed, image_uri=image, mask_uri=mask, jobs=job.jobs)
