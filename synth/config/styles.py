"""Output styles: how real producers of Lookout for Vision manifests write the same facts.

Each style is valid under one validator profile, and each says where its shape comes
from (tests/data/real/SOURCES.md lists the real files; tests/test_style_signatures.py
holds each style to its producer's lines, key for key). The facts (which image, which label,
which mask) never change with the style; only key order, value types, dates, job
names, confidences, separators and which lines carry a mask do.

The table is configuration, so it sits with the preset that names a style:
synth/annotate/records.py reads the chosen one when it writes a line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from synth.errors import ArgumentError

Order = Literal["label-first", "metadata-first"]

# The classification metadata's keys as the segmentation page's example lists them, and
# as every real producer writes them: the console, Ground Truth, csv_to_manifest.py,
# datasets.py and the Lookout for Vision SDK alike (tests/data/real/SOURCES.md).
PAGE_LABEL_KEYS = (
    "class-name",
    "creation-date",
    "human-annotated",
    "job-name",
    "type",
    "confidence",
)
PRODUCER_LABEL_KEYS = (
    "confidence",
    "job-name",
    "class-name",
    "human-annotated",
    "creation-date",
    "type",
)
# The mask metadata's keys: the page's and Ground Truth's order, and the console's.
PAGE_MASK_KEYS = ("internal-color-map", "type", "human-annotated", "creation-date", "job-name")
ADJUSTED_MASK_KEYS = (*PAGE_MASK_KEYS, "adjustment-status")
CONSOLE_MASK_KEYS = ("internal-color-map", "job-name", "human-annotated", "creation-date", "type")


@dataclass(frozen=True, slots=True)
class Style:
    name: str
    profile: str  # the validator profile the style is valid under
    source: str  # where the shape comes from
    order: Order = "label-first"  # K then K-metadata, or K-metadata then K
    label_keys: tuple[str, ...] = PAGE_LABEL_KEYS  # those present, in this order
    mask_keys: tuple[str, ...] = PAGE_MASK_KEYS
    label_string: bool = False  # label values "1"/"0" rather than 1/0
    date_digits: tuple[int, int] = (3, 6)  # fractional digits of label and mask dates
    date_suffix: str = ""  # "Z" for the console's label dates
    one_timestamp: bool = False  # one creation-date for the whole file
    job_per_attribute: bool = False  # job-name is labeling-job/<attribute name>
    worker_confidence: bool = False  # per-image confidences, as consolidation writes them
    background_entry: bool = True  # the color map has BACKGROUND as entry "0"
    map_confidence: bool = True  # color-map entries carry `confidence`
    label_confidence: bool = True  # the label metadata carries `confidence` 1
    normal_masks: bool = True  # normal lines carry an all-background mask
    job_output_keys: bool = False  # masks where the segmentation job writes them, not masks/
    separators: tuple[str, str] = (",", ":")
    upper_hex: bool = False  # hex-color as #23A436, the console's case
    console_lines: bool = False  # the console's job names, JavaScript mask dates, auto-labels
    mask_form: str = "palette"  # synth/annotate/masks.py: "palette" or "console"
    per_row_stamp: bool = False  # each line stamped as it is written (csv_to_manifest.py)
    label_job: str | None = None  # one classification job-name for every line, when set
    label_attribute: str | None = None  # the producer's own label attribute, when it fixes one
    inverted: bool = False  # label value 1 for normal, 0 for anomaly (the SDK's Manifest)
    local_time: bool = False  # dates on the writer's clock (US Pacific here), not UTC
    segmentation: bool = True  # the producer writes segmentation lines (AWS's tools do not)
    # Ground Truth jobs chained after the segmentation: a label-verification job's
    # attribute on the line, and the mask an adjustment job's output (adjustment-status).
    chained: bool = False

    def __post_init__(self) -> None:
        if self.profile not in ("docs", "service"):
            raise ArgumentError(f"style {self.name}: unknown profile {self.profile!r}")


STYLES: dict[str, Style] = {
    style.name: style
    for style in (
        Style(
            "synth",
            "docs",
            "The Lookout for Vision segmentation page's example lines, every documented "
            "field present, in the page's key order (synth's default).",
        ),
        Style(
            "ground-truth",
            "docs",
            'SageMaker Ground Truth, "Labeling job output data": a classification job '
            "chained with a semantic-segmentation job; classification metadata in the "
            "order confidence, job-name, class-name, human-annotated, creation-date, type; "
            "job-name labeling-job/<attribute> (the mask's without its -ref); 6-digit "
            "fractional dates; per-image confidences (0.0 from one worker) and some images "
            'auto-labeled (human-annotated "no"); map entries in the order class-name, '
            "hex-color, confidence; masks at <job>/annotations/consolidated-annotation/"
            "output/<n>_<timestamp>.png, a moment after the label's creation date.",
            label_keys=PRODUCER_LABEL_KEYS,
            date_digits=(6, 6),
            job_per_attribute=True,
            worker_confidence=True,
            job_output_keys=True,
        ),
        Style(
            "ground-truth-chained",
            "docs",
            "SageMaker Ground Truth's chained jobs (\"Label verification and adjustment data "
            "in the output manifest\"): the ground-truth style's lines, then an Image Label "
            "Verification job's attribute on the mask (<mask>-verification: the string index "
            "of good or bad, type groundtruth/label-verification, worker-feedback comments "
            "where bad), the mask written by the adjustment job chained after it "
            "(adjustment-status adjusted where the verifiers said bad, else unadjusted).",
            label_keys=PRODUCER_LABEL_KEYS,
            mask_keys=ADJUSTED_MASK_KEYS,
            date_digits=(6, 6),
            job_per_attribute=True,
            worker_confidence=True,
            job_output_keys=True,
            chained=True,
        ),
        Style(
            "console",
            "service",
            "The Lookout for Vision console, as AWS's getting-started cookie dataset has "
            "it (tests/data/real): metadata before each attribute; anomaly lines labeled by "
            "hand (job-name the label attribute, no confidence, dates ending in Z) with a "
            "mask (job-name labeling-job/object-mask-ref, a JavaScript Date string, a map "
            "of the anomaly classes from entry 0, upper-case hex, no confidence); normal "
            "lines auto-labeled (confidence 1, labeling-job/auto-label, one import time) "
            "without a mask; console masks (palette, tRNS, anti-aliased alpha); json.dumps' "
            "separators.",
            order="metadata-first",
            label_keys=PRODUCER_LABEL_KEYS,
            mask_keys=CONSOLE_MASK_KEYS,
            date_suffix="Z",
            background_entry=False,
            map_confidence=False,
            label_confidence=False,
            normal_masks=False,
            separators=(", ", ": "),
            upper_hex=True,
            console_lines=True,
            mask_form="console",
        ),
        Style(
            "sdk-tools",
            "docs",
            "AWS's csv_to_manifest.py (the guide's \"Creating a classification manifest "
            "file from a CSV file\"): label values as strings, metadata in the producers' "
            "order, job-name labeling-job/anomaly-classification, each row stamped in UTC as "
            "it is written, json.dumps' separators. It writes no segmentation lines.",
            label_keys=PRODUCER_LABEL_KEYS,
            label_string=True,
            date_digits=(6, 6),
            per_row_stamp=True,
            label_job="labeling-job/anomaly-classification",
            separators=(", ", ": "),
            segmentation=False,
        ),
        Style(
            "sdk-datasets",
            "docs",
            "AWS's SDK examples' datasets.py (create_manifest_file_s3, create_json_line): "
            "integer label values, metadata in the producers' order, job-name "
            "labeling-job/anomaly-label, one stamp for the file on the writer's local "
            "clock (datetime.now(), 6 digits), json.dumps' separators. It writes no "
            "segmentation lines.",
            label_keys=PRODUCER_LABEL_KEYS,
            date_digits=(6, 6),
            one_timestamp=True,
            local_time=True,
            label_job="labeling-job/anomaly-label",
            separators=(", ", ": "),
            segmentation=False,
        ),
        Style(
            "sdk-manifest",
            "docs",
            "The Lookout for Vision Python SDK's Manifest (generate_manifests): the label "
            "attribute auto-label, its values inverted (1 for normal, 0 for anomaly: the "
            "class-name says which), job-name labeling-job/auto-label, one stamp for the "
            "run on the writer's local clock (6 digits), json.dumps' separators. It writes "
            "no segmentation lines.",
            label_keys=PRODUCER_LABEL_KEYS,
            date_digits=(6, 6),
            one_timestamp=True,
            local_time=True,
            label_job="labeling-job/auto-label",
            label_attribute="auto-label",
            inverted=True,
            separators=(", ", ": "),
            segmentation=False,
        ),
    )
}
DEFAULT_STYLE = "synth"
MIX = "+"  # "console+sdk-datasets": each line written by one of the named styles


def mix_of(value: str) -> tuple[Style, ...]:
    """The styles a preset's `style` names: one, or several joined by "+" (a mix).

    A mix is a project whose lines several producers wrote: each line is one style's,
    chosen from (seed, index) alone. Its styles must name one label attribute (a project's
    lines share it) and each at most once; an ArgumentError says what is wrong.
    """
    names = value.split(MIX)
    unknown = [n for n in names if n not in STYLES]
    if unknown:
        raise ArgumentError(
            f"unknown style {unknown[0]!r}; choose one of {', '.join(STYLES)}, or several "
            f"joined by {MIX!r}"
        )
    if len(set(names)) != len(names):
        raise ArgumentError(f"style {value!r} names a style twice")
    styles = tuple(STYLES[n] for n in names)
    own = {s.label_attribute for s in styles}
    if len(own) > 1:
        raise ArgumentError(
            f"style {value!r} mixes label attributes ({', '.join(sorted(map(str, own)))}): "
            "a project's lines share one, so mix styles that write the same"
        )
    return styles


def mix_profile(styles: tuple[Style, ...]) -> str:
    """The profile a mix's lines are valid under: service if one style's needs it."""
    return "service" if any(s.profile == "service" for s in styles) else "docs"


def styles_for(task: str) -> list[str]:
    """The styles whose producer writes lines of `task` (sorted)."""
    return sorted(n for n, s in STYLES.items() if task == "classification" or s.segmentation)
