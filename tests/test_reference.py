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
from tests.reference.faults import DATASET_FAULT_CHECK, FAULT_CHECK
from tests.reference.validator import CHECKS, Reference

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
    """The fault breaks one condition: without that one check, nothing else rejects it,
    read with the case's objects (a fault in a URI moves its object along) or without."""
    [name] = case.faults
    check = FAULT_CHECK[name]
    assert _failed(case) == {check}
    mutant = Reference(without={check})
    assert mutant.accepts(case.manifest, case.objects), case
    assert mutant.accepts(case.manifest), case


def test_every_breaking_fault_names_its_check() -> None:
    breaking = {f.name for f in CATALOGUE.values() if f.rules}
    assert set(FAULT_CHECK) == breaking
    for name, check in FAULT_CHECK.items():
        assert CHECKS[check].rule in CATALOGUE[name].rules, name


def test_every_dataset_fault_names_its_check() -> None:
    from synth.faults import DATASET_FAULTS

    breaking = {name for name, f in DATASET_FAULTS.items() if f.rules and f.level == "dataset"}
    assert set(DATASET_FAULT_CHECK) == breaking
    for name, check in DATASET_FAULT_CHECK.items():
        assert CHECKS[check].rule in DATASET_FAULTS[name].rules, name


@pytest.mark.parametrize("name", sorted(DATASET_FAULT_CHECK))
def test_a_validator_missing_a_dataset_faults_check_accepts_it(name: str) -> None:
    """The same for dataset faults: the target, read after its reference line."""
    from dataclasses import replace as copy

    import numpy as np

    from synth.config.preset import load_preset
    from synth.faults import DATASET_FAULTS, DatasetFault
    from synth.testing.cases import build_case

    preset = copy(load_preset("mixed"), width=64, height=64)
    fault = DATASET_FAULTS[name]
    assert isinstance(fault, DatasetFault)
    reference, target = build_case(preset, 1, True), build_case(preset, 2, True)
    broken = fault.apply(reference, target, np.random.default_rng(0))
    manifest, objects = (
        reference.manifest + broken.manifest,
        {**reference.objects, **broken.objects},
    )
    check = DATASET_FAULT_CHECK[name]
    found = Reference().judge(manifest, objects)
    assert {(f.line, f.check) for f in found if f.severity == "error"} == {(2, check)}
    assert Reference(without={check}).accepts(manifest, objects)


# Conditions no fault breaks alone, and why.
UNFAULTED = {
    "manifest.empty/lines": "a case has a line; tests/test_validate.py gives an empty manifest",
    "dataset.max-images/limit": "a project fault (test-over-image-limit) writes 801+ lines",
    **dict.fromkeys(
        [f"mask.uri/bucket-{c}" for c in ("length", "upper-case", "chars", "ends")],
        "a mask in another bucket than its image breaks dataset.bucket for a reader that "
        "skips the condition",
    ),
    "dataset.color-consistency/class": "class-recolored gives a class another color; no fault "
    "gives a color another class yet",
}


def test_every_condition_has_its_fault() -> None:
    """Each error condition of the reference is broken alone by a fault of every_case() or a
    dataset fault, or is listed with the reason it is not."""
    errors = {name for name, check in CHECKS.items() if check.severity == "error"}
    faulted = set(FAULT_CHECK.values()) | set(DATASET_FAULT_CHECK.values())
    assert errors - faulted == set(UNFAULTED)
    assert {p.id for p in BROKEN} == set(FAULT_CHECK)  # every_case() holds them all


@pytest.mark.parametrize("crop", ["image-too-small", "image-too-narrow"])
def test_a_crop_keeps_the_defect_when_background_is_recolored(crop: str) -> None:
    """Composed after `background-not-white`, a crop still centres on a defect: the mask's
    background is then a color, not white, and a crop taken from the corner could leave
    only background (an empty anomaly mask, a rule neither fault names). Seed 10 of the
    mixed preset has its defect far from the top and left edges."""
    from dataclasses import replace as copy

    import numpy as np

    from synth.config.preset import load_preset
    from synth.faults import compose
    from synth.testing.cases import build_case

    case = build_case(copy(load_preset("mixed"), width=64, height=64), 10, True)
    faults = [CATALOGUE["background-not-white"], CATALOGUE[crop]]
    broken = compose(case, faults, np.random.default_rng(0))
    assert broken.expected_rules == {"color-map.background", "image.size"}
    assert {CHECKS[c].rule for c in _failed(broken)} == broken.expected_rules
