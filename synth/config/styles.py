"""Output styles: how real producers of Lookout for Vision manifests write the same facts.

Each style is valid under one validator profile, and each says where its shape comes
from (docs/real-data.md, which producer writes which). The facts (which image, which label,
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


@dataclass(frozen=True, slots=True)
class Style:
    name: str
    profile: str  # the validator profile the style is valid under
    source: str  # where the shape comes from
    order: Order = "label-first"  # K then K-metadata, or K-metadata then K
    label_string: bool = False  # label values "1"/"0" rather than 1/0
    date_digits: tuple[int, int] = (3, 6)  # fractional digits of label and mask dates
    date_suffix: str = ""  # "Z" for the console's dates
    one_timestamp: bool = False  # one creation-date for the whole file
    job_per_attribute: bool = False  # job-name is labeling-job/<attribute name>
    worker_confidence: bool = False  # per-image confidences, as consolidation writes them
    background_entry: bool = True  # the color map has BACKGROUND as entry "0"
    map_confidence: bool = True  # color-map entries carry `confidence`
    label_confidence: bool = True  # the label metadata carries `confidence` 1
    normal_masks: bool = True  # normal lines carry an all-background mask
    job_output_keys: bool = False  # masks where the segmentation job writes them, not masks/
    separators: tuple[str, str] = (",", ":")

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
            "field present (synth's default).",
        ),
        Style(
            "ground-truth",
            "docs",
            'SageMaker Ground Truth, "Labeling job output data": a classification job '
            "chained with a semantic-segmentation job; job-name labeling-job/<attribute>, "
            "6-digit fractional dates, per-image confidences, map entries in the order "
            "class-name, confidence, hex-color, masks at <job>/annotations/"
            "consolidated-annotation/output/<n>_<timestamp>.png.",
            date_digits=(6, 6),
            job_per_attribute=True,
            worker_confidence=True,
            job_output_keys=True,
        ),
        Style(
            "console",
            "service",
            "The Lookout for Vision console's datasets and AWS's getting-started cookie "
            "dataset: metadata before each attribute, no mask on normal lines, dates "
            "ending in Z, color maps without BACKGROUND or confidence.",
            order="metadata-first",
            date_suffix="Z",
            background_entry=False,
            map_confidence=False,
            label_confidence=False,
            normal_masks=False,
        ),
        Style(
            "sdk-tools",
            "docs",
            "AWS's Python tools (csv_to_manifest.py, the lookoutvision SDK's Manifest): "
            "json.dumps' default separators, label values as strings, one timestamp for "
            "the whole file.",
            label_string=True,
            date_digits=(6, 6),
            one_timestamp=True,
            job_per_attribute=True,
            separators=(", ", ": "),
        ),
    )
}
DEFAULT_STYLE = "synth"
