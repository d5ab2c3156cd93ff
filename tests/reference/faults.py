"""Which condition each fault breaks: the check a validator needs to catch it.

Shared by tests/test_reference.py and bench/bench_fuzz.py (whose verdict-only mutants are
the reference without one of these checks).
"""

from __future__ import annotations

# The one condition each fault breaks: the check a validator must have to catch it.
FAULT_CHECK = {
    "truncated-line": "manifest.json/parse",
    "trailing-garbage": "manifest.json/parse",
    "byte-order-mark": "manifest.encoding/bom",
    "not-utf8": "manifest.encoding/utf-8",
    "blank-line": "manifest.blank-line/blank",
    "json-array": "manifest.object/object",
    "json-string": "manifest.object/object",
    "duplicate-key": "manifest.duplicate-key/key",
    "source-ref-missing": "source-ref.missing/present",
    "source-ref-https": "source-ref.uri/scheme",
    "source-ref-bucket-upper-case": "source-ref.uri/bucket-upper-case",
    "source-ref-bucket-underscore": "source-ref.uri/bucket-chars",
    "source-ref-bucket-short": "source-ref.uri/bucket-length",
    "source-ref-bucket-long": "source-ref.uri/bucket-length",
    "source-ref-bucket-leading-dot": "source-ref.uri/bucket-ends",
    "source-ref-no-key": "source-ref.uri/key",
    "source-ref-list": "source-ref.uri/string",
    "mask-ref-list": "mask.uri/string",
    "color-map-class-name-missing": "color-map.class-name/present",
    "color-map-class-name-number": "color-map.class-name/string",
    "hex-color-missing": "color-map.hex-color/present",
    "other-bucket": "dataset.bucket/one",
    "label-missing": "label.missing/present",
    "label-twice": "label.duplicate/one",
    "label-value-word": "label.value/integer",
    "label-value-missing": "label.value/present",
    "label-metadata-missing": "label.metadata-missing/present",
    "label-metadata-suffix": "label.metadata-missing/present",
    "class-name-missing": "label.class-name/present",
    "class-name-number": "label.class-name/string",
    "label-human-annotated-bool": "label.human-annotated/yes-no",
    "label-type-wrong": "label.type/type",
    "label-confidence-string": "label.confidence/number",
    "job-name-number": "label.job-name/string",
    **{
        f"{kind}-date-{name}": f"{kind}.creation-date/{condition}"
        for kind in ("label", "mask")
        for name, condition in (
            ("offset", "utc"),
            ("words", "form"),
            ("no-time", "time"),
            ("month", "month"),
            ("day", "day"),
            ("hour", "hour"),
            ("minute", "minute"),
            ("second", "second"),
            ("number", "string"),
        )
    },
    "mask-ref-missing": "mask.missing/present",
    "mask-ref-not-s3": "mask.uri/scheme",
    "mask-metadata-missing": "mask.metadata-missing/present",
    "mask-metadata-suffix": "mask.metadata-missing/present",
    "mask-type-wrong": "mask.type/type",
    "mask-human-annotated-case": "mask.human-annotated/yes-no",
    "color-map-missing": "color-map.missing/present",
    "color-map-empty": "color-map.missing/non-empty",
    "color-map-array": "color-map.missing/object",
    "background-lower-case": "color-map.background/class-name",
    "background-missing": "color-map.background/entry",
    "color-map-keys-from-one": "color-map.background/entry",
    "background-not-white": "color-map.background/color",
    "color-map-key-word": "color-map.key/integer",
    "color-map-class-name-empty": "color-map.class-name/non-empty",
    "hex-color-short": "color-map.hex-color/length",
    "hex-color-name": "color-map.hex-color/digits",
    "hex-color-shorthand": "color-map.hex-color/length",
    "hex-color-no-hash": "color-map.hex-color/hash",
    "hex-color-number": "color-map.hex-color/string",
    "confidence-string": "color-map.confidence/number",
    "confidence-integer": "color-map.confidence/float",
    "confidence-missing": "color-map.confidence/present",
    "duplicate-color": "color-map.duplicate-color/color",
    "duplicate-class": "color-map.duplicate-class/class",
    "image-missing": "image.missing/exists",
    "image-not-an-image": "image.format/image",
    "image-gif": "image.format/png-jpeg",
    "image-too-small": "image.size/min-height",
    "image-too-large": "image.size/max-width",
    "image-too-narrow": "image.size/min-width",
    "image-too-tall": "image.size/max-height",
    "mask-wrong-height": "mask-image.size/height",
    "color-map-key-negative": "color-map.key/non-negative",
    "image-file-too-large": "image.file-size/bytes",
    "mask-missing": "mask-image.missing/exists",
    "mask-jpeg": "mask-image.format/png",
    "mask-wrong-size": "mask-image.size/width",
    "mask-stray-color": "mask-image.color/colors",
    "mask-antialiased": "mask-image.color/colors",
    "mask-rgba-transparent": "mask-image.color/colors",
    "normal-with-defect-pixels": "mask-image.label-agreement/normal",
    "mask-too-many-classes": "mask-image.max-classes/classes",
    "anomaly-empty-mask": "mask-image.label-agreement/anomaly",
}

# Faults a reader of the objects cannot see alone, and why: the mutant is judged on the text.
_NO_BUCKET = "no S3 bucket has that name: a reader that skips the check finds no image there"
TEXT_ONLY = {
    "source-ref-no-key": "S3 has no object with an empty key: a reader that skips the key "
    "check finds no image (image.missing)",
    **dict.fromkeys(
        [f"source-ref-bucket-{n}" for n in ("upper-case", "underscore", "short", "long")]
        + ["source-ref-bucket-leading-dot"],
        _NO_BUCKET,
    ),
}

# Dataset faults: the condition the target line breaks, read after its reference line.
DATASET_FAULT_CHECK = {
    "duplicate-image": "dataset.duplicate-image/unique",
    "other-image-size": "dataset.image-dimensions/same",
    "class-recolored": "dataset.color-consistency/color",
    "anomaly-without-mask": "dataset.mask-missing/mask",
    "too-many-classes": "dataset.max-classes/limit",
}
