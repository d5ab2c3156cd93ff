"""Where each object of a dataset goes: keys below the output's prefix, and shard parts.

The keys below are the `lfv` layout's and those every layout shares (dataset.json,
defects.jsonl, broken/, shards/); other layouts (synth/output/layouts/) place their
images and masks themselves.

One module decides every key, and reads them back: the run writes with it, the merge
parses shard parts with it, and `Dataset` finds objects with it.

```
PREFIX/train.manifest, test.manifest     the manifests, published last
PREFIX/images/000000.png, masks/000000.png
PREFIX/clean/images/000000.png           an anomalous image without its defects (clean twins)
PREFIX/JOB/annotations/consolidated-annotation/output/0_2021-10-12T14:16:45.668123.png
                                         a mask where Ground Truth's job JOB writes it
PREFIX/dataset.json                      how to regenerate the dataset
PREFIX/defects.jsonl                     one line per defect: class, painter, drawn
                                         parameters, box, pixel count (every layout)
PREFIX/broken/...                        the broken twins, and broken/expected.jsonl
PREFIX/broken/projects/FAULT/train.manifest, test.manifest
                                         a project fault's text-only project, and
PREFIX/broken/projects/expected.jsonl    what a validator must say of each
PREFIX/shards/KEY.part-00001-of-00004    shard 1's part of the manifest KEY
PREFIX/shards/part-00001-of-00004.json   shard 1's summary: preset, seed, counts
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

DATASET_FILE = "dataset.json"
DEFECTS_FILE = "defects.jsonl"
_SUFFIX = r"part-(\d{5,})-of-(\d{5,})"  # 5 digits, more past 99999 shards
_PART = re.compile(rf"(.+)\.{_SUFFIX}")
_SUMMARY = re.compile(rf"{_SUFFIX}\.json")


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard `index` of `count`: a contiguous run of image indices, so shards concatenate."""

    MOST: ClassVar[int] = 1_000_000  # counts past it are a typo, not a batch system's array

    index: int
    count: int

    @property
    def suffix(self) -> str:
        return f"part-{self.index:05d}-of-{self.count:05d}"

    def indices(self, images: int) -> range:
        return range(images * self.index // self.count, images * (self.index + 1) // self.count)


@dataclass(frozen=True, slots=True)
class ShardFile:
    """A file under shards/, read back from its key: a part of `of`, or (of=None) a summary."""

    shard: Shard
    of: str | None


class _Below:
    """A fixed key below a layout's prefix, read as an attribute: `layout.expected` is the
    key, `Layout.expected` the part below any prefix."""

    def __init__(self, relative: str) -> None:
        self.relative = relative

    def __get__(self, layout: Layout | None, owner: type[Layout]) -> str:
        return self.relative if layout is None else f"{layout.prefix}{self.relative}"


@dataclass(frozen=True, slots=True)
class Layout:
    """Object keys of a dataset below its prefix ("" or "some/folder/")."""

    prefix: str
    image_ext: str = "png"  # "jpg" for a JPEG preset; shard keys do not depend on it
    # The segmentation job whose output folder holds the masks, as Ground Truth writes
    # them; None: the masks/ folder.
    mask_job: str | None = None
    kind: str = "lfv"  # the output layout's name (synth.registry.LAYOUTS)

    # The keys that do not vary with an image, a split or a shard.
    expected = _Below("broken/expected.jsonl")
    projects = _Below("broken/projects/")
    projects_expected = _Below("broken/projects/expected.jsonl")
    dataset_file = _Below(DATASET_FILE)
    defects = _Below(DEFECTS_FILE)
    shards = _Below("shards/")

    @classmethod
    def of(
        cls, prefix: str, image_format: str, mask_job: str | None = None, kind: str = "lfv"
    ) -> Layout:
        return cls(prefix, "jpg" if image_format == "jpeg" else "png", mask_job, kind)

    def image(self, index: int) -> str:
        return f"{self.prefix}images/{index:06d}.{self.image_ext}"

    def mask(self, index: int, created: datetime, in_job: bool = True) -> str:
        """Image `index`'s mask; Ground Truth names it by dataset object and the moment its
        annotation was consolidated (`created`, the mask's creation-date, in UTC). With
        `in_job` False (a line of a mix whose style keeps masks/), under masks/."""
        if self.mask_job is None or not in_job:
            return f"{self.prefix}masks/{index:06d}.png"
        stamp = created.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
        output = f"{self.mask_job}/annotations/consolidated-annotation/output"
        return f"{self.prefix}{output}/{index}_{stamp}.png"

    def clean(self, image_key: str) -> str:
        """Where an anomalous image's clean twin goes: its key under clean/, outside every
        folder a reader of the layout lists, so the twin is never taken for an image."""
        return f"{self.prefix}clean/{image_key.removeprefix(self.prefix)}"

    def manifest(self, split: str) -> str:
        return f"{self.prefix}{split}.manifest"

    def broken(self, key: str) -> str:
        """Where the broken copy of an object goes: under broken/, beside its valid twin."""
        return f"{self.prefix}broken/{key.removeprefix(self.prefix)}"

    def project(self, fault: str, role: str) -> str:
        """A project fault's manifest for `role` (train, test)."""
        return f"{self.projects}{fault}/{role}.manifest"

    def project_object(self, fault: str, role: str, line: int, kind: str) -> str:
        """The object a project fault's line names (never written: the project is text)."""
        ext = "png" if kind == "mask" else self.image_ext
        return f"{self.projects}{fault}/{kind}s/{role}-{line:06d}.{ext}"

    def part(self, key: str, shard: Shard) -> str:
        """A shard's partial copy of a manifest (or of expected.jsonl)."""
        return f"{self.shards}{key.removeprefix(self.prefix)}.{shard.suffix}"

    def summary(self, shard: Shard) -> str:
        return f"{self.shards}{shard.suffix}.json"

    def shard_file(self, key: str) -> ShardFile | None:
        """What `part` or `summary` wrote at `key`, or None for any other key."""
        name = key.removeprefix(self.shards)
        if summary := _SUMMARY.fullmatch(name):
            return ShardFile(Shard(int(summary[1]), int(summary[2])), None)
        if part := _PART.fullmatch(name):
            return ShardFile(Shard(int(part[2]), int(part[3])), f"{self.prefix}{part[1]}")
        return None
