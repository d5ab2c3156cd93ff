"""Making one image: its plan, pixels, encoded files, manifest line and broken twin.

`make` is what workers run, in any process or on a dask cluster; it depends only on
the job and the image index, so output bytes do not depend on where it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synth.annotate.manifest import dumps
from synth.annotate.records import has_mask, palette, record, style_of
from synth.config.preset import Preset
from synth.faults import CATALOGUE, Case, break_case
from synth.format import S3Uri
from synth.imaging.encode import CONTENT_TYPES, encode_image, encode_mask
from synth.imaging.render import render
from synth.output.layout import Layout
from synth.plan import image_spec
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
    bases: tuple[Path, ...]
    faults: tuple[str, ...]  # names: the catalogue's functions do not pickle

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


def make(job: Job, index: int) -> Made:
    preset, layout = job.preset, job.layout
    spec = image_spec(preset, job.seed, index)
    rendered = render(preset, spec, job.seed, job.bases)
    image_key, mask_key = layout.image(index), layout.mask(index)
    masked = has_mask(preset, spec)
    valid = record(
        preset,
        spec,
        job.seed,
        image_uri=job.uri(image_key),
        mask_uri=job.uri(mask_key) if masked else None,
        jobs=job.jobs,
    )
    image = encode_image(rendered.image, preset.image_format, job.compress_level)
    objects = [(image_key, image, CONTENT_TYPES[preset.image_format])]
    twins = {"source-ref": (layout.broken(image_key), image)}
    if masked:
        mask = encode_mask(rendered.labels, palette(preset), job.compress_level)
        objects.append((mask_key, mask, CONTENT_TYPES["png"]))
        twins[preset.mask_attribute] = (layout.broken(mask_key), mask)
    broken = None
    if spec.broken and masked:  # the faults act on a line with a mask
        case = Case(
            record={**valid, **{k: job.uri(key) for k, (key, _) in twins.items()}},
            objects={job.uri(key): data for key, data in twins.values()},
        )
        faults = [CATALOGUE[name] for name in job.faults]
        broken = break_case(case, faults, image_rng(job.seed, index, Stream.FAULT))
    return Made(
        split=spec.split,
        anomalous=spec.anomalous,
        line=dumps(valid, style_of(preset).separators),
        objects=tuple(objects),
        broken=broken,
        sole_class=_sole_class(preset, rendered.labels) if masked else None,
    )


def _sole_class(preset: Preset, labels: np.ndarray) -> str | None:
    """The anomaly class a mask holds alone: what the per-label training minimum counts."""
    held = np.flatnonzero(np.bincount(labels.ravel(), minlength=len(preset.classes) + 1)[1:])
    return preset.classes[int(held[0])].name if len(held) == 1 else None
