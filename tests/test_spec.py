"""The per-image plan: fractions hold for any run of images, and image i stands alone."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from synth.config.preset import load_preset
from synth.plan import image_spec, plan

DENTS = load_preset("dents")


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
    preset = DENTS.with_overrides(anomaly_fraction=0.5, test_fraction=0.2)
    test = [s for s in plan(preset, 7, range(5000)) if s.split == "test"]
    share = sum(s.anomalous for s in test) / len(test)
    assert 0.45 < share < 0.55
