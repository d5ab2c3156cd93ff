"""The format in one place: the manifest rules by their stable ids, and the constants they name.

The ids are a contract shared by the validator (which reports them), the fault
catalogue (which declares them) and the Hypothesis strategies (which carry them).
Every module that builds or reads an s3:// URI does it through `S3Uri`, and every
module that needs the background, a metadata type or a limit imports it from here,
so the rule text, the generator and the validator cannot drift apart.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum

from synth.errors import ArgumentError


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Level(StrEnum):
    """Where a rule is checked: the manifest's text, a line's fields, the objects, the dataset."""

    TEXT = "text"
    FIELD = "field"
    OBJECT = "object"
    DATASET = "dataset"
    TREE = "tree"  # a folder tree's files and names (the MVTec AD layout)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    level: Level
    source: str  # where the rule comes from: the seed page, the LFV docs or quotas, inferred
    summary: str


# id | level | source | rule. "seed page" is the Lookout for Vision page on segmentation
# JSON lines; "LFV docs"/"LFV quotas" the rest of its guide; "inferred" follows from them.
_TABLE = """
manifest.encoding | text | LFV docs | The manifest is UTF-8 text with no byte-order mark.
manifest.blank-line | text | seed page | No blank lines: every line is one JSON line.
manifest.json | text | seed page | Each line parses as JSON, complete on its line.
manifest.object | text | seed page | Each line is a JSON object.
manifest.duplicate-key | text | inferred | No key appears twice in one object.
manifest.empty | text | seed page | A manifest has at least one line.
manifest.file-size | text | LFV quotas | A manifest file is at most 1 GB.
manifest.line-length | text | inferred | A line is at most 8,192 characters (a warning); one past 4 MiB is not read (an error).
dataset.bucket | dataset | LFV docs | Every image and mask of a dataset is in the same S3 bucket.
source-ref.missing | field | seed page | `source-ref` is present.
source-ref.uri | field | seed page | `source-ref` is a string s3://BUCKET/OBJECT_PATH with a valid bucket name.
label.missing | field | seed page | A label attribute K whose K-metadata has the classification type.
label.duplicate | field | seed page | One label attribute only: no second K-metadata of the classification type (a model's verdict, metadata naming a model-arn, is no label).
label.value | field | seed page | The label attribute's value is present: an integer, or a string of digits.
label.metadata-missing | field | seed page | A label attribute K has its K-metadata object.
label.class-name | field | seed page | `class-name` is a string; `normal` or `anomaly` label the image.
label.human-annotated | field | seed page | The label metadata's `human-annotated` is "yes" or "no".
label.type | field | seed page | The label metadata's `type` is "groundtruth/image-classification".
label.confidence | field | seed page | If present, the label metadata's `confidence` is a number.
label.job-name | field | seed page | If present, the label metadata's `job-name` is a string.
label.creation-date | field | seed page | If present, the label's `creation-date` is a UTC date-time (other forms warn).
mask.missing | field | seed page | Mask metadata comes with its mask attribute; a line with neither is classification.
mask.uri | field | seed page | The mask attribute's value is a valid s3://BUCKET/OBJECT_PATH.
mask.metadata-missing | field | seed page | The mask attribute M has its M-metadata object.
mask.type | field | seed page | The mask metadata's `type` is "groundtruth/semantic-segmentation".
mask.human-annotated | field | seed page | The mask metadata's `human-annotated` is "yes" or "no".
mask.creation-date | field | seed page | If present, the mask's `creation-date` is a UTC date-time (other forms warn).
color-map.missing | field | seed page | The mask metadata has a non-empty `internal-color-map` object.
color-map.background | field | seed page | Entry "0" is BACKGROUND with hex-color #ffffff (--profile service warns if absent).
color-map.key | field | inferred | Color map keys are non-negative integers written as strings.
color-map.class-name | field | seed page | Every color map entry has a non-empty string `class-name`.
color-map.hex-color | field | seed page | Every color map entry has a `hex-color` of the form #rrggbb.
color-map.confidence | field | seed page | Every color map entry has a float `confidence` (--profile service warns if absent).
color-map.duplicate-color | field | inferred | No two color map entries share a color.
color-map.duplicate-class | field | inferred | No two color map entries share a class-name.
image.missing | object | seed page | The object at `source-ref` exists.
image.format | object | LFV docs | The image is a PNG or JPEG.
image.size | object | LFV quotas | The image's width and height are each between 64 and 4096 pixels.
image.file-size | object | LFV quotas | The image file is at most 8 MB.
mask-image.missing | object | seed page | The object at the mask attribute exists.
mask-image.format | object | LFV docs | The mask is a PNG.
mask-image.size | object | inferred | The mask has the same width and height as its image.
mask-image.color | object | LFV docs | Every mask pixel, read as RGB with alpha ignored, is a color of the line's color map; a fully transparent pixel is background under --profile service.
mask-image.label-agreement | object | inferred | An anomaly image's mask has anomaly pixels; a normal one's has none.
mask-image.max-classes | object | LFV quotas | At most 20 anomaly classes appear in one mask image.
dataset.duplicate-image | dataset | LFV docs | No two lines of a project share a `source-ref`.
dataset.image-dimensions | dataset | LFV docs | Every image of a project has the same width and height.
dataset.color-consistency | dataset | inferred | Across a project, a class name has one color and a color one class.
dataset.attribute-names | dataset | inferred | Every line of a manifest uses the same attribute names (a warning).
dataset.max-images | dataset | LFV quotas | At most 16,000 training and 4,000 test images; 8,000 and 800 segmenting.
dataset.max-classes | dataset | LFV quotas | At most 100 anomaly labels in a project.
dataset.class-name-chars | dataset | inferred | Anomaly class names are 1-256 characters of a-z A-Z 0-9 (a warning).
dataset.training-minimum | dataset | LFV quotas | Enough normal, anomalous and per-label images to train (a warning).
dataset.mask-missing | dataset | inferred | In a segmentation dataset, every anomaly line has a mask.
"""


def _rule(row: str) -> Rule:
    rule_id, level, source, summary = (part.strip() for part in row.split("|", 3))
    return Rule(rule_id, Level(level), source, summary)


RULES: dict[str, Rule] = {rule.id: rule for rule in map(_rule, _TABLE.strip().splitlines())}

# The MVTec AD tree's rules (`--layout mvtec`, `synth validate DIR`), apart from the
# manifest's: "MVTec AD" is the dataset's own layout, as anomalib's MVTec AD reader takes it.
_MVTEC_TABLE = """
mvtec.mask-missing | tree | MVTec AD | Every image of test/CLASS has its mask in ground_truth/CLASS.
mvtec.mask-name | tree | MVTec AD | A mask of ground_truth/CLASS is named NAME_mask.png after its image test/CLASS/NAME.
mvtec.mask-size | tree | MVTec AD | A mask has its image's width and height.
mvtec.mask-binary | tree | MVTec AD | A mask is 8-bit grayscale holding 0 (normal) and 255 (defect) only.
mvtec.good-mask | tree | MVTec AD | Defect-free images have no mask: ground_truth holds no good folder.
"""
MVTEC_RULES: dict[str, Rule] = {
    rule.id: rule for rule in map(_rule, _MVTEC_TABLE.strip().splitlines())
}


def rules_markdown() -> str:
    """The rule table of docs/rules.md (`synth rules --markdown`)."""
    rows = [
        "| id | level | rule | source |",
        "|---|---|---|---|",
    ]
    rows += [f"| `{r.id}` | {r.level} | {r.summary} | {r.source} |" for r in RULES.values()]
    return "\n".join(rows)


# ---- the color map ---------------------------------------------------------------------

BACKGROUND_CLASS = "BACKGROUND"
BACKGROUND_COLOR = "#ffffff"  # the only form; `rgb24(BACKGROUND_COLOR)` for packed pixels
HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")  # either case, as rule color-map.hex-color reads it


def rgb24(color: str) -> int:
    """#rrggbb -> 0xRRGGBB, the form mask pixels are compared in."""
    return int(color[1:], 16)


# ---- the metadata objects and the objects' limits (Lookout for Vision service quotas) ----

CLASSIFICATION_TYPE = "groundtruth/image-classification"
SEGMENTATION_TYPE = "groundtruth/semantic-segmentation"
VERIFICATION_TYPE = "groundtruth/label-verification"  # a chained verification job's
MIN_IMAGE_SIDE = 64
MAX_IMAGE_SIDE = 4096
MAX_IMAGE_BYTES = 8 * 1024 * 1024  # "8 MB"; read generously so no valid image is refused
MAX_MANIFEST_BYTES = 1024**3  # "1 GB"
MAX_LINE_CHARS = 8192  # the API model's DatasetEntry
MAX_MASK_CLASSES = 20


# ---- S3 URIs ---------------------------------------------------------------------------

_BUCKET_NAME = re.compile(r"(?=[a-z0-9.-]{3,63}$)[a-z0-9][a-z0-9.-]*[a-z0-9]")
SCHEME = "s3://"
_S3_URI = re.compile(r"s3://([^/]*)/(.+)", re.DOTALL)  # the bucket, then a key


@functools.lru_cache(maxsize=1024)  # a manifest names one bucket on every line
def is_bucket_name(name: str) -> bool:
    """The bucket names rule source-ref.uri accepts (3-63 of a-z 0-9 . -, alphanumeric ends)."""
    return bool(_BUCKET_NAME.fullmatch(name)) and ".." not in name


def is_s3(location: object) -> bool:
    """Whether a user's location (an --out, a manifest) names S3 rather than a file."""
    return str(location).startswith(SCHEME)


def s3_bucket(value: object) -> str | None:
    """The bucket of a URI rules source-ref.uri and mask.uri accept (s3://BUCKET/KEY with a
    valid bucket and a key of one character or more), else None."""
    match = _S3_URI.fullmatch(value) if isinstance(value, str) else None
    return match[1] if match and is_bucket_name(match[1]) else None


@dataclass(frozen=True, slots=True)
class S3Uri:
    """s3://BUCKET/KEY as a value: `parse` checks it, `str` writes it.

    Built directly, the parts are trusted (the generator's bucket was checked when the
    preset or the output was read; a fault may build a bad one on purpose); `parse`
    and `parse_prefix` are for text from outside.
    """

    bucket: str
    key: str

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.key}"

    @classmethod
    def find(cls, value: object) -> S3Uri | None:
        """The URI rules source-ref.uri and mask.uri accept (a valid bucket, a key), else None."""
        bucket = s3_bucket(value)
        if bucket is None or not isinstance(value, str):
            return None
        return cls(bucket, value[len(SCHEME) + len(bucket) + 1 :])

    @classmethod
    def parse(cls, value: object) -> S3Uri:
        """An object's URI, as `find`, or an ArgumentError saying what is wrong."""
        uri = cls.find(value)
        if uri is None:
            raise ArgumentError(
                f"{value!r} is not s3://BUCKET/OBJECT_PATH with a valid bucket name"
            )
        return uri

    @classmethod
    def parse_prefix(cls, value: str) -> S3Uri:
        """A location s3://BUCKET[/PREFIX]: the key is a folder, "" or "some/prefix/"."""
        if not is_s3(value):
            raise ArgumentError(f"{value!r} is not s3://BUCKET/PREFIX")
        bucket, _, prefix = value.removeprefix(SCHEME).partition("/")
        if not is_bucket_name(bucket):
            raise ArgumentError(f"{value}: {bucket!r} is not a valid S3 bucket name")
        prefix = prefix.strip("/")
        return cls(bucket, f"{prefix}/" if prefix else "")

    def with_key(self, key: str) -> S3Uri:
        """Another object of the same bucket."""
        return S3Uri(self.bucket, key)


# Dataset limits (LFV quotas): images per dataset, by task, and anomaly labels per project.
MAX_IMAGES = {
    "classification": {"train": 16_000, "test": 4_000},
    "segmentation": {"train": 8_000, "test": 800},
}
MAX_ANOMALY_LABELS = 100
# Training minimums (LFV quotas): per dataset when train and test are separate, else single.
MIN_SEPARATE = {"train": {"normal": 10, "anomaly": 0}, "test": {"normal": 10, "anomaly": 10}}
MIN_SINGLE = {"normal": 20, "anomaly": 10}
MIN_PER_LABEL_SEPARATE = 10  # images holding only that anomaly type, per dataset
MIN_PER_LABEL_SINGLE = 20
ANOMALY_NAME = re.compile(r"[a-zA-Z0-9]{1,256}")
