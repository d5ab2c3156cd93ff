"""A fault breaks one thing in a manifest too: on a later line, unless it says otherwise.

A validator missing one check must be caught by the fault that check alone catches, on
whichever line manifests() puts it. Read after a valid first line, a fault still breaks
its one condition, except a fault in what later lines are compared with (`Fault.across`:
a bucket name, an image size out of range): to a validator that skips its condition the
broken value is a bucket or a size like any other, so the line differs from the first
and is flagged anyway. manifests() draws those faults on the first line only.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from synth.config.preset import load_preset
from synth.faults import CATALOGUE, Fault
from synth.testing import ManifestCase, manifests
from synth.testing.cases import build_case
from tests.reference.faults import FAULT_CHECK
from tests.reference.validator import CHECKS, Reference

LATER = sorted(f.name for f in CATALOGUE.values() if f.rules and not f.alone)


@pytest.mark.parametrize("name", LATER)
def test_a_fault_on_a_later_line_breaks_one_thing_or_says_which_rule_it_trips(
    name: str,
) -> None:
    fault: Fault = CATALOGUE[name]
    preset = replace(load_preset("mixed"), width=64, height=64)
    valid = build_case(preset, 1, True)
    base = valid if fault.fits(valid) else build_case(preset, 1, False)
    first, broken = build_case(preset, 2, True), fault.apply(base, np.random.default_rng(0))
    manifest = first.manifest + broken.manifest
    objects = {**first.objects, **broken.objects}
    assert Reference().flagged(manifest, objects) == {2}
    without = Reference(without={FAULT_CHECK[name]}).judge(manifest, objects)
    tripped = {CHECKS[f.check].rule for f in without if f.severity == "error"}
    assert tripped == ({fault.across} if fault.across else set())


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(manifests(max_lines=6))
def test_a_fault_compared_across_lines_is_on_the_first_line_only(m: ManifestCase) -> None:
    for number, case in enumerate(m.lines, 1):
        if case.faults and CATALOGUE.get(case.faults[0]) is not None:
            assert number == 1 or not CATALOGUE[case.faults[0]].across, (number, m)
