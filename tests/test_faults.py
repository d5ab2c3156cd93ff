"""The break catalogue: every fault, on cases from every preset, breaks exactly what it declares."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from synth.config.preset import builtin_presets
from synth.faults import (
    CATALOGUE,
    DATASET_FAULTS,
    Case,
    Fault,
    FaultError,
    breaking,
    compose,
    markdown_table,
    near_misses,
    select,
)
from synth.format import RULES, Severity
from synth.run.generate import generate
from synth.validate import validate_manifest


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    """A normal and an anomalous case from every preset that has them."""
    found: list[Case] = []
    for preset in sorted(builtin_presets()):
        root = tmp_path_factory.mktemp(preset)
        dataset = generate(preset, out=root, seed=1, count=4, width=72, height=64, test_fraction=0)
        for record in dataset.records():
            uris = (record["source-ref"], record["anomaly-mask-ref"])
            objects = {uri: (root / uri.split("/", 3)[3]).read_bytes() for uri in uris}
            found.append(Case(record=record, objects=objects))
    return found


def _report(case: Case) -> tuple[set[str], set[str]]:
    findings = validate_manifest([case.line], objects=case.objects)
    errors = {f.rule for f in findings if f.severity is Severity.ERROR}
    warnings = {f.rule for f in findings if f.severity is Severity.WARNING}
    return errors, warnings


def test_faults_cover_every_rule() -> None:
    line = set().union(*(f.rules | f.warnings for f in CATALOGUE.values()))
    across = set().union(*(f.rules | f.warnings for f in DATASET_FAULTS.values()))
    # A case cannot be empty, nor 1 GB, nor hundreds of lines or a project's shape (image
    # limits, training minimums): tests/test_validate*.py break those with their own data.
    unfaulted = {"manifest.empty", "manifest.file-size"} | {
        "dataset.max-images",
        "dataset.max-classes",
        "dataset.training-minimum",
    }
    assert line | across == set(RULES) - unfaulted


@pytest.mark.parametrize("fault", list(CATALOGUE.values()), ids=lambda f: f.name)
def test_fault_breaks_exactly_its_rules(fault: Fault, cases: list[Case]) -> None:
    fitting = [c for c in cases if fault.fits(c)]
    assert fitting
    for n, case in enumerate(fitting):
        broken = fault.apply(case, np.random.default_rng(n))
        assert broken.expected_rules == fault.rules
        errors, warnings = _report(broken)
        assert errors == set(fault.rules), (fault.name, broken.line[:300])
        assert warnings <= fault.warnings


def test_the_cases_are_valid_to_start_with(cases: list[Case]) -> None:
    assert {c.anomalous for c in cases} == {True, False}
    for case in cases:
        assert _report(case) == (set(), set())


def test_faults_compose(cases: list[Case]) -> None:
    case = next(c for c in cases if c.anomalous)
    broken = compose(
        case,
        [CATALOGUE["label-type-wrong"], CATALOGUE["hex-color-short"], CATALOGUE["mask-wrong-size"]],
        np.random.default_rng(0),
    )
    assert broken.expected_rules == {"label.type", "color-map.hex-color", "mask-image.size"}
    assert _report(broken)[0] == broken.expected_rules
    with pytest.raises(FaultError, match="'truncated-line' and 'json-array' do not compose"):
        compose(
            case, [CATALOGUE["truncated-line"], CATALOGUE["json-array"]], np.random.default_rng(0)
        )


def test_faults_are_reproducible(cases: list[Case]) -> None:
    fault = CATALOGUE["truncated-line"]
    one = fault.apply(cases[0], np.random.default_rng(5))
    two = fault.apply(cases[0], np.random.default_rng(5))
    assert one == two


def test_select_by_name_or_rule() -> None:
    assert [f.name for f in select(["mask-jpeg"])] == ["mask-jpeg"]
    assert {f.name for f in select(["color-map.background"])} == {
        "background-missing",
        "background-on-other-key",
        "background-not-white",
    }
    with pytest.raises(ValueError, match="'nope' is neither a fault nor a rule"):
        select(["nope"])


def test_near_misses_and_breaking_partition_the_catalogue() -> None:
    assert {f.name for f in near_misses()} | {f.name for f in breaking()} == set(CATALOGUE)
    assert len(near_misses()) >= 7


def test_readme_table_is_generated_from_the_code() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert markdown_table() in readme


@pytest.mark.parametrize("preset", sorted(builtin_presets()))
def test_broken_dataset_says_what_a_validator_must_report(preset: str, tmp_path: Path) -> None:
    dataset = generate(
        preset, out=tmp_path, seed=2, count=24, width=64, height=64, broken_fraction=0.75, workers=2
    )
    expected = dataset.expected()
    assert {e["fault"] for e in expected} - {None}
    by_line: dict[tuple[str, int], set[str]] = {}
    for split in dataset.splits:
        key = dataset.broken_manifest_key(split)
        for f in validate_manifest(tmp_path / key, objects=tmp_path):
            if f.severity is Severity.ERROR:
                by_line.setdefault((key, f.line or 0), set()).add(f.rule)
        assert validate_manifest(tmp_path / dataset.manifest_key(split), objects=tmp_path) == []
    for entry in expected:
        got = by_line.get((entry["manifest"], entry["line"]), set())
        assert got == set(entry["rules"]), entry


def test_faults_option_picks_by_rule(tmp_path: Path) -> None:
    dataset = generate(
        "mixed",
        out=tmp_path,
        count=12,
        width=64,
        height=64,
        broken_fraction=1.0,
        faults=["color-map.background"],
    )
    faults = {e["fault"] for e in dataset.expected()}
    assert faults <= {"background-missing", "background-on-other-key", "background-not-white"}
    assert all(e["rules"] == ["color-map.background"] for e in dataset.expected())


def test_broken_manifests_carry_dataset_faults(tmp_path: Path) -> None:
    dataset = generate(
        "mixed", out=tmp_path, seed=2, count=40, width=64, height=64, broken_fraction=0.75
    )
    entries = [e for e in dataset.expected() if e.get("level") == "dataset"]
    assert {e["fault"] for e in entries} <= set(DATASET_FAULTS)
    assert len({e["fault"] for e in entries}) >= 3
    for entry in entries:
        [related] = entry["related"]
        manifest, line = related.rsplit(":", 1)
        assert manifest == entry["manifest"]
        assert 0 < int(line) < entry["line"]  # the reference comes first
        findings = validate_manifest(tmp_path / manifest, objects=tmp_path)
        here = {f.rule for f in findings if f.line == entry["line"]}
        assert set(entry["rules"]) | set(entry["warnings"]) <= here, entry


def test_a_faults_choice_names_line_faults_only(tmp_path: Path) -> None:
    dataset = generate(
        "mixed",
        out=tmp_path,
        seed=2,
        count=16,
        width=64,
        height=64,
        broken_fraction=1.0,
        faults=["mask.type"],
    )
    expected = dataset.expected()
    assert all("level" not in e for e in expected)
    assert {e["fault"] for e in expected} == {f.name for f in select(["mask.type"])}
