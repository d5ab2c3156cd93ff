"""MVTec AD: the folder tree anomalib and most anomaly-detection papers read.

```
PREFIX/CATEGORY/train/good/000000.png               normal images of the train split
PREFIX/CATEGORY/test/good/000003.png                normal images of the test split
PREFIX/CATEGORY/test/CLASS/000001.png               anomalous images holding one class
PREFIX/CATEGORY/test/combined/000007.png            anomalous images holding several
PREFIX/CATEGORY/ground_truth/CLASS/000001_mask.png  their masks: 8-bit gray, 0 or 255
```

CATEGORY is the preset's name, so PREFIX is what anomalib calls the dataset's root and
the tree one category of it, as MVTec AD's own download is laid out; the broken tree
goes to PREFIX/broken/CATEGORY, outside the category anomalib reads.

With `--broken F`, broken/CATEGORY holds the same tree with a share F of its images broken
by the tree faults (synth/faults/layouts/), and broken/expected.jsonl says, an image a
line, which fault and rules `synth validate broken/CATEGORY` must report, and for which file.

MVTec AD trains on defect-free images only, so an anomalous image goes to test/
whichever split the plan drew for it, and MVTec AD has one defect type a folder, so an
image whose mask holds several classes goes to `combined`, as in MVTec AD's own
categories. An image keeps its index as its name in every folder: names never depend
on the shards or the workers.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import numpy as np

from synth.annotate.instances import sole_class
from synth.imaging.encode import CONTENT_TYPES, encode_gray, encode_valid_image
from synth.output.layouts.base import Files, Object, OutputLayout
from synth.registry import LAYOUTS
from synth.seeding import Stream, image_rng

if TYPE_CHECKING:
    from synth.annotate.instances import Instance
    from synth.config.preset import Preset
    from synth.imaging.render import Rendered
    from synth.output.layout import Layout
    from synth.plan import ImageSpec
    from synth.run.make import Job

GOOD = "good"
COMBINED = "combined"  # the folder of images holding several classes
MASK_SUFFIX = "_mask.png"
DEFECT_VALUE = 255  # a mask pixel of a defect; every other pixel is 0
_FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def folder(spec: ImageSpec, found: tuple[Instance, ...]) -> str:
    """The defect-type folder of an image: good, its one class, or combined. The class is
    read from its defects as they show in the mask, not from a count of every pixel."""
    if not spec.anomalous:
        return GOOD
    return sole_class(found) or COMBINED


def category(preset: Preset) -> str:
    """The tree's category folder: the preset's name, in the characters a folder takes."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", preset.name).lstrip(".-") or "category"


def tree(layout: Layout, preset: Preset) -> str:
    """The key of the category's folder, ending in /."""
    return f"{layout.prefix}{category(preset)}/"


def image_key(layout: Layout, preset: Preset, spec: ImageSpec, kind: str) -> str:
    split = "train" if kind == GOOD and spec.split == "train" else "test"
    return f"{tree(layout, preset)}{split}/{kind}/{spec.stem}.{layout.image_ext}"


def mask_key(layout: Layout, preset: Preset, spec: ImageSpec, kind: str) -> str:
    return f"{tree(layout, preset)}ground_truth/{kind}/{spec.stem}{MASK_SUFFIX}"


class MVTec(OutputLayout, name="mvtec"):
    """MVTec AD's tree: PRESET/train/good, test/good, test/CLASS, ground_truth/CLASS/*_mask.png."""

    broken = True

    def check(self, preset: Preset) -> str | None:
        for cls in preset.classes:
            if cls.name in (GOOD, COMBINED) or not _FOLDER_NAME.fullmatch(cls.name):
                return (
                    f"class {cls.name!r} cannot name an MVTec AD folder: use letters, digits, "
                    f"'_', '.' and '-', and neither {GOOD!r} nor {COMBINED!r}"
                )
        return None

    def folders(self, keys: Layout, preset: Preset) -> set[str]:
        return {f"{category(preset)}/"}

    def files(
        self, job: Job, spec: ImageSpec, rendered: Rendered, found: tuple[Instance, ...]
    ) -> Files:
        preset, layout = job.preset, job.layout
        kind = folder(spec, found)
        image = encode_valid_image(rendered.image, preset.image_format, job.compress_level)
        key = image_key(layout, preset, spec, kind)
        objects: list[Object] = [(key, image, CONTENT_TYPES[preset.image_format])]
        mask = None
        if kind != GOOD:
            mask = mask_key(layout, preset, spec, kind)
            binary = np.where(rendered.labels > 0, np.uint8(DEFECT_VALUE), np.uint8(0))
            objects.append((mask, encode_gray(binary, job.compress_level), CONTENT_TYPES["png"]))
        if preset.broken_fraction == 0:
            return Files(tuple(objects), key, mask)
        broken, expected = _broken(job, spec, key, mask, {k: d for k, d, _ in objects})
        objects += [(k, data, _content_type(k, preset.image_format)) for k, data in broken.items()]
        return Files(tuple(objects), key, mask, ((layout.expected, json.dumps(expected)),))


def _broken(
    job: Job, spec: ImageSpec, image: str, mask: str | None, valid: dict[str, bytes]
) -> tuple[dict[str, bytes], dict[str, object]]:
    """The image's files in the broken tree (under broken/), a fault's if the plan breaks
    it, and what a validator must say of them: the rules, and the file it names (the one
    the fault wrote, or the image when the fault removed a file)."""
    from synth.faults import choose_tree  # the run's, not a preset check's (tests/test_registry)
    from synth.faults.tree import TreeImage

    layout = job.layout
    twin = TreeImage(
        layout.broken(image),
        None if mask is None else layout.broken(mask),
        {layout.broken(k): data for k, data in valid.items()},
    )
    root = layout.broken(layout.prefix)
    entry: dict[str, object] = {"image": twin.image.removeprefix(root), "fault": None, "rules": []}
    fitting = [f for f in choose_tree(job.preset.faults) if f.fits(twin)] if spec.broken else []
    if not fitting:
        return twin.objects, entry
    rng = image_rng(job.seed, spec.index, Stream.FAULT)
    fault = fitting[int(rng.integers(len(fitting)))]
    objects = fault.apply(twin, rng)
    changed = [k for k, data in objects.items() if twin.objects.get(k) != data]
    entry |= {
        "fault": fault.name,
        "rules": sorted(fault.rules),
        "path": (changed[0] if changed else twin.image).removeprefix(root),
        "level": fault.level,
    }
    return objects, entry


def _content_type(key: str, image_format: str) -> str:
    return CONTENT_TYPES["png" if key.endswith(".png") else image_format]


LAYOUTS.add(MVTec())
