"""The per-image plan: fractions hold for any run of images, and image i stands alone."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from synth.config.preset import load_preset
from synth.imaging.render import render
from synth.plan import image_spec, plan

DENTS = load_preset("dents")
SHOWCASE = load_preset("showcase")


@given(
    seed=st.integers(0, 2**32),
    count=st.integers(1, 2000),
    anomaly=st.floats(0, 1),
    test=st.floats(0, 0.9),
)
def test_fractions_hold_for_any_count(seed: int, count: int, anomaly: float, test: float) -> None:
    preset = DENTS.with_overrides(anomaly_fraction=anomaly, test_fraction=test)
    specs = list(plan(preset, seed, range(count)))
    # Weyl sequences have discrepancy O(log n); measured below 0.42 (1 + ln n) over 3,000 draws.
    slack = 1 + math.log(count)
    assert abs(sum(s.anomalous for s in specs) - anomaly * count) <= slack
    assert abs(sum(s.split == "test" for s in specs) - test * count) <= slack
    assert specs[0].split == "train"


@given(seed=st.integers(0, 2**32), index=st.integers(0, 10**6))
def test_image_spec_depends_on_seed_and_index_only(seed: int, index: int) -> None:
    assert image_spec(DENTS, seed, index) == next(iter(plan(DENTS, seed, [index])))


def test_test_split_gets_its_share_of_anomalies() -> None:
    """Within the test split too, the anomalies are their fraction of its images but for
    the Weyl sequences' slack (as in test_fractions_hold_for_any_count: measured below
    0.73 (1 + ln n) over 300 random seeds and counts up to 5,000)."""
    preset = DENTS.with_overrides(anomaly_fraction=0.5, test_fraction=0.2)
    test = [s for s in plan(preset, 7, range(5000)) if s.split == "test"]
    assert abs(sum(s.anomalous for s in test) - 0.5 * len(test)) <= 1 + math.log(len(test))


@given(seed=st.integers(0, 2**32), count=st.integers(1, 3000), classes=st.integers(1, 10))
def test_one_class_per_image_takes_turns_within_each_split(
    seed: int, count: int, classes: int
) -> None:
    preset = SHOWCASE.with_overrides(classes=SHOWCASE.classes[:classes])
    specs = list(plan(preset, seed, range(count)))
    assert all((s.only_class is not None) == s.anomalous for s in specs)
    for split in ("train", "test"):
        anomalies = [s.only_class for s in specs if s.anomalous and s.split == split]
        shares = Counter(anomalies)
        # Jointly low-discrepancy with the label and split sequences: every class holds
        # its share of each split's anomalies to within a few images (O(log n)).
        slack = 2 * (1 + math.log(count))
        assert all(abs(shares[k] - len(anomalies) / classes) <= slack for k in range(classes))


def test_plans_without_one_class_per_image_leave_the_choice_to_the_renderer() -> None:
    assert {s.only_class for s in plan(DENTS, 3, range(200))} == {None}


def test_an_image_planned_with_one_class_shows_that_class_alone() -> None:
    preset = SHOWCASE.with_overrides(width=96, height=96)
    specs = [s for s in plan(preset, 5, range(60)) if s.anomalous][:10]
    assert {s.only_class for s in specs} != {specs[0].only_class}  # the classes take turns
    for spec in specs:
        labels = render(preset, spec, seed=5).labels
        assert set(np.unique(labels).tolist()) == {0, spec.only_class + 1}
