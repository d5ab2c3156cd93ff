"""COCO instance segmentation: images/ and one annotations file per split.

```
PREFIX/images/000000.png
PREFIX/annotations/instances_train.json    images, annotations, categories
PREFIX/annotations/instances_test.json
```

One annotation per defect, from its instance (`synth.annotate.instances`): its pixels of
the class mask as compressed RLE, its area (the pixel count), its bbox and its class as
category. A defect that later defects painted over whole has no annotation (it still
has its line in defects.jsonl). Image ids are index + 1 and annotation ids count from
1 in image order, so the file is the same whatever the workers or shards: while the
run goes, each image adds one JSON line to a spooled file, and `finish` assembles the
JSON document from those lines when it is published (after a merge for shards).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from synth.imaging.encode import CONTENT_TYPES, encode_valid_image
from synth.output.base import Body
from synth.output.layouts.base import Files, OutputLayout
from synth.registry import LAYOUTS

if TYPE_CHECKING:
    from synth.annotate.instances import Instance
    from synth.config.preset import Preset
    from synth.imaging.render import Rendered
    from synth.output.layout import Layout
    from synth.plan import ImageSpec
    from synth.run.make import Job

SUPERCATEGORY = "defect"
_ANNOTATIONS = re.compile(r"(?:^|/)annotations/instances_[^/]+\.json$")


def annotations_key(prefix: str, split: str) -> str:
    return f"{prefix}annotations/instances_{split}.json"


def rle_counts(mask: np.ndarray) -> list[int]:
    """COCO's run lengths of a bool (H, W) mask: column by column, zeros first."""
    flat = np.asarray(mask, bool).ravel(order="F")
    edges = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], edges, [flat.size]))
    runs = np.diff(bounds).tolist()
    return [0, *runs] if flat.size and flat[0] else runs


def rle_string(counts: list[int]) -> str:
    """Run lengths as COCO's compressed string (pycocotools' rleToString): each count,
    less the one two before it from the third on, in 5-bit groups with a flag bit."""
    out = []
    for i, count in enumerate(counts):
        value = count - counts[i - 2] if i > 2 else count
        more = True
        while more:
            group = value & 0x1F
            value >>= 5  # arithmetic: a negative difference keeps its sign bits
            more = value != -1 if group & 0x10 else value != 0
            out.append(chr((group | 0x20 if more else group) + 48))
    return "".join(out)


def annotation(found: Instance, shape: tuple[int, int]) -> dict[str, Any]:
    assert found.box is not None
    height, width = shape
    return {
        "category_id": found.label,
        "segmentation": {
            "size": [height, width],
            "counts": rle_string(rle_counts(found.full_mask(shape))),
        },
        "area": found.pixels,
        "bbox": list(found.box),
        "iscrowd": 0,
    }


class Coco(OutputLayout, name="coco"):
    """COCO instance segmentation: images/, annotations/instances_SPLIT.json (RLE)."""

    def files(
        self, job: Job, spec: ImageSpec, rendered: Rendered, found: tuple[Instance, ...]
    ) -> Files:
        preset, layout = job.preset, job.layout
        key = layout.image(spec.index)
        data = encode_valid_image(rendered.image, preset.image_format, job.compress_level)
        shape = rendered.labels.shape
        entry = {
            "image": {
                "id": spec.index + 1,
                "file_name": key.removeprefix(layout.prefix),
                "height": shape[0],
                "width": shape[1],
            },
            "annotations": [annotation(i, shape) for i in found if i.pixels],
        }
        line = json.dumps(entry, separators=(",", ":"))
        objects = ((key, data, CONTENT_TYPES[preset.image_format]),)
        return Files(objects, key, None, ((annotations_key(layout.prefix, spec.split), line),))

    def folders(self, keys: Layout, preset: Preset) -> set[str]:
        return {"images/"}

    def publishes(self, name: str) -> bool:
        return _ANNOTATIONS.fullmatch(name) is not None

    def finish(self, key: str, spooled: Path, preset: Preset) -> tuple[Body, str]:
        if _ANNOTATIONS.search(key) is None:  # defects.jsonl: published as spooled
            return super().finish(key, spooled, preset)
        images: list[dict[str, Any]] = []
        annotations: list[dict[str, Any]] = []
        with spooled.open(encoding="utf-8") as lines:
            for line in lines:
                entry = json.loads(line)
                images.append(entry["image"])
                for each in entry["annotations"]:
                    annotations.append(
                        {"id": len(annotations) + 1, "image_id": entry["image"]["id"], **each}
                    )
        document = {
            "info": {"description": f"synth preset {preset.name}: {preset.description}"},
            "images": images,
            "annotations": annotations,
            "categories": [
                {"id": label, "name": cls.name, "supercategory": SUPERCATEGORY}
                for label, cls in enumerate(preset.classes, 1)
            ],
        }
        return json.dumps(document, separators=(",", ":")).encode(), "application/json"


LAYOUTS.add(Coco())
