"""validate_manifest's arguments: a path is a Path; a str (like bytes) is the manifest's text,
as for iter_findings and iter_project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synth.validate import Finding, ValidationSetupError, validate_manifest, validate_project


def test_a_path_is_a_path_and_a_string_is_text(tmp_path: Path) -> None:
    manifest = tmp_path / "train.manifest"
    manifest.write_text(json.dumps({"source-ref": "s3://b/a.png"}) + "\n\n")
    by_path = _found(validate_manifest(manifest))
    assert (2, "manifest.blank-line") in by_path
    assert _found(validate_manifest(manifest.read_text())) == by_path
    assert _found(validate_manifest(manifest.read_bytes())) == by_path
    assert _found(validate_manifest(manifest.read_text().splitlines(keepends=True))) == by_path
    # A path given as a str is read as a manifest of one line that is not JSON.
    assert _found(validate_manifest(str(manifest))) == [(1, "manifest.json")]


def _found(findings: list[Finding]) -> list[tuple[int | None, str]]:
    return [(f.line, f.rule) for f in findings]


def test_a_missing_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValidationSetupError, match=r"nope\.manifest: no such manifest file"):
        validate_manifest(tmp_path / "nope.manifest")
    with pytest.raises(ValidationSetupError, match=r"nope\.manifest: no such manifest file"):
        validate_project(tmp_path / "nope.manifest")


def test_a_project_takes_paths(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="takes manifest files as Paths"):
        validate_project(str(tmp_path / "train.manifest"))  # type: ignore[arg-type]
