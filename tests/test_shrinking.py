"""A validator missing one check fails on a minimal example: the one fault it misses.

Hypothesis shows the smallest failing example it finds; if that still carries several
faults, or several broken lines, the user cannot tell which check is missing. Here the
missing check is planted in the independent reference validator (tests/reference), and
the example Hypothesis reports must hold exactly one fault: the one that check catches.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, find, settings

from synth.faults import Case
from synth.testing import ManifestCase, manifest_cases, manifests
from tests.reference.faults import FAULT_CHECK
from tests.reference.validator import Reference

# The slower tier (make test-slow, which CI runs): each search costs about 10 CPU s, the
# shrinker drawing (rendering) hundreds of manifests. What it checks, how the strategies'
# draws shrink, only a change to those draws can break.
pytestmark = pytest.mark.slow

# Derandomized: the same example every run; enough examples to find the fault first.
FIND = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
# A condition of the text (validators of the text alone, objects=False: fast to judge).
CHECK = "label.value/integer"


def _catches(check: str) -> set[str]:
    """The faults only `check` catches."""
    return {fault for fault, needed in FAULT_CHECK.items() if needed == check}


def test_a_manifest_shrinks_to_one_line_with_the_fault_missed() -> None:
    """Verdict level: the mutant flags too few lines; the minimal manifest is one line,
    broken by a fault that the missing check alone catches."""
    mutant = Reference(without={CHECK})

    def missed(m: ManifestCase) -> bool:
        return mutant.flagged(m.manifest) != m.flagged

    minimal = find(manifests(max_lines=4, objects=False), missed, settings=FIND)
    assert len(minimal.lines) == 1
    [fault] = minimal.lines[0].faults
    assert fault in _catches(CHECK)
    assert minimal.flagged == {1}


def test_a_case_shrinks_to_the_one_fault_missed() -> None:
    """Rule-id level: manifest_cases() composes up to 10 faults on a line, the rule drawn
    first among them; whichever of them the mutant misses, the minimal case is that fault
    alone, and the mutant accepts it (drawn as before this test, a keep byte per fault and
    a seed per fault aside, the minimal case here held several faults)."""
    mutant = Reference(without={CHECK})

    def missed(case: Case) -> bool:
        found = set().union(*mutant.errors(case.manifest).values())
        return found != case.expected_rules

    minimal = find(manifest_cases(valid=False, objects=False), missed, settings=FIND)
    [fault] = minimal.faults
    assert fault in _catches(CHECK)
    assert mutant.accepts(minimal.manifest)
