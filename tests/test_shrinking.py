"""A validator missing one check fails on a minimal example: the one fault it misses.

Hypothesis shows the smallest failing example it finds; if that still carries several
broken lines, the user cannot tell which check is missing. Here the missing check is
planted in the independent reference validator (tests/reference), and the manifest
Hypothesis reports must be one line holding one fault: the one that check catches.
"""

from __future__ import annotations

from hypothesis import HealthCheck, find, settings

from synth.testing import ManifestCase, manifests
from tests.reference.faults import FAULT_CHECK
from tests.reference.validator import Reference

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
