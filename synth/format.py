"""The manifest rules, by the stable ids of the spec's RULES.md.

The ids are a contract shared by the validator (which reports them), the fault
catalogue (which declares them) and the Hypothesis strategies (which carry them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    summary: str


_TABLE = """
manifest.encoding | The manifest is UTF-8 text with no byte-order mark.
manifest.blank-line | No blank lines: every line is one JSON line.
manifest.json | Each line parses as JSON, complete on its line.
manifest.object | Each line is a JSON object.
manifest.duplicate-key | No key appears twice in one object.
manifest.empty | A manifest has at least one line.
dataset.bucket | Every image and mask of a dataset is in the same S3 bucket.
source-ref.missing | `source-ref` is present.
source-ref.uri | `source-ref` is a string s3://BUCKET/OBJECT_PATH with a valid bucket name.
label.missing | Exactly one label attribute K whose K-metadata has the classification type.
label.value | The label attribute's value is present and an integer.
label.metadata-missing | A label attribute K has its K-metadata object.
label.class-name | `class-name` is a string; `normal` or `anomaly` label the image.
label.human-annotated | The label metadata's `human-annotated` is "yes" or "no".
label.type | The label metadata's `type` is "groundtruth/image-classification".
label.confidence | If present, the label metadata's `confidence` is a number.
label.job-name | If present, the label metadata's `job-name` is a string.
label.creation-date | If present, the label metadata's `creation-date` is a UTC ISO 8601 date-time.
mask.missing | A segmentation line has a mask attribute (a key ending in -ref).
mask.uri | The mask attribute's value is a valid s3://BUCKET/OBJECT_PATH.
mask.metadata-missing | The mask attribute M has its M-metadata object.
mask.type | The mask metadata's `type` is "groundtruth/semantic-segmentation".
mask.human-annotated | The mask metadata's `human-annotated` is "yes" or "no".
mask.creation-date | If present, the mask metadata's `creation-date` is a UTC ISO 8601 date-time.
color-map.missing | The mask metadata has a non-empty `internal-color-map` object.
color-map.background | Entry "0" is BACKGROUND with hex-color #ffffff.
color-map.key | Color map keys are non-negative integers written as strings.
color-map.class-name | Every color map entry has a non-empty string `class-name`.
color-map.hex-color | Every color map entry has a `hex-color` of the form #rrggbb.
color-map.confidence | Every color map entry has a float `confidence`.
color-map.duplicate-color | No two color map entries share a color.
color-map.duplicate-class | No two color map entries share a class-name.
image.missing | The object at `source-ref` exists.
image.format | The image is a PNG or JPEG.
image.size | The image's width and height are each between 64 and 4096 pixels.
image.file-size | The image file is at most 8 MB.
mask-image.missing | The object at the mask attribute exists.
mask-image.format | The mask is a PNG.
mask-image.size | The mask has the same width and height as its image.
mask-image.color | Every mask pixel is a color of the line's color map.
mask-image.label-agreement | An anomaly image's mask has anomaly pixels; a normal one's has none.
"""

RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule(*(part.strip() for part in row.split("|", 1))) for row in _TABLE.strip().splitlines()
    )
}

_BUCKET_NAME = re.compile(r"(?=[a-z0-9.-]{3,63}$)[a-z0-9][a-z0-9.-]*[a-z0-9]")


def is_bucket_name(name: str) -> bool:
    """The bucket names rule source-ref.uri accepts (3-63 of a-z 0-9 . -, alphanumeric ends)."""
    return bool(_BUCKET_NAME.fullmatch(name)) and ".." not in name


# The fixed `type` values of the two metadata objects.
CLASSIFICATION_TYPE = "groundtruth/image-classification"
SEGMENTATION_TYPE = "groundtruth/semantic-segmentation"

# Limits the rules above refer to (Lookout for Vision service quotas).
MIN_IMAGE_SIDE = 64
MAX_IMAGE_SIDE = 4096
MAX_IMAGE_BYTES = 8 * 1024 * 1024  # "8 MB"; read generously so no valid image is refused
