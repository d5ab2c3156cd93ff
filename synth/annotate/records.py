"""Records: one manifest line per image, as the Lookout for Vision segmentation format has it.

Every value comes from the run's seed and the image's index, never from the clock.
Dates look like one labeling job: a job start drawn once per run, the classification
labels within its first hours and the chained segmentation job the next day. The
style (synth/config/styles.py) decides only how the same facts are written.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

from faker import Generator
from faker.providers import BaseProvider
from faker.providers.company import en_US as company
from faker.providers.date_time import en_US as date_time
from faker.providers.internet import en_US as internet

from synth.config.preset import Preset
from synth.config.styles import Style, mix_of
from synth.format import (
    BACKGROUND_CLASS,
    BACKGROUND_COLOR,
    CLASSIFICATION_TYPE,
    SEGMENTATION_TYPE,
    VERIFICATION_TYPE,
)
from synth.plan import ImageSpec
from synth.seeding import Stream, image_seed

DATES_FROM = datetime(2021, 1, 1, tzinfo=UTC)
DATES_TO = datetime(2025, 12, 31, tzinfo=UTC)
# The job window: classification labels within LABEL_HOURS of the job's start, the
# segmentation job (chained after it) within the following day.
LABEL_HOURS = 8
SEGMENT_AFTER = timedelta(days=1)


def _faker(seed: int) -> Generator:
    """A Faker generator of its own for one run-wide draw, seeded: never shared, so
    threads cannot interleave their draws. The draws take the en_US providers that
    `Faker("en_US")` answers them with (company, internet, date_time), built on it: the
    same draws, where a full Faker finds and loads all 26 providers (0.06 CPU s a run)."""
    return Generator().seed_instance(seed)


def _image_faker(seed: int, index: int) -> BaseProvider:
    """Image `index`'s own Faker, seeded from (seed, index). An image draws only numbers,
    so it holds only Faker's base provider: a full en_US Faker loads every provider, too
    much to build once per image."""
    return BaseProvider(Generator().seed_instance(image_seed(seed, index, Stream.ANNOTATION)))


@functools.lru_cache(maxsize=64)
def job_names(seed: int) -> tuple[str, str]:
    """The classification and segmentation labeling jobs of a run."""
    fake = _faker(seed)
    project = internet.Provider(fake).slug(company.Provider(fake).catch_phrase())
    return f"labeling-job/{project}-classification", f"labeling-job/{project}-segmentation"


@functools.lru_cache(maxsize=64)
def job_start(seed: int) -> datetime:
    """When the run's labeling job started: one moment per run, inside the fixed bounds."""
    fake = date_time.Provider(_faker(image_seed(seed, 0, Stream.ANNOTATION) ^ 0x5EED))
    latest = DATES_TO - SEGMENT_AFTER * 2
    return fake.date_time_between(DATES_FROM, latest, tzinfo=UTC)


_mix_of = functools.lru_cache(maxsize=64)(mix_of)


def styles_of(preset: Preset) -> tuple[Style, ...]:
    """The preset's style, or the styles of its mix (synth.config.styles.mix_of)."""
    return _mix_of(preset.style)


def style_of(preset: Preset, seed: int, index: int) -> Style:
    """The style that writes image `index`'s line: the preset's, or one of its mix, drawn
    from (seed, index) alone, so any worker or shard writes the same."""
    styles = styles_of(preset)
    if len(styles) == 1:
        return styles[0]
    return styles[image_seed(seed, index, Stream.STYLE) % len(styles)]


def has_mask(preset: Preset, spec: ImageSpec, seed: int) -> bool:
    """Whether the image's line carries a mask: segmentation, and normal lines by style."""
    return preset.task == "segmentation" and (
        spec.anomalous or style_of(preset, seed, spec.index).normal_masks
    )


def style_jobs(preset: Preset, jobs: tuple[str, str], style: Style) -> tuple[str, str]:
    """The run's classification and segmentation jobs as the style names them."""
    if style.job_per_attribute:
        mask = preset.mask_attribute.removesuffix("-ref")  # Ground Truth drops the -ref
        return f"labeling-job/{preset.label_attribute}", f"labeling-job/{mask}"
    return jobs


def mask_job(preset: Preset, jobs: tuple[str, str]) -> str | None:
    """The job whose output folder holds the masks, when a style of the preset keys them so
    (the lines of other styles in a mix keep theirs under masks/)."""
    keyed = [s for s in styles_of(preset) if s.job_output_keys]
    if not keyed:
        return None
    return style_jobs(preset, jobs, keyed[0])[1].removeprefix("labeling-job/")


def mask_created(preset: Preset, seed: int, index: int) -> datetime:
    """When image `index`'s mask file was written: the moment in its key. Ground Truth's
    consolidation writes the file a few seconds after the mask's creation-date."""
    style = style_of(preset, seed, index)
    made = _moments(style, seed, index, _image_faker(seed, index))[1]
    return made + timedelta(seconds=7, microseconds=index % 1000) if style.job_output_keys else made


def _moments(style: Style, seed: int, index: int, fake: BaseProvider) -> tuple[datetime, datetime]:
    """When the image was labeled and when its mask was made, in the run's job window:
    the first draws of the image's Faker `fake`."""
    start = job_start(seed)
    if style.one_timestamp:
        return start, start
    if style.per_row_stamp:  # rows written one after another, some microseconds apart
        written = start + timedelta(microseconds=index * 4 + fake.random_int(0, 3))
        return written, written
    labeled = start + timedelta(
        seconds=fake.random_int(0, LABEL_HOURS * 3600 - 1),
        microseconds=fake.random_int(0, 999_999),
    )
    if style.console_lines:  # the console saves the mask as the label, a second later
        return labeled, labeled + timedelta(seconds=1)
    segmented = (
        start
        + SEGMENT_AFTER
        + timedelta(seconds=fake.random_int(0, 86_399), microseconds=fake.random_int(0, 999_999))
    )
    return labeled, segmented


def color_map(
    preset: Preset, confidence: float = 0.0, style: Style | None = None
) -> dict[str, dict[str, Any]]:
    """The line's color map as `style` writes it (the preset's first style by default)."""
    style = style or styles_of(preset)[0]
    entries = [(c.name, c.color) for c in preset.classes]
    if style.background_entry:
        entries.insert(0, (BACKGROUND_CLASS, BACKGROUND_COLOR))
    return {str(i): _entry(style, *entry, confidence) for i, entry in enumerate(entries)}


def _entry(style: Style, name: str, color: str, confidence: float) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "class-name": name,
        "hex-color": "#" + color[1:].upper() if style.upper_hex else color,
    }
    if style.map_confidence:
        entry["confidence"] = confidence
    return entry


def record(
    preset: Preset,
    spec: ImageSpec,
    seed: int,
    *,
    image_uri: str,
    mask_uri: str | None,
    jobs: tuple[str, str],
) -> dict[str, Any]:
    """The image's line; `mask_uri` None writes a classification line (no mask)."""
    style = style_of(preset, seed, spec.index)
    fake = _image_faker(seed, spec.index)
    labeled, segmented = _moments(style, seed, spec.index, fake)  # its first draws
    label, mask = style.label_attribute or preset.label_attribute, preset.mask_attribute
    jobs = style_jobs(preset, jobs, style)
    value: int | str = int(spec.anomalous != style.inverted)
    if style.label_string:
        value = str(value)
    line: dict[str, Any] = {"source-ref": image_uri}
    label_meta = _label_metadata(style, preset, spec, seed, labeled, jobs[0], fake)
    _attribute(line, style, label, value, label_meta)
    if mask_uri is not None:
        # Ground Truth's consolidation: 0.0 from a single worker, else the workers' agreement
        confidence = 0.0
        if style.worker_confidence and fake.random_int(0, 3):
            confidence = round(fake.random_int(700, 990) / 1000, 3)
        mask_meta = {
            "internal-color-map": color_map(preset, confidence, style),
            "type": SEGMENTATION_TYPE,
            "human-annotated": "yes",
            "creation-date": _mask_date(style, segmented),
            "job-name": CONSOLE_MASK_JOB if style.console_lines else jobs[1],
        }
        if style.chained:  # the adjustment job's mask, after the verification job's verdict
            verdict, comment = _verification(fake)
            mask_meta["adjustment-status"] = "adjusted" if verdict else "unadjusted"
        _attribute(line, style, mask, mask_uri, _ordered(mask_meta, style.mask_keys))
        if style.chained:
            verified = labeled + (segmented - labeled) / 2  # between the jobs it joins
            _verification_attribute(line, style, mask, (verdict, comment), verified, fake)
    return line


# A label-verification job's labels (the index its attribute's value holds), and what its
# workers write where they reject a mask.
VERIFICATION_LABELS = ("good", "bad")
FEEDBACK = (
    "The mask misses the end of the defect.",
    "The mask spills past the defect's edge.",
    "A second defect is not labeled.",
    "The defect's class is wrong.",
)


def _verification(fake: BaseProvider) -> tuple[int, str]:
    """A verification job's verdict on the mask (1: bad, about one mask in eight) and the
    comment its workers left: the image Faker's last draws, after every other field's."""
    bad = int(fake.random_int(0, 7) == 0)
    return bad, FEEDBACK[fake.random_int(0, len(FEEDBACK) - 1)]


def _verification_attribute(
    line: dict[str, Any],
    style: Style,
    mask: str,
    verdict: tuple[int, str],
    verified: datetime,
    fake: BaseProvider,
) -> None:
    """The verification job's attribute on the mask, as the SageMaker guide's "Label
    verification and adjustment data in the output manifest" shows it."""
    bad, comment = verdict
    base = mask.removesuffix("-ref")
    meta: dict[str, Any] = {
        "class-name": VERIFICATION_LABELS[bad],
        "confidence": round(fake.random_int(700, 990) / 1000, 2),
        "type": VERIFICATION_TYPE,
        "job-name": f"labeling-job/{base}-verification",
        "human-annotated": "yes",
        "creation-date": _date(style, verified, 1),
    }
    if bad:
        meta["worker-feedback"] = [{"comment": comment}]
    _attribute(line, style, f"{base}-verification", str(bad), meta)


# What the console names its jobs (the cookie dataset): the mask tool's, the auto-labeler's.
CONSOLE_MASK_JOB = "labeling-job/object-mask-ref"
AUTO_LABEL_JOB = "labeling-job/auto-label"


def _label_metadata(
    style: Style,
    preset: Preset,
    spec: ImageSpec,
    seed: int,
    labeled: datetime,
    job: str,
    fake: BaseProvider,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "class-name": spec.class_name,
        "creation-date": _date(style, labeled, 0),
        "human-annotated": "yes",
        "job-name": style.label_job or job,
        "type": CLASSIFICATION_TYPE,
    }
    if style.console_lines:
        meta["job-name"] = preset.label_attribute  # the console's hand labels
        if not spec.anomalous:  # imported from a "normal" folder: labeled at import
            meta["confidence"] = 1
            meta["job-name"] = AUTO_LABEL_JOB
            imported = job_start(seed)
            meta["creation-date"] = _date(style, imported, 0).removesuffix(style.date_suffix)
    elif style.worker_confidence:  # Ground Truth: the workers' agreement, or auto-labeling
        meta["confidence"] = round(fake.random_int(800, 990) / 1000, 2)
        if not fake.random_int(0, 7):
            meta["human-annotated"] = "no"
    elif style.label_confidence:
        meta["confidence"] = 1
    return _ordered(meta, style.label_keys)


def _ordered(meta: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """`meta`'s keys in a producer's order (each key of `meta` is one of `keys`)."""
    return {key: meta[key] for key in keys if key in meta}


def _attribute(
    line: dict[str, Any], style: Style, name: str, value: object, meta: dict[str, Any]
) -> None:
    if style.order == "metadata-first":
        line[f"{name}-metadata"] = meta
        line[name] = value
    else:
        line[name] = value
        line[f"{name}-metadata"] = meta


def _date(style: Style, moment: datetime, which: int) -> str:
    """UTC without an offset, as Ground Truth writes it (2021-10-12T14:16:45.668), or the
    writer's local clock for a style that stamps with datetime.now() (no offset either)."""
    spec = "milliseconds" if style.date_digits[which] == 3 else "microseconds"
    naive = _pacific(moment)[0] if style.local_time else moment.astimezone(UTC).replace(tzinfo=None)
    return naive.isoformat(timespec=spec) + style.date_suffix


def _pacific(moment: datetime) -> tuple[datetime, bool]:
    """US Pacific wall-clock time of `moment`, and whether it is daylight time."""
    standard = moment.astimezone(UTC) - timedelta(hours=8)
    year = standard.year
    march = datetime(year, 3, 8) + timedelta(days=(6 - datetime(year, 3, 8).weekday()) % 7)
    november = datetime(year, 11, 1) + timedelta(days=(6 - datetime(year, 11, 1).weekday()) % 7)
    naive = standard.replace(tzinfo=None)
    summer = march + timedelta(hours=2) <= naive < november + timedelta(hours=1)
    return (naive + timedelta(hours=1) if summer else naive), summer


# The console's annotators' browser: mask dates are JavaScript Date strings in its zone,
# US Pacific (the cookie dataset's), by the US rule since 2007: daylight time from 2 a.m.
# on March's second Sunday to 2 a.m. on November's first (no tz database needed).
def _mask_date(style: Style, moment: datetime) -> str:
    if not style.console_lines:
        return _date(style, moment, 1)
    local, summer = _pacific(moment)
    zone = "GMT-0700 (Pacific Daylight Time)" if summer else "GMT-0800 (Pacific Standard Time)"
    return local.strftime("%a %b %d %Y %H:%M:%S ") + zone
