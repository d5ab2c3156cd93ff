"""The Hypothesis strategies: every drawn case is judged by the validator exactly as it says."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synth.faults import CATALOGUE, DATASET_FAULTS, Case
from synth.faults.model import LINE
from synth.format import Severity
from synth.testing.strategies import (
    color_maps,
    datasets,
    label_metadata,
    manifest_cases,
    masks,
    s3_uris,
)
from synth.validate import validate_manifest

# 30 draws a strategy: where faults composed on one line are judged (test_faults.py judges
# each fault alone, on every preset's and style's lines and on drawn presets; test_verdicts
# whole manifests, by a second validator too); bench/bench_fuzz.py measures how many bugs
# such tests find at 100 and 400 examples.
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _errors(case: Case, objects: bool = True) -> set[str]:
    """The validator's errors; without objects for cases drawn with `objects=False`
    (an empty mapping would be objects that are all missing)."""
    findings = validate_manifest(case.manifest, objects=case.objects if objects else None)
    return {f.rule for f in findings if f.severity is Severity.ERROR}


@FAST
@given(manifest_cases())
def test_any_case_is_judged_as_it_says(case: Case) -> None:
    """Valid, near-miss or broken, up to ten faults composed: exactly the rules it says.
    A line that cannot be read hides every other fault: it is never composed."""
    assert _errors(case) == case.expected_rules
    if any(LINE in CATALOGUE[name].touches for name in case.faults):
        assert len(case.faults) == 1


@FAST
@given(data=st.data(), max_faults=st.integers(1, 4))
def test_max_faults_caps_the_faults_composed(data: st.DataObject, max_faults: int) -> None:
    """Up to `max_faults` faults, their rules adding up; one breaks its own rules alone."""
    case = data.draw(manifest_cases(valid=False, max_faults=max_faults), label="case")
    assert 1 <= len(case.faults) <= max_faults
    assert _errors(case) == case.expected_rules
    if max_faults == 1:
        assert case.expected_rules == CATALOGUE[case.faults[0]].rules


@FAST
@given(manifest_cases(valid=True))
def test_valid_cases_have_no_errors(case: Case) -> None:
    assert case.expected_rules == frozenset()
    assert _errors(case) == set()


@FAST
@given(manifest_cases(valid=False, objects=False))
def test_broken_line_only_cases(case: Case) -> None:
    assert case.objects == {}
    assert case.expected_rules
    assert _errors(case, objects=False) == case.expected_rules


@FAST
@given(manifest_cases(valid=False, rules={"mask-image.color", "color-map.hex-color"}))
def test_rules_restrict_the_faults(case: Case) -> None:
    assert case.expected_rules & {"mask-image.color", "color-map.hex-color"}
    assert _errors(case) == case.expected_rules


def test_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown rule ids: nope"):
        manifest_cases(rules={"nope"})


@FAST
@given(datasets(max_size=3, valid=True))
def test_datasets_validate_as_one_manifest(cases: list[Case]) -> None:
    objects = {uri: data for case in cases for uri, data in case.objects.items()}
    findings = validate_manifest([c.line for c in cases], objects=objects)
    assert [f for f in findings if f.severity is Severity.ERROR] == []
    for number, case in enumerate(cases, start=1):  # odd lines warn of themselves only
        assert {f.rule for f in findings if f.line == number} <= case.expected_warnings


@FAST
@given(datasets(max_size=3, valid=True, dataset_fault=True))
def test_dataset_faults_are_reported_on_their_line(cases: list[Case]) -> None:
    objects = {uri: data for case in cases for uri, data in case.objects.items()}
    findings = validate_manifest([c.line for c in cases], objects=objects)
    for number, case in enumerate(cases, start=1):
        errors = {f.rule for f in findings if f.line == number and f.severity is Severity.ERROR}
        warnings = {f.rule for f in findings if f.line == number and f.severity != "error"}
        assert errors == case.expected_rules, (number, case.faults)
        assert warnings <= case.expected_warnings
    assert cases[-1].faults[-1] in DATASET_FAULTS


@given(color_maps())
def test_color_maps(cmap: dict[str, dict[str, object]]) -> None:
    assert cmap["0"] == {"class-name": "BACKGROUND", "hex-color": "#ffffff", "confidence": 0.0}
    assert len({e["hex-color"] for e in cmap.values()}) == len(cmap)


@given(label_metadata(), s3_uris())
def test_label_metadata_and_uris_make_valid_lines(meta: dict[str, object], uri: str) -> None:
    line = {"source-ref": uri, "label": 1, "label-metadata": meta}
    import json

    assert validate_manifest(json.dumps(line)) == []


@given(masks(width=80, height=64, classes=3))
def test_masks(mask: np.ndarray) -> None:
    assert mask.shape == (64, 80)
    assert mask.max() <= 3


@FAST
@given(manifest_cases(task="classification"))
def test_classification_cases_are_judged_as_they_say(case: Case) -> None:
    assert not any(key.endswith("-ref") and key != "source-ref" for key in case.record)
    # objects as they are: a case whose one image a fault removed has none left.
    findings = validate_manifest([case.line], objects=case.objects)
    assert {f.rule for f in findings if f.severity is Severity.ERROR} == case.expected_rules


@FAST
@given(datasets(max_size=3, valid=True, dataset_fault=True, task="classification"))
def test_classification_datasets_and_their_dataset_faults(cases: list[Case]) -> None:
    objects = {uri: data for case in cases for uri, data in case.objects.items()}
    findings = validate_manifest([c.line for c in cases], objects=objects)
    for number, case in enumerate(cases, start=1):
        errors = {f.rule for f in findings if f.line == number and f.severity is Severity.ERROR}
        assert errors == case.expected_rules, (number, case.faults)
    assert all(len(case.objects) <= 1 for case in cases)  # images only, never a mask


def test_a_built_case_is_the_callers_own() -> None:
    """build_case renders once per (preset, seed, label); a caller's edits to what it
    returned never reach the next caller's case."""
    from dataclasses import replace

    from synth.config.preset import load_preset
    from synth.testing.cases import build_case

    preset = replace(load_preset("mixed"), width=64, height=64)
    first = build_case(preset, 7, True)
    manifest, objects = first.manifest, dict(first.objects)
    first.record[f"{first.label}-metadata"]["class-name"] = "normal"
    first.record.clear()
    first.objects.clear()
    again = build_case(preset, 7, True)
    assert (again.manifest, again.objects) == (manifest, objects)
    assert manifest not in {
        build_case(preset, 8, True).manifest,
        build_case(preset, 7, False).manifest,
    }
