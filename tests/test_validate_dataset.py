"""Rules across lines and manifests, the added line rules, and the validator's profiles.

Each rule has a breaking line or dataset asserting its exact id, and a fixed twin with
no finding at all.
"""

from __future__ import annotations

import copy
import io
import json
import os
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from test_validate import (
    IMAGE,
    IMAGE_B,
    LINE_CASES,
    MASK,
    OBJECT_CASES,
    _line,
    _mask,
    _objects,
    _png,
)

import synth.validate
from synth.cli import cli
from synth.format import RULES, Severity
from synth.validate import (
    Finding,
    Profile,
    ValidationSetupError,
    iter_project,
    validate_manifest,
    validate_project,
)
from synth.validate.dataset import SplitCounts, training_shortfalls

Line = dict[str, Any]


def _image(n: int) -> str:
    return f"s3://bucket/images/{n}.png"


def _lines(n: int, change: Callable[[int, Line], object] = lambda i, x: None) -> list[str]:
    """n lines of one dataset, each its own image; `change` edits line i."""
    out = []
    for i in range(n):
        line = {**copy.deepcopy(_line()), "source-ref": _image(i)}
        change(i, line)
        out.append(json.dumps(line))
    return out


def _cmap(line: Line) -> dict[str, Any]:
    return line["anomaly-mask-ref-metadata"]["internal-color-map"]


def _normal(line: Line) -> None:
    line["anomaly-label"] = 0
    line["anomaly-label-metadata"]["class-name"] = "normal"


def _unmasked_normal(line: Line) -> None:
    _normal(line)
    line.pop("anomaly-mask-ref")
    line.pop("anomaly-mask-ref-metadata")


def _found(findings: Sequence[Finding]) -> set[tuple[str, Severity]]:
    return {(f.rule, f.severity) for f in findings}


# ---- line rules added with the dataset section ------------------------------------------


def test_a_long_line_is_a_warning() -> None:
    [line] = _lines(1, lambda i, x: x.update({"note": "x" * 8200}))
    [finding] = validate_manifest(line)
    assert (finding.rule, finding.severity, finding.line) == (
        "manifest.line-length",
        Severity.WARNING,
        1,
    )
    assert validate_manifest(_lines(1, lambda i, x: x.update({"note": "x" * 7000}))) == []


def test_an_oversized_file_is_refused_by_its_size_before_reading(tmp_path: Path) -> None:
    """A sparse file just over 1 GB costs no disk; the validator stats it and reads nothing
    (its first line is broken JSON, which it never reports)."""
    manifest = tmp_path / "train.manifest"
    manifest.write_bytes(b"{not json\n")
    os.truncate(manifest, synth.validate.MAX_MANIFEST_BYTES + 1)
    assert manifest.stat().st_blocks * 512 < 1 << 20  # sparse: under 1 MB on disk
    [finding] = validate_manifest(manifest)
    assert (finding.rule, finding.severity, finding.line) == (
        "manifest.file-size",
        Severity.ERROR,
        None,
    )
    assert f"{synth.validate.MAX_MANIFEST_BYTES + 1:,} bytes" in finding.message


def test_a_manifest_over_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = "\n".join(_lines(3)) + "\n"
    monkeypatch.setattr(synth.validate, "MAX_MANIFEST_BYTES", len(lines) - 1)
    [finding] = validate_manifest(lines)
    assert (finding.rule, finding.line) == ("manifest.file-size", None)
    monkeypatch.setattr(synth.validate, "MAX_MANIFEST_BYTES", len(lines))
    assert validate_manifest(lines) == []


class _Endless(io.RawIOBase):
    """Standard input that never ends: `line(n)` for n = 0, 1, ...; it counts what is read,
    and fails a reader that reads on past 1 MB (every limit here is far below)."""

    def __init__(self, line: Callable[[int], bytes]) -> None:
        self.line, self.served, self._pending, self._next = line, 0, b"", 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while len(self._pending) < len(buffer):
            self._pending += self.line(self._next)
            self._next += 1
        size = len(buffer)
        if self.served + size > 1 << 20:
            raise AssertionError("read on past the size limit")
        buffer[:size], self._pending = self._pending[:size], self._pending[size:]
        self.served += size
        return size


def test_standard_input_past_the_size_limit_is_refused_without_reading_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`synth validate -` cannot stat standard input: it counts the bytes as it reads and
    stops at the limit (a smaller one here) with manifest.file-size, so even a stream that
    never ends is judged; the lines before the limit are judged as usual."""
    lines = [
        (line + "\n").encode() for line in _lines(3, lambda i, x: i == 1 and x.pop("source-ref"))
    ]
    limit = sum(map(len, lines)) + 10  # lines 1-3 and part of line 4
    monkeypatch.setattr(synth.validate, "MAX_MANIFEST_BYTES", limit)
    stdin = _Endless(lambda n: lines[n] if n < 3 else lines[0].replace(b"/0.png", b"/x.png"))
    result = CliRunner().invoke(cli, ["validate", "-"], input=io.BufferedReader(stdin))
    assert result.exit_code == 1, result.output
    assert result.output.splitlines() == [
        "-:2: error: source-ref.missing: the line has no source-ref [source-ref]",
        f"-: error: manifest.file-size: the manifest is over {limit:,} bytes (read no "
        f"further); the limit is {limit:,} (1 GB)",
    ]
    assert stdin.served < limit + 2 * io.DEFAULT_BUFFER_SIZE  # read ahead by one buffer only


def test_a_line_without_end_is_read_up_to_the_limit_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stream of one line that never ends (no newline) is not held whole: the validator
    reads one byte past the limit and refuses it."""
    monkeypatch.setattr(synth.validate, "MAX_MANIFEST_BYTES", 100_000)
    stream = _Endless(lambda n: b"x" * 4096)
    [finding] = validate_manifest(io.BufferedReader(stream))
    assert (finding.rule, finding.line) == ("manifest.file-size", None)
    assert stream.served < 100_001 + 2 * io.DEFAULT_BUFFER_SIZE


def _many_classes(n: int) -> tuple[str, dict[str, bytes]]:
    """A line whose map and mask hold n anomaly classes, one 4-pixel block each."""
    line = _line()
    colors = [(0x10 + i, 0x40, 0x80) for i in range(n)]
    _cmap(line).clear()
    _cmap(line)["0"] = {"class-name": "BACKGROUND", "hex-color": "#ffffff", "confidence": 0.0}
    mask = np.full((64, 64, 3), 255, np.uint8)
    for i, color in enumerate(colors, start=1):
        _cmap(line)[str(i)] = {
            "class-name": f"c{i}",
            "hex-color": "#{:02x}{:02x}{:02x}".format(*color),
            "confidence": 0.0,
        }
        mask[2 * i : 2 * i + 2, :2] = color
    return json.dumps(line), {**_objects(), MASK: _png(mask)}


def test_at_most_twenty_classes_in_one_mask() -> None:
    line, objects = _many_classes(21)
    assert _found(validate_manifest(line, objects=objects)) == {
        ("mask-image.max-classes", Severity.ERROR)
    }
    line, objects = _many_classes(20)
    assert validate_manifest(line, objects=objects) == []


def test_other_date_forms_warn_and_non_dates_are_errors() -> None:
    js = "Mon Aug 22 2022 13:52:52 GMT-0700 (Pacific Daylight Time)"
    [line] = _lines(1, lambda i, x: x["anomaly-mask-ref-metadata"].update({"creation-date": js}))
    for profile in Profile:
        [finding] = validate_manifest(line, profile=profile)
        assert (finding.rule, finding.severity) == ("mask.creation-date", Severity.WARNING)
        assert "not the ISO 8601" in finding.message
    [line] = _lines(1, lambda i, x: x["anomaly-label-metadata"].update({"creation-date": "soon"}))
    assert _found(validate_manifest(line, profile="service")) == {
        ("label.creation-date", Severity.ERROR)
    }


# ---- the dataset section ----------------------------------------------------------------


def _recolor(i: int, line: Line) -> None:
    if i == 1:
        _cmap(line)["1"]["hex-color"] = "#d62728"


def _rename_label(i: int, line: Line) -> None:
    if i == 1:
        line["defect"] = line.pop("anomaly-label")
        line["defect-metadata"] = line.pop("anomaly-label-metadata")


def _odd_name(i: int, line: Line) -> None:
    _cmap(line)["2"]["class-name"] = "pin-hole"


def _unmask_anomaly(i: int, line: Line) -> None:
    if i == 1:
        line.pop("anomaly-mask-ref")
        line.pop("anomaly-mask-ref-metadata")


MASK_B = "s3://bucket/masks/b.png"
_B_LINE = json.dumps({**_line(), "source-ref": IMAGE_B, "anomaly-mask-ref": MASK_B})
_SMALL = {IMAGE: _png(np.full((64, 80, 3), 120, np.uint8)), MASK: _png(_mask((64, 80)))}
# rule -> (breaking lines, their objects or None, the line reported, fixed lines)
DATASET_CASES: dict[str, tuple[list[str], dict[str, bytes] | None, int, list[str]]] = {
    "dataset.duplicate-image": (
        [json.dumps(_line())] * 2,
        None,
        2,
        [json.dumps(_line()), json.dumps({**_line(), "source-ref": IMAGE_B})],
    ),
    "dataset.image-dimensions": (
        [_B_LINE, json.dumps(_line())],
        {**_objects(), **_SMALL, MASK_B: _png(_mask())},
        2,
        [_B_LINE, json.dumps(_line())],
    ),
    "dataset.color-consistency": (_lines(2, _recolor), None, 2, _lines(2)),
    "dataset.attribute-names": (_lines(2, _rename_label), None, 2, _lines(2)),
    "dataset.class-name-chars": (_lines(2, _odd_name), None, 1, _lines(2)),
    "dataset.mask-missing": (
        _lines(2, _unmask_anomaly),
        None,
        2,
        _lines(2, lambda i, x: _unmasked_normal(x) if i == 1 else None),
    ),
}


@pytest.mark.parametrize("rule", sorted(DATASET_CASES))
def test_dataset_rule(rule: str) -> None:
    broken, objects, number, fixed = DATASET_CASES[rule]
    findings = validate_manifest(broken, objects=objects)
    warns = rule in ("dataset.attribute-names", "dataset.class-name-chars")
    assert _found(findings) == {(rule, Severity.WARNING if warns else Severity.ERROR)}
    [finding] = findings
    assert finding.line == number
    assert finding.related or rule == "dataset.class-name-chars"
    fixed_objects = None if objects is None else {**_objects(), MASK_B: _png(_mask())}
    assert validate_manifest(fixed, objects=fixed_objects) == []


def test_dataset_findings_name_the_lines_involved(tmp_path: Path) -> None:
    train, test = tmp_path / "train.manifest", tmp_path / "test.manifest"
    train.write_text("\n".join(_lines(3)) + "\n")
    test.write_text("\n".join(_lines(2)[::-1]) + "\n")  # images 1 and 0, already in train
    duplicates = [f for f in validate_project(train, test) if f.rule == "dataset.duplicate-image"]
    assert [(f.source, f.line, f.related) for f in duplicates] == [
        (str(test), 1, (f"{train}:2",)),
        (str(test), 2, (f"{train}:1",)),
    ]
    text = "\n".join(synth.validate.format_text(duplicates[:1], str(train)))
    assert text.startswith(f"{test}:1: error: dataset.duplicate-image: ")
    assert f"(see {train}:2)" in text


def test_max_classes_in_a_project() -> None:
    def one_class(i: int, line: Line) -> None:
        _cmap(line).pop("2")
        _cmap(line)["1"].update({"class-name": f"c{i}", "hex-color": f"#00{i:04x}"})

    findings = validate_manifest(_lines(102, one_class))
    assert _found(findings) == {("dataset.max-classes", Severity.ERROR)}
    # Each line holding a label past the 100th, the later ones naming the first such line.
    assert [(f.line, f.related) for f in findings] == [(101, ()), (102, ("line 101",))]
    assert validate_manifest(_lines(100, one_class)) == []


def _project(*splits: list[str]) -> list[Finding]:
    return list(iter_project([(f"m{i}", lines) for i, lines in enumerate(splits)]))


def test_max_images_per_split() -> None:
    train, test = _lines(10, lambda i, x: _normal(x)), _lines(801)
    test = [line.replace("/images/", "/test/") for line in test]
    findings = [f for f in _project(train, test) if f.severity is Severity.ERROR]
    # On the first image past the limit: the line a user drops or moves.
    assert [(f.rule, f.source, f.line) for f in findings] == [("dataset.max-images", "m1", 801)]
    assert "at most 800" in findings[0].message
    assert [f for f in _project(train, test[:800]) if f.severity is Severity.ERROR] == []


def _split(normal: int, anomaly: int, prefix: str) -> list[str]:
    def label(i: int, line: Line) -> None:
        line["source-ref"] = f"s3://bucket/{prefix}/{i}.png"
        if i < normal:
            _unmasked_normal(line)

    return _lines(normal + anomaly, label)


def test_training_minimum_per_split() -> None:
    findings = _project(_split(9, 0, "train"), _split(10, 9, "test"))
    assert _found(findings) == {("dataset.training-minimum", Severity.WARNING)}
    assert [f.message.split(":")[0] for f in findings] == [
        "the train dataset has 9 normal images; training needs 10",
        "the test dataset has 9 anomaly images; training needs 10",
    ]
    assert [f.source for f in findings] == ["m0", "m1"]  # each split's own manifest
    assert _project(_split(10, 0, "train"), _split(10, 10, "test")) == []
    assert _project(_split(20, 10, "train")) == []
    [single] = _project(_split(19, 10, "train"))
    assert single.message.startswith("the dataset has 19 normal images; training needs 20")
    [one] = _project(_split(1, 10, "train"))  # a count of one, its noun not plural
    assert one.message.startswith("the dataset has 1 normal image; training needs 20")


def test_training_minimum_per_anomaly_label_counts_single_type_masks() -> None:
    def masked(i: int, line: Line) -> None:
        line["anomaly-mask-ref"] = f"s3://bucket/masks/{i}.png"

    lines = _lines(20, masked)
    scratch, both = _png(_mask()), _mask()
    both[40:50, 40:50] = (0x1F, 0x77, 0xB4)
    masks = {f"s3://bucket/masks/{i}.png": scratch if i < 15 else _png(both) for i in range(20)}
    image = _objects()[IMAGE]
    normal = _split(20, 0, "normal")
    objects = {**masks, **{_image(i): image for i in range(20)}}
    objects |= {f"s3://bucket/normal/{i}.png": image for i in range(20)}
    findings = list(iter_project([("m", normal + lines)], objects=objects))
    # 15 scratch-only masks; dent is never alone, and 5 masks holding both count for neither.
    assert [f.message.split(":")[0] for f in findings] == [
        "the dataset has 0 images holding only anomaly 'dent'; training needs 20",
        "the dataset has 15 images holding only anomaly 'scratch'; training needs 20",
    ]


def test_training_shortfalls_match_the_quotas() -> None:
    enough = SplitCounts(normal=20, anomaly=10)
    assert training_shortfalls({"train": enough}) == []
    separate = {"train": SplitCounts(10, 0), "test": SplitCounts(10, 10)}
    assert [(s.split, str(s)) for s in training_shortfalls(separate, labels=["x"])] == [
        ("train", "the train dataset has 0 images holding only anomaly 'x'; training needs 10"),
        ("test", "the test dataset has 0 images holding only anomaly 'x'; training needs 10"),
        (
            "test",  # 10 anomaly images, none of x alone: enough to say no count helps
            "the test dataset has 0 of 10 anomaly images holding one anomaly type alone, the "
            "only images the per-label minimum counts; at that share even 800 images (the "
            "service's limit) would hold fewer than 10 per label (paint fewer types per image)",
        ),
    ]


def test_a_per_label_minimum_out_of_reach_is_said_once_per_split() -> None:
    labels = [f"c{i}" for i in range(10)]
    # showcase's make-up: about 1 anomaly image in 100 holds one type alone.
    rare = SplitCounts(100, 100, Counter({"c1": 1}))
    [reach] = [
        str(s) for s in training_shortfalls({"train": rare}, labels=labels) if "1 of" in str(s)
    ]
    assert reach.startswith("the dataset has 1 of 100 anomaly images holding one anomaly type")
    assert "even 8,000 images (the service's limit) would hold fewer than 20 per label" in reach
    # Half of them alone: 8,000 images would hold 200 per label, so only the counts are short.
    common = SplitCounts(100, 100, Counter(dict.fromkeys(labels, 5)))
    short = training_shortfalls({"train": common}, labels=labels)
    assert len(short) == len(labels)
    assert not any("would hold" in str(s) for s in short)
    # Too few anomaly images to judge a share: no such sentence.
    few = SplitCounts(20, 9)
    assert not any(
        "would hold" in str(s) for s in training_shortfalls({"train": few}, labels=labels)
    )


def test_every_rule_has_a_case() -> None:
    added = {
        "manifest.line-length",
        "manifest.file-size",
        "mask-image.max-classes",
        "dataset.max-classes",
        "dataset.max-images",
        "dataset.training-minimum",
    }
    assert set(LINE_CASES) | set(OBJECT_CASES) | set(DATASET_CASES) | added == set(RULES)


# ---- profiles ---------------------------------------------------------------------------


def _no_background(line: Line) -> None:
    cmap = _cmap(line)
    del cmap["0"]


def _no_confidence(line: Line) -> None:
    for entry in _cmap(line).values():
        entry.pop("confidence")


@pytest.mark.parametrize(
    ("rule", "change"),
    [("color-map.background", _no_background), ("color-map.confidence", _no_confidence)],
)
def test_service_profile_warns_where_the_service_was_lenient(
    rule: str, change: Callable[[Line], None]
) -> None:
    [line] = _lines(1, lambda i, x: change(x))
    docs = validate_manifest(line, objects={**_objects(), _image(0): _objects()[IMAGE]})
    assert {(f.rule, f.severity, f.profile) for f in docs} == {(rule, Severity.ERROR, "docs")}
    assert all("--profile service warns" in f.message for f in docs)
    service = validate_manifest(
        line, objects={**_objects(), _image(0): _objects()[IMAGE]}, profile="service"
    )
    assert {(f.rule, f.severity, f.profile) for f in service} == {
        (rule, Severity.WARNING, "service")
    }


def test_service_profile_keeps_other_background_errors() -> None:
    [line] = _lines(1, lambda i, x: _cmap(x)["0"].update({"hex-color": "#000000"}))
    findings = validate_manifest(line, profile="service")
    assert {(f.rule, f.severity, f.profile) for f in findings} == {
        ("color-map.background", Severity.ERROR, None)
    }


def test_unknown_profile_is_a_setup_error() -> None:
    with pytest.raises(ValidationSetupError, match="unknown profile 'lax'; choose one of docs"):
        validate_manifest(json.dumps(_line()), profile="lax")


def cookie_lines(normal: int = 20, anomaly: int = 10) -> list[str]:
    """Lines shaped like AWS's getting-started cookie dataset, as docs/real-data.md describes it:
    no mask on normal lines; color maps with the defect as entry "0", no BACKGROUND and no
    confidence; JavaScript Date strings as mask dates."""
    lines = []
    for i in range(normal + anomaly):
        bad = i >= normal
        line: Line = {
            "source-ref": f"s3://cookies-bucket/cookies/{'anomaly' if bad else 'normal'}-{i}.jpg",
            "anomaly-label": int(bad),
            "anomaly-label-metadata": {
                "job-name": "anomaly-label",
                "class-name": "anomaly" if bad else "normal",
                "human-annotated": "yes",
                "creation-date": "2022-08-22T20:52:51.851Z",
                "type": "groundtruth/image-classification",
            },
        }
        if bad:
            line["anomaly-mask-ref"] = f"s3://cookies-bucket/masks/anomaly-{i}.png"
            line["anomaly-mask-ref-metadata"] = {
                "internal-color-map": {"0": {"class-name": "cracked", "hex-color": "#23A436"}},
                "type": "groundtruth/semantic-segmentation",
                "human-annotated": "yes",
                "creation-date": "Mon Aug 22 2022 13:52:52 GMT-0700 (Pacific Daylight Time)",
                "job-name": "labeling-job/cookie-mask",
            }
        lines.append(json.dumps(line))
    return lines


def test_cookie_like_dataset_is_clean_under_the_service_profile() -> None:
    lines = cookie_lines()
    docs = validate_manifest(lines)
    assert _found(docs) == {
        ("color-map.background", Severity.ERROR),
        ("color-map.confidence", Severity.ERROR),
        ("mask.creation-date", Severity.WARNING),
    }
    assert sum(f.severity is Severity.ERROR for f in docs) == 20
    service = validate_manifest(lines, profile=Profile.SERVICE)
    assert [f for f in service if f.severity is Severity.ERROR] == []
