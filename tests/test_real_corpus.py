"""The validator against real files: what AWS's console, tools and documentation wrote.

tests/data/real/corpus.toml describes each file (source, commit, path, licence, sha256)
and every finding `validate_manifest` must report for it under each profile, with the
evidence. The files themselves are others' work and stay out of the repository:
tests/data/real/gather.py lays them out from snapshots of their sources, and these tests
skip, saying so, where they are absent ($SYNTH_REAL_CORPUS points elsewhere).
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from synth.format import RULES, Severity
from synth.validate import validate_manifest

HERE = Path(__file__).parent / "data" / "real"
CORPUS: dict[str, Any] = tomllib.loads((HERE / "corpus.toml").read_text(encoding="utf-8"))
FILES = Path(os.environ.get("SYNTH_REAL_CORPUS", HERE / "files"))
PROFILES = ("service", "docs")
# Files the service accepted or wrote, or AWS's tools wrote for import.
SERVICE_ACCEPTED = {"console", "service export", "service evaluation output"}


def _file(name: str) -> Path:
    path = FILES / name
    if not path.is_file():
        pytest.skip(f"{path} absent: lay the corpus out with tests/data/real/gather.py")
    return path


def _findings(entry: dict[str, Any], profile: str) -> Counter[tuple[str, str, int | None]]:
    """What validate_manifest reports, objects included where the file names a bucket root."""
    objects = None
    if "objects" in entry:
        objects = FILES / "objects" / entry["objects"]
        if not objects.is_dir():
            pytest.skip(f"{objects} absent: lay the corpus out with tests/data/real/gather.py")
    found = validate_manifest(_file(entry["name"]), objects=objects, profile=profile)
    return Counter((f.rule, f.severity.value, f.line) for f in found)


def _expected(entry: dict[str, Any], profile: str) -> Counter[tuple[str, str, int | None]]:
    return Counter(
        (row["rule"], row["severity"], line)
        for row in entry["expected"][profile]
        for line in row["lines"]
    )


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("entry", CORPUS["file"], ids=lambda e: e["name"])
def test_each_real_file_has_exactly_its_expected_findings(
    entry: dict[str, Any], profile: str
) -> None:
    assert _findings(entry, profile) == _expected(entry, profile)


@pytest.mark.parametrize(
    "entry",
    [e for e in CORPUS["file"] if e["producer"] in SERVICE_ACCEPTED and "objects" in e],
    ids=lambda e: e["name"],
)
def test_what_the_service_trained_on_has_no_error_under_the_service_profile(
    entry: dict[str, Any],
) -> None:
    errors = [f for f in _findings(entry, "service") if f[1] == Severity.ERROR]
    assert errors == []


def test_the_corpus_description_is_complete() -> None:
    """Every file and object names a known source, a commit and a sha256; every expected
    finding a known rule and severity, and both profiles."""
    for entry in CORPUS["file"] + CORPUS["object"]:
        assert entry["source"] in CORPUS["source"], entry["name"]
        assert len(entry["commit"]) == 40, entry["name"]
        assert len(entry["sha256"]) == 64, entry["name"]
    for entry in CORPUS["file"]:
        assert set(entry["expected"]) == set(PROFILES), entry["name"]
        assert entry["evidence"], entry["name"]
        for row in entry["expected"]["service"] + entry["expected"]["docs"]:
            assert row["rule"] in RULES, row
            assert row["severity"] in {"error", "warning"}, row
    for source in CORPUS["source"].values():
        assert source["repo"], source
        assert source["licence"], source


@pytest.mark.parametrize("entry", CORPUS["object"], ids=lambda e: e["name"])
def test_each_object_is_the_one_described(entry: dict[str, Any]) -> None:
    data = _file(entry["name"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert len(data) < 1024 * 1024  # small copies, not datasets
