"""The reference validator: every rule has a line that breaks it and nothing else."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from synth.format import RULES, Severity
from synth.validate import ValidationSetupError, report, validate_manifest

IMAGE = "s3://bucket/images/a.png"
IMAGE_B = "s3://bucket/images/b.png"
MASK = "s3://bucket/masks/a.png"
OTHER_MASK = "s3://other/masks/a.png"
SCRATCH = (0x2C, 0xA0, 0x2C)


def _png(array: np.ndarray, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt)
    return buffer.getvalue()


def _mask(size: tuple[int, int] = (64, 64), color: tuple[int, int, int] = SCRATCH) -> np.ndarray:
    mask = np.full((*size, 3), 255, np.uint8)
    mask[10:20, 10:30] = color
    return mask


def _objects() -> dict[str, bytes]:
    mask = _png(_mask())
    # The mask also stands in another bucket, so a line pointing there breaks only dataset.bucket.
    image = _png(np.full((64, 64, 3), 120, np.uint8))
    return {IMAGE: image, IMAGE_B: image, MASK: mask, OTHER_MASK: mask}


def _line() -> dict[str, Any]:
    return {
        "source-ref": IMAGE,
        "anomaly-label": 1,
        "anomaly-label-metadata": {
            "class-name": "anomaly",
            "creation-date": "2021-10-12T14:16:45.668",
            "human-annotated": "yes",
            "job-name": "labeling-job/classification-job",
            "type": "groundtruth/image-classification",
            "confidence": 1,
        },
        "anomaly-mask-ref": MASK,
        "anomaly-mask-ref-metadata": {
            "internal-color-map": {
                "0": {"class-name": "BACKGROUND", "hex-color": "#ffffff", "confidence": 0.0},
                "1": {"class-name": "scratch", "hex-color": "#2ca02c", "confidence": 0.0},
                "2": {"class-name": "dent", "hex-color": "#1f77b4", "confidence": 0.0},
            },
            "type": "groundtruth/semantic-segmentation",
            "human-annotated": "yes",
            "creation-date": "2021-11-23T20:31:57.758889",
            "job-name": "labeling-job/segmentation-job",
        },
    }


def _errors(text: str | bytes, objects: dict[str, bytes] | None = None) -> set[str]:
    return {
        f.rule for f in validate_manifest(text, objects=objects) if f.severity is Severity.ERROR
    }


def _edit(change: Callable[[dict[str, Any]], object]) -> str:
    line = _line()
    change(line)
    return json.dumps(line)


def _label_meta(line: dict[str, Any]) -> dict[str, Any]:
    return line["anomaly-label-metadata"]


def _mask_meta(line: dict[str, Any]) -> dict[str, Any]:
    return line["anomaly-mask-ref-metadata"]


def _cmap(line: dict[str, Any]) -> dict[str, Any]:
    return line["anomaly-mask-ref-metadata"]["internal-color-map"]


def _with_object(uri: str, data: bytes) -> dict[str, bytes]:
    return {**_objects(), uri: data}


def _without(uri: str) -> dict[str, bytes]:
    objects = _objects()
    del objects[uri]
    return objects


VALID = json.dumps(_line())
# A second line of the same dataset: another image (one image twice is dataset.duplicate-image).
VALID_B = json.dumps({**_line(), "source-ref": IMAGE_B})
LINE_CASES: dict[str, str | bytes] = {
    "manifest.encoding": b"\xef\xbb\xbf" + VALID.encode(),
    "manifest.blank-line": VALID + "\n\n" + VALID_B,
    "manifest.json": VALID[:-5],
    "manifest.object": json.dumps([_line()]),
    "manifest.duplicate-key": VALID[:-1] + ', "source-ref": "' + IMAGE + '"}',
    "manifest.empty": "",
    "dataset.bucket": _edit(lambda x: x.update({"anomaly-mask-ref": OTHER_MASK})),
    "source-ref.missing": _edit(lambda x: x.pop("source-ref")),
    "source-ref.uri": _edit(lambda x: x.update({"source-ref": "https://bucket/images/a.png"})),
    "label.missing": _edit(lambda x: [x.pop("anomaly-label"), x.pop("anomaly-label-metadata")]),
    "label.duplicate": _edit(
        lambda x: x.update(
            {"other-label": 0, "other-label-metadata": copy.deepcopy(_label_meta(x))}
        )
    ),
    "label.value": _edit(lambda x: x.update({"anomaly-label": "one"})),
    "label.metadata-missing": _edit(lambda x: x.pop("anomaly-label-metadata")),
    "label.class-name": _edit(lambda x: _label_meta(x).pop("class-name")),
    "label.human-annotated": _edit(lambda x: _label_meta(x).update({"human-annotated": True})),
    "label.type": _edit(lambda x: _label_meta(x).update({"type": "groundtruth/classification"})),
    "label.confidence": _edit(lambda x: _label_meta(x).update({"confidence": "1"})),
    "label.job-name": _edit(lambda x: _label_meta(x).update({"job-name": 7})),
    "label.creation-date": _edit(
        lambda x: _label_meta(x).update({"creation-date": "2021-10-12T14:16:45+02:00"})
    ),
    "mask.missing": _edit(lambda x: x.pop("anomaly-mask-ref")),
    "mask.uri": _edit(lambda x: x.update({"anomaly-mask-ref": "s3://bucket"})),
    "mask.metadata-missing": _edit(lambda x: x.pop("anomaly-mask-ref-metadata")),
    "mask.type": _edit(
        lambda x: _mask_meta(x).update({"type": "groundtruth/image-classification"})
    ),
    "mask.human-annotated": _edit(lambda x: _mask_meta(x).update({"human-annotated": "YES"})),
    "mask.creation-date": _edit(lambda x: _mask_meta(x).update({"creation-date": "yesterday"})),
    "color-map.missing": _edit(lambda x: _mask_meta(x).update({"internal-color-map": {}})),
    "color-map.background": _edit(lambda x: _cmap(x)["0"].update({"hex-color": "#fefefe"})),
    "color-map.key": _edit(lambda x: _cmap(x).update({"03": _cmap(x).pop("2")})),
    "color-map.class-name": _edit(lambda x: _cmap(x)["2"].update({"class-name": ""})),
    "color-map.hex-color": _edit(lambda x: _cmap(x)["2"].update({"hex-color": "#1f77b"})),
    "color-map.confidence": _edit(lambda x: _cmap(x)["1"].update({"confidence": 0})),
    "color-map.duplicate-color": _edit(lambda x: _cmap(x)["2"].update({"hex-color": "#2CA02C"})),
    "color-map.duplicate-class": _edit(lambda x: _cmap(x)["2"].update({"class-name": "scratch"})),
}
OBJECT_CASES: dict[str, dict[str, bytes]] = {
    "image.missing": _without(IMAGE),
    "image.format": _with_object(IMAGE, b"GIF89a not really"),
    "image.size": {
        **_objects(),
        IMAGE: _png(np.zeros((32, 64, 3), np.uint8)),
        MASK: _png(_mask((32, 64))),
    },
    "image.file-size": _with_object(
        IMAGE, _png(np.full((64, 64, 3), 1, np.uint8)) + b"\0" * (8 * 1024 * 1024)
    ),
    "mask-image.missing": _without(MASK),
    "mask-image.format": _with_object(MASK, _png(_mask(), "JPEG")),
    "mask-image.size": _with_object(MASK, _png(_mask((64, 80)))),
    "mask-image.color": _with_object(MASK, _png(_mask(color=(0x2C, 0xA0, 0x2D)))),
    "mask-image.label-agreement": _with_object(MASK, _png(np.full((64, 64, 3), 255, np.uint8))),
}


def test_the_baseline_is_clean() -> None:
    assert validate_manifest(VALID, objects=_objects()) == []


@pytest.mark.parametrize("rule", sorted(LINE_CASES))
def test_line_rule(rule: str) -> None:
    assert _errors(LINE_CASES[rule], _objects()) == {rule}


@pytest.mark.parametrize("rule", sorted(OBJECT_CASES))
def test_object_rule(rule: str) -> None:
    assert _errors(VALID, OBJECT_CASES[rule]) == {rule}


def test_findings_name_line_and_field() -> None:
    text = VALID_B + "\n" + LINE_CASES["color-map.hex-color"]
    [finding] = validate_manifest(text)
    assert finding.line == 2
    assert finding.field == "anomaly-mask-ref-metadata.internal-color-map.2.hex-color"
    assert "'#1f77b' is not #rrggbb" in finding.message


def _near_miss(change: Callable[[dict[str, Any]], object]) -> str:
    return _edit(change)


def _rename(line: dict[str, Any], old: str, new: str) -> None:
    line[new] = line.pop(old)
    line[f"{new}-metadata"] = line.pop(f"{old}-metadata")


NEAR_MISSES = {
    "custom attribute names": _near_miss(
        lambda x: (_rename(x, "anomaly-label", "defect"), _rename(x, "anomaly-mask-ref", "seg-ref"))
    ),
    "extra fields": _near_miss(lambda x: x.update({"note": "checked twice", "batch": {"n": 2}})),
    "keys in another order": json.dumps(dict(reversed(_line().items()))),
    "upper-case hex colors": _near_miss(
        lambda x: [e.update({"hex-color": e["hex-color"].upper()}) for e in _cmap(x).values()]
    ),
    "optional fields absent": _near_miss(
        lambda x: [_label_meta(x).pop(k) for k in ("confidence", "job-name", "creation-date")]
    ),
    "Z-suffixed dates": _near_miss(
        lambda x: _label_meta(x).update({"creation-date": "2021-10-12T14:16:45.668Z"})
    ),
    "a classification line": _near_miss(
        lambda x: [x.pop("anomaly-mask-ref"), x.pop("anomaly-mask-ref-metadata")]
    ),
    "CRLF line ends": VALID + "\r\n" + VALID_B + "\r\n",
    "label value as a string of digits": _near_miss(lambda x: x.update({"anomaly-label": "1"})),
}


@pytest.mark.parametrize("name", sorted(NEAR_MISSES))
def test_near_misses_are_accepted(name: str) -> None:
    assert validate_manifest(NEAR_MISSES[name], objects=_objects()) == []


def test_unknown_class_name_is_a_warning_only() -> None:
    findings = validate_manifest(_edit(lambda x: _label_meta(x).update({"class-name": "maybe"})))
    assert [(f.rule, f.severity) for f in findings] == [("label.class-name", Severity.WARNING)]
    assert "imported unlabeled" in findings[0].message


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_never_crashes_on_bytes(data: bytes) -> None:
    for finding in validate_manifest(data, objects={}):
        assert finding.rule in RULES


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(_JSON)
def test_never_crashes_on_any_json(value: object) -> None:
    for finding in validate_manifest(json.dumps(value), objects=_objects()):
        assert finding.rule in RULES


def _paths(value: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if not isinstance(value, dict):
        return [prefix]
    return [prefix] + [p for k, v in value.items() for p in _paths(v, (*prefix, k))]


_FIELD_PATHS = [p for p in _paths(_line()) if p]


@given(st.sampled_from(_FIELD_PATHS), _JSON, st.binary(max_size=64))
def test_never_crashes_on_replaced_fields_and_objects(
    path: tuple[str, ...], value: object, blob: bytes
) -> None:
    line = _line()
    target = line
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    for finding in validate_manifest(json.dumps(line), objects={IMAGE: blob, MASK: blob}):
        assert finding.rule in RULES


def test_reads_objects_from_a_folder(tmp_path: Path) -> None:
    for uri, data in _objects().items():
        path = tmp_path / uri.removeprefix("s3://bucket/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert validate_manifest(VALID, objects=tmp_path) == []
    (tmp_path / "masks/a.png").unlink()
    assert _rules(validate_manifest(VALID, objects=tmp_path)) == ["mask-image.missing"]


def _rules(findings: list[Any]) -> list[str]:
    return [f.rule for f in findings]


def test_run_prints_and_exits(tmp_path: Path) -> None:
    manifest = tmp_path / "m.manifest"
    manifest.write_text(VALID_B + "\n" + LINE_CASES["label.type"] + "\n")
    out = io.StringIO()
    assert report(str(manifest), objects=False, fmt="text", out=out) == 1
    error, *warnings = out.getvalue().splitlines()
    assert error == (
        f"{manifest}:2: error: label.type: type must be 'groundtruth/image-classification', "
        "got 'groundtruth/classification' [anomaly-label-metadata.type]"
    )
    # Two images are a project too small to train: a warning per unmet minimum.
    assert warnings == [
        f"{manifest}: warning: dataset.training-minimum: the dataset has 0 normal images; "
        "training needs 20: the manifests import, but training fails",
        f"{manifest}: warning: dataset.training-minimum: the dataset has 2 anomaly images; "
        "training needs 10: the manifests import, but training fails",
    ]
    out = io.StringIO()
    report(str(manifest), objects=False, fmt="json", out=out)
    record = json.loads(out.getvalue().splitlines()[0])
    assert (record["rule"], record["line"], record["severity"]) == ("label.type", 2, "error")
    manifest.write_text(VALID + "\n")
    assert report(str(manifest), objects=False, fmt="text", out=io.StringIO()) == 0


def test_run_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationSetupError, match="no such manifest file"):
        report(str(tmp_path / "none.manifest"), objects=False, fmt="text", out=io.StringIO())
