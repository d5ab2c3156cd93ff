"""Records: deterministic annotations from Faker, never from the clock."""

from __future__ import annotations

from datetime import UTC, datetime

from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from synth.annotate.records import (
    DATES_FROM,
    DATES_TO,
    SEGMENT_AFTER,
    job_names,
    job_start,
    record,
)
from synth.config.preset import load_preset
from synth.plan import image_spec
from synth.seeding import Stream, image_seed

MIXED = load_preset("mixed")


def _record(seed: int, index: int) -> dict:
    return record(
        MIXED,
        image_spec(MIXED, seed, index),
        seed,
        image_uri="s3://b/i.png",
        mask_uri="s3://b/m.png",
        jobs=job_names(seed),
    )


@given(seed=st.integers(0, 2**63), index=st.integers(0, 10**7))
def test_dates_are_utc_within_fixed_bounds(seed: int, index: int) -> None:
    rec = _record(seed, index)
    labeled = datetime.fromisoformat(rec["anomaly-label-metadata"]["creation-date"])
    segmented = datetime.fromisoformat(rec["anomaly-mask-ref-metadata"]["creation-date"])
    bounds = (DATES_FROM.replace(tzinfo=None), DATES_TO.replace(tzinfo=None))
    assert bounds[0] <= labeled <= bounds[1]
    assert labeled < segmented
    assert len(rec["anomaly-label-metadata"]["creation-date"]) == len("2021-10-12T14:16:45.668")


def test_same_seed_and_index_same_record_in_any_order() -> None:
    forward = [_record(1, i) for i in range(5)]
    backward = [_record(1, i) for i in reversed(range(5))][::-1]
    assert forward == backward
    assert _record(1, 0) != _record(2, 0)


def test_job_names_are_per_run() -> None:
    classification, segmentation = job_names(4)
    assert classification.startswith("labeling-job/")
    assert classification.endswith("-classification")
    assert segmentation.endswith("-segmentation")
    assert job_names(4) == (classification, segmentation)
    assert job_names(5) != job_names(4)


def _full_faker(seed: int) -> Faker:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return fake


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**63 - 1))
def test_job_names_and_start_are_a_full_en_us_fakers(seed: int) -> None:
    """The run-wide draws take three providers, not a whole Faker: the values a
    `Faker("en_US")` seeded alike draws."""
    fake = _full_faker(seed)
    project = fake.slug(fake.catch_phrase())
    assert job_names(seed) == (
        f"labeling-job/{project}-classification",
        f"labeling-job/{project}-segmentation",
    )
    fake = _full_faker(image_seed(seed, 0, Stream.ANNOTATION) ^ 0x5EED)
    latest = DATES_TO - SEGMENT_AFTER * 2
    assert job_start(seed) == fake.date_time_between(DATES_FROM, latest, tzinfo=UTC)


def test_records_drawn_by_many_threads_are_the_ones_drawn_alone() -> None:
    """No Faker is shared: threads writing records at once draw what one thread draws.

    Two threads are held at a barrier before each record, so their draws interleave on
    every record rather than by chance of the scheduler.
    """
    import sys
    import threading

    seeds = [(seed, index) for seed in (1, 2) for index in range(50)]
    alone = [_record(seed, index) for seed, index in seeds]
    threads = 4
    barrier = threading.Barrier(threads)
    found: list[list[dict]] = [[] for _ in range(threads)]

    def draw(slot: int) -> None:
        for seed, index in seeds:
            barrier.wait()
            found[slot].append(_record(seed, index))

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the GIL over between Faker's draws
    try:
        workers = [threading.Thread(target=draw, args=(slot,)) for slot in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        sys.setswitchinterval(switch)
    assert all(records == alone for records in found)
