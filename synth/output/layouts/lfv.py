"""Lookout for Vision / SageMaker Ground Truth: JSON Lines manifests, images/ and masks/.

The keys are `synth.output.layout.Layout`'s; each image's line is `synth.annotate.records`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synth.annotate.manifest import dumps
from synth.annotate.masks import mask_bytes
from synth.annotate.records import has_mask, mask_created, record, style_of
from synth.config.preset import palette
from synth.imaging.encode import CONTENT_TYPES, encode_valid_image
from synth.output.layouts.base import Files, Object, OutputLayout
from synth.registry import LAYOUTS

if TYPE_CHECKING:
    from synth.annotate.instances import Instance
    from synth.config.preset import Preset
    from synth.imaging.render import Rendered
    from synth.output.layout import Layout
    from synth.plan import ImageSpec
    from synth.run.make import Job


class Lfv(OutputLayout, name="lfv"):
    """Lookout for Vision manifests (train.manifest, test.manifest), images/, color masks/."""

    manifests = True
    broken = True

    def folders(self, keys: Layout, preset: Preset) -> set[str]:
        mask_job = set() if keys.mask_job is None else {f"{keys.mask_job}/"}
        return {"images/", "masks/", *mask_job}

    def files(
        self, job: Job, spec: ImageSpec, rendered: Rendered, found: tuple[Instance, ...]
    ) -> Files:
        preset, layout = job.preset, job.layout
        style = style_of(preset, job.seed, spec.index)
        image_key = layout.image(spec.index)
        mask_key = None
        if has_mask(preset, spec, job.seed):
            created = mask_created(preset, job.seed, spec.index)
            mask_key = layout.mask(spec.index, created, style.job_output_keys)
        line = record(
            preset,
            spec,
            job.seed,
            image_uri=job.uri(image_key),
            mask_uri=None if mask_key is None else job.uri(mask_key),
            jobs=job.jobs,
        )
        image = encode_valid_image(rendered.image, preset.image_format, job.compress_level)
        objects: list[Object] = [(image_key, image, CONTENT_TYPES[preset.image_format])]
        if mask_key is not None:
            # the console's masks as the console writes them
            mask = mask_bytes(style.mask_form, rendered.labels, palette(preset), job.compress_level)
            objects.append((mask_key, mask, CONTENT_TYPES["png"]))
        manifest = (layout.manifest(spec.split), dumps(line, style.separators))
        return Files(tuple(objects), image_key, mask_key, (manifest,), line)


LAYOUTS.add(Lfv())
