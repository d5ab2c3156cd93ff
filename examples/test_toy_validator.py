"""Fuzzing a deliberately buggy validator with synth's strategies finds its bug.

`toy_validate` checks hex colors with a regex that forgets upper-case digits, so it
calls the valid `#2CA02C` an error. Run: pytest examples/
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings

from synth.faults import Case
from synth.testing.strategies import manifest_cases

HEX = re.compile(r"#[0-9a-f]{6}")  # the bug: #rrggbb allows A-F too


def toy_validate(line: str) -> set[str]:
    """A validator of color maps only, as someone might write it in a hurry."""
    try:
        record = json.loads(line)
    except ValueError:
        return {"manifest.json"}
    errors = set()
    for key, value in record.items():
        if key.endswith("-ref-metadata"):
            for entry in value.get("internal-color-map", {}).values():
                if not HEX.fullmatch(str(entry.get("hex-color"))):
                    errors.add("color-map.hex-color")
    return errors


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(manifest_cases(valid=True, objects=False))
def check_no_false_alarms(case: Case) -> None:
    assert toy_validate(case.line) == set(), case


def test_fuzzing_finds_the_upper_case_bug() -> None:
    with pytest.raises(AssertionError) as failure:
        check_no_false_alarms()
    assert "upper-case-hex" in str(failure.value)
