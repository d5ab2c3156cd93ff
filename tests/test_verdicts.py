"""manifests(): whole manifests whose lines carry one fault each, judged line by line."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from synth.format import Severity
from synth.testing import ManifestCase, manifests
from synth.validate import Finding, iter_findings, validate_manifest
from tests.helpers import examples_to_see_each, fast_is_exact
from tests.reference.validator import Reference

FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Examples enough to see each kind of line a test judges (a clean line, a line broken in a
# field, an object or its text, a dataset fault's line; and each profile drawn) but with
# chance 1% (examples_to_see_each), from each kind's rate over 600 random manifests of the
# test's own strategy: the rarest, a dataset fault's line, in 163 of 600 (7 kinds); text
# only, a text fault's in 101 of 600 (4 kinds, no object); classification, an object
# fault's in 94 of 600 (5 kinds).
BOTH_VALIDATORS = examples_to_see_each(7, 163 / 600)
TEXT_ONLY = examples_to_see_each(4, 101 / 600)
CLASSIFICATION = examples_to_see_each(5, 94 / 600)


def _errors(m: ManifestCase, objects: bool = True) -> dict[int, set[str]]:
    return _by_line(validate_manifest(m.manifest, objects=m.objects if objects else None))


def _by_line(findings: list[Finding]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for f in findings:
        if f.severity is Severity.ERROR and f.line is not None:
            found.setdefault(f.line, set()).add(f.rule)
    return found


def _both_paths(m: ManifestCase, profile: str) -> list[Finding]:
    """The findings of the fast path (orjson, verdicts reused across lines), which must be
    those of the exact path (every key hooked, every value checked afresh), messages and
    line numbers included; the paths themselves are test_validate_parse.py's. Lines only,
    too: then the fast path reads them in blocks, which must change nothing either."""
    fast = list(iter_findings(m.manifest, objects=m.objects, profile=profile))
    exact = list(iter_findings(m.manifest, objects=m.objects, profile=profile, exact=True))
    assert fast == exact
    fast_is_exact(m.manifest, profile=profile)
    return fast


@settings(FAST, max_examples=BOTH_VALIDATORS)
@given(manifests(), st.sampled_from(["docs", "service"]))
def test_each_line_is_judged_as_it_says_by_both_validators(m: ManifestCase, profile: str) -> None:
    """Each line's errors, by synth's validator on both its paths and by the reference
    validator; under the profile drawn, the fast path finds what the exact path finds (the
    docs profile's rules are verified on the fast path's findings: that it agrees with the
    exact path under docs is the examples that draw docs)."""
    assert all(len(case.faults) <= 1 for case in m.lines)
    findings = _both_paths(m, profile)
    if profile != "docs":
        findings = list(iter_findings(m.manifest, objects=m.objects))
    m.verify_rules(_by_line(findings))
    m.verify_lines(Reference().flagged(m.manifest, m.objects))


@settings(FAST, max_examples=TEXT_ONLY)
@given(manifests(objects=False, max_lines=4))
def test_text_only_manifests(m: ManifestCase) -> None:
    assert m.objects == {}
    m.verify_rules(_errors(m, objects=False))
    m.verify_lines(Reference().flagged(m.manifest))


@settings(FAST, max_examples=CLASSIFICATION)
@given(manifests(task="classification", max_lines=3))
def test_classification_manifests(m: ManifestCase) -> None:
    assert not any(k.endswith("-ref") and k != "source-ref" for c in m.lines for k in c.record)
    m.verify_rules(_errors(m))


@settings(FAST, max_examples=10)  # what a message says first: a few manifests show it
@given(manifests(max_lines=3))
def test_a_failure_names_the_line_and_the_fault_first(m: ManifestCase) -> None:
    assume(len(m.flagged) == 1)  # not `find`: shrinking to the smallest costs more than the test
    [line] = m.flagged
    with pytest.raises(AssertionError) as raised:
        m.verify_lines(set())
    first = str(raised.value).splitlines()[0]
    assert first.startswith(f"line {line}: not flagged, but it breaks ")
    assert m.lines[line - 1].faults[0] in first
    with pytest.raises(AssertionError, match=rf"^line {line}: missed "):
        m.verify_rules({})
    m.verify_lines({line})  # the right lines: no error


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="min_lines"):
        manifests(min_lines=3, max_lines=2)


def test_a_case_says_the_rule_missed_first() -> None:
    from synth.testing import every_case

    case = next(p.values[0] for p in every_case(objects=False) if p.id == "label-value-word")
    with pytest.raises(AssertionError, match=r"^missed label\.value \(label-value-word\)\n"):
        case.verify(set())
    with pytest.raises(AssertionError, match=r"^falsely reported mask\.type"):
        case.verify({"label.value", "mask.type"})
    case.verify({"label.value"})
