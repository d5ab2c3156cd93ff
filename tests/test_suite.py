"""`synth suite`: the conformance suite as files, the same bytes for the same version and
seed, passed by synth's own validator, and run by a runner in sh."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from synth.cli import cli
from synth.format import RULES, Severity
from synth.testing import probes
from synth.testing.suite import write_suite
from synth.validate import validate_manifest
from tests.helpers import files_of

RUNNER = Path(__file__).resolve().parent.parent / "examples" / "suite" / "run.sh"


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("suite")
    result = CliRunner().invoke(cli, ["suite", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.slow
def test_the_same_version_and_seed_give_the_same_bytes(suite: Path, tmp_path: Path) -> None:
    probes._fixed_of.cache_clear()  # built anew, not only written again
    write_suite(tmp_path / "again")
    assert files_of(tmp_path / "again") == files_of(suite)
    write_suite(tmp_path / "other", seed=1)
    other = files_of(tmp_path / "other")
    assert other.keys() != files_of(suite).keys()  # other images, under other keys


def test_the_index_lists_every_case_folder(suite: Path) -> None:
    index = json.loads((suite / "index.json").read_text())
    listed = {case["path"] for case in index["cases"]}
    folders = {str(p.parent.relative_to(suite)) for p in suite.glob("cases/*/*/*/expected.json")}
    assert listed == folders
    assert len(listed) == len(index["cases"])
    assert {r["id"] for r in json.loads((suite / "rules.json").read_text())} == set(RULES)
    tsv = (suite / "cases.tsv").read_text().splitlines()
    assert [row.split("\t")[0] for row in tsv[1:]] == [case["path"] for case in index["cases"]]
    kinds = {case["kind"] for case in index["cases"]}
    assert kinds == {"valid", "near-miss", "text", "field", "object", "dataset"}


def test_synth_validate_passes_every_case(suite: Path) -> None:
    index = json.loads((suite / "index.json").read_text())
    for case in index["cases"]:
        folder = suite / case["path"]
        expected = json.loads((folder / "expected.json").read_text())
        found = validate_manifest(
            folder / "manifest.jsonl", objects=folder / "objects", profile=expected["profile"]
        )
        for line in expected["lines"]:
            errors = {
                f.rule for f in found if f.line == line["line"] and f.severity is Severity.ERROR
            }
            assert errors == set(line["rules"]), (case["path"], line["line"])
            warned = {f.rule for f in found if f.line == line["line"]} - errors
            assert warned <= set(line["warnings"]) | {  # what the console's lines warn
                "color-map.background",
                "color-map.confidence",
                "mask-image.color",  # transparent background
                "mask.creation-date",  # JavaScript dates
            }
        assert not [f for f in found if f.line is None and f.severity is Severity.ERROR]


def test_expected_json_says_what_and_why(suite: Path) -> None:
    case = json.loads(
        (suite / "cases/segmentation/synth/duplicate-image/expected.json").read_text()
    )
    assert case["flag"] == [3]
    assert case["either"] == [1]
    assert case["lines"][2]["needs"] == [1]
    assert case["rules"] == [
        {
            "id": "dataset.duplicate-image",
            "source": RULES["dataset.duplicate-image"].source,
            "summary": RULES["dataset.duplicate-image"].summary,
        }
    ]
    assert case["description"]


@pytest.mark.slow
def test_a_shell_runner_runs_the_suite(suite: Path, tmp_path: Path) -> None:
    """examples/suite/run.sh (POSIX sh, no JSON parser) with synth validate, over a
    sample of the suite: a case of each kind, a multi-line one, a service-profile one."""
    rows = (suite / "cases.tsv").read_text().splitlines()
    wanted = (
        "segmentation/synth/valid\t",
        "segmentation/synth/hex-color-short\t",
        "segmentation/synth/truncated-line\t",
        "segmentation/synth/mask-stray-color\t",
        "segmentation/synth/keys-reordered\t",
        "segmentation/synth/class-recolored\t",
        "classification/console/label-value-word\t",
        "segmentation/console/valid\t",
    )
    sample = [rows[0], *(r for r in rows if r.removeprefix("cases/").startswith(wanted))]
    assert len(sample) == len(wanted) + 1
    mini = tmp_path / "mini"
    mini.mkdir()
    (mini / "cases").symlink_to(suite / "cases")
    (mini / "cases.tsv").write_text("\n".join(sample) + "\n")
    validate = [sys.executable, "-m", "synth", "validate", "--objects"]
    validate += ["--profile", "{profile}", "--root", "{root}", "{manifest}"]
    done = subprocess.run(["sh", str(RUNNER), str(mini), *validate], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == f"1..{len(wanted)}"
    assert done.stdout.count("\nok ") == len(wanted)
    # A validator that accepts everything fails every invalid case, and says which rule.
    done = subprocess.run(["sh", str(RUNNER), str(mini), "true"], capture_output=True, text=True)
    assert done.returncode == 1
    assert re.search(
        r"^not ok \d+ - cases/segmentation/synth/hex-color-short: accepted it, missing ",
        done.stdout,
        re.MULTILINE,
    )
    assert done.stdout.count("not ok") == 5  # the invalid cases
