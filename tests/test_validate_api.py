"""validate_manifest's arguments: a str or Path is a path, text comes by keyword."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synth.validate import Finding, ValidationSetupError, validate_manifest


def test_a_string_is_a_path_and_text_is_a_keyword(tmp_path: Path) -> None:
    manifest = tmp_path / "train.manifest"
    manifest.write_text(json.dumps({"source-ref": "s3://b/a.png"}) + "\n\n")
    by_path = _found(validate_manifest(manifest))
    assert (2, "manifest.blank-line") in by_path
    assert _found(validate_manifest(str(manifest))) == by_path
    assert _found(validate_manifest(text=manifest.read_text())) == by_path
    assert _found(validate_manifest(manifest.read_bytes())) == by_path


def _found(findings: list[Finding]) -> list[tuple[int | None, str]]:
    return [(f.line, f.rule) for f in findings]


def test_a_missing_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValidationSetupError, match=r"nope\.manifest: no such manifest file"):
        validate_manifest(str(tmp_path / "nope.manifest"))
