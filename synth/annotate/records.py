"""Records: one manifest line per image, as the Lookout for Vision segmentation format has it.

Job names come from Faker seeded by the run's seed, and creation dates from Faker
seeded by (seed, index) between fixed UTC bounds, so no value depends on the clock.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

from faker import Faker

from synth.config.preset import Preset
from synth.format import (
    BACKGROUND_CLASS,
    BACKGROUND_COLOR,
    CLASSIFICATION_TYPE,
    SEGMENTATION_TYPE,
)
from synth.plan import ImageSpec
from synth.seeding import Stream, image_seed

DATES_FROM = datetime(2021, 1, 1, tzinfo=UTC)
DATES_TO = datetime(2025, 12, 31, tzinfo=UTC)


@functools.cache
def _faker() -> Faker:
    """One Faker per process (building one is slow); reseeded before every use."""
    return Faker("en_US")


def job_names(seed: int) -> tuple[str, str]:
    """The classification and segmentation labeling jobs of a run."""
    fake = _faker()
    fake.seed_instance(seed)
    project = fake.slug(fake.catch_phrase())
    return f"labeling-job/{project}-classification", f"labeling-job/{project}-segmentation"


def color_map(preset: Preset) -> dict[str, dict[str, Any]]:
    entries = [(BACKGROUND_CLASS, BACKGROUND_COLOR)] + [(c.name, c.color) for c in preset.classes]
    return {
        str(i): {"class-name": name, "hex-color": color, "confidence": 0.0}
        for i, (name, color) in enumerate(entries)
    }


def palette(preset: Preset) -> list[str]:
    """Mask palette: index i has the color of color-map entry i."""
    return [BACKGROUND_COLOR] + [c.color for c in preset.classes]


def record(
    preset: Preset,
    spec: ImageSpec,
    seed: int,
    *,
    image_uri: str,
    mask_uri: str,
    jobs: tuple[str, str],
) -> dict[str, Any]:
    fake = _faker()
    fake.seed_instance(image_seed(seed, spec.index, Stream.ANNOTATION))
    labeled = fake.date_time_between(DATES_FROM, DATES_TO, tzinfo=UTC)
    segmented = labeled + timedelta(
        seconds=fake.random_int(30, 86_400), microseconds=fake.random_int(0, 999_999)
    )
    return {
        "source-ref": image_uri,
        preset.label_attribute: int(spec.anomalous),
        f"{preset.label_attribute}-metadata": {
            "class-name": spec.class_name,
            "creation-date": _iso(labeled, "milliseconds"),
            "human-annotated": "yes",
            "job-name": jobs[0],
            "type": CLASSIFICATION_TYPE,
            "confidence": 1,
        },
        preset.mask_attribute: mask_uri,
        f"{preset.mask_attribute}-metadata": {
            "internal-color-map": color_map(preset),
            "type": SEGMENTATION_TYPE,
            "human-annotated": "yes",
            "creation-date": _iso(segmented, "microseconds"),
            "job-name": jobs[1],
        },
    }


def _iso(moment: datetime, timespec: str) -> str:
    """UTC without an offset, as Ground Truth writes it (2021-10-12T14:16:45.668)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec=timespec)
