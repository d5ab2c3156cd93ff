"""synth's faults judged by a second validator that shares no code with synth's.

`tests/reference` is written from the documentation alone. It is the differential
oracle: each case's verdict is what its faults declare, and each fault breaks exactly
one condition a rule states, so a validator missing only that condition's check (a
mutant) accepts the fault's case, and the fault alone catches such a validator.
"""

from __future__ import annotations

import pytest

from synth.faults import CATALOGUE, Case
from synth.testing import every_case
from tests.reference.validator import CHECKS, Reference

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
    "label-date-offset": "label.creation-date/utc",
    "label-date-words": "label.creation-date/form",
    "mask-ref-missing": "mask.missing/present",
    "mask-ref-not-s3": "mask.uri/scheme",
    "mask-metadata-missing": "mask.metadata-missing/present",
    "mask-metadata-suffix": "mask.metadata-missing/present",
    "mask-type-wrong": "mask.type/type",
    "mask-human-annotated-case": "mask.human-annotated/yes-no",
    "mask-date-no-time": "mask.creation-date/time",
    "color-map-missing": "color-map.missing/present",
    "color-map-empty": "color-map.missing/non-empty",
    "color-map-array": "color-map.missing/object",
    "background-lower-case": "color-map.background/class-name",
    "background-missing": "color-map.background/entry",
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
    "image-file-too-large": "image.file-size/bytes",
    "mask-missing": "mask-image.missing/exists",
    "mask-jpeg": "mask-image.format/png",
    "mask-wrong-size": "mask-image.size/width",
    "mask-stray-color": "mask-image.color/colors",
    "mask-antialiased": "mask-image.color/colors",
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

CASES = every_case()
BROKEN = [p for p in CASES if p.values[0].expected_rules]


def _case(param: object) -> Case:
    return param.values[0]  # type: ignore[attr-defined,no-any-return]


def _failed(case: Case, reference: Reference | None = None) -> set[str]:
    found = (reference or Reference()).judge(case.manifest, case.objects)
    return {f.check for f in found if f.severity == "error"}


@pytest.mark.parametrize("case", CASES)
def test_the_reference_verdict_is_the_cases(case: Case) -> None:
    """Every fault and near-miss: rejected exactly when it declares a rule broken."""
    failed = _failed(case)
    assert bool(failed) == bool(case.expected_rules), (sorted(failed), case)
    assert {CHECKS[c].rule for c in failed} == case.expected_rules, case


@pytest.mark.parametrize("case", BROKEN)
def test_a_validator_missing_the_faults_check_accepts_it(case: Case) -> None:
    """The fault breaks one condition: without that one check, nothing else rejects it."""
    [name] = case.faults
    check = FAULT_CHECK[name]
    assert _failed(case) == {check}
    objects = None if name in TEXT_ONLY else case.objects
    assert Reference(without={check}).accepts(case.manifest, objects), case


def test_every_breaking_fault_names_its_check() -> None:
    breaking = {f.name for f in CATALOGUE.values() if f.rules}
    assert set(FAULT_CHECK) == breaking
    for name, check in FAULT_CHECK.items():
        assert CHECKS[check].rule in CATALOGUE[name].rules, name
