"""A written dataset, as the run or the merge hands it back, and its dataset.json."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from synth import __version__
from synth.config.preset import Preset
from synth.format import S3Uri, is_s3
from synth.output.layout import Layout
from synth.registry import LAYOUTS

Counts = Mapping[str, Mapping[str, int]]  # split -> {"normal": n, "anomaly": n}
# Every distribution whose release can change the bytes written: the pixels (numpy; scipy's
# spline zoom and distance transforms; scikit-image's sample photographs), the PNGs' deflate
# (libdeflate, as the `deflate` package ships it), what Pillow encodes (masks, fault
# objects; with the zlib and libjpeg it was built with, below) and the annotations (Faker).
_LIBRARIES = ("numpy", "scipy", "scikit-image", "pillow", "deflate", "faker")
_PILLOW_CODECS = {"zlib": "pillow-zlib", "jpg": "pillow-libjpeg"}


@dataclass(frozen=True)
class Dataset:
    """A written dataset: where it is and what it holds."""

    location: str
    bucket: str
    layout: Layout
    count: int
    counts: Counts
    read: Callable[[str], bytes] = field(repr=False, compare=False)
    # Unmet training minimums (empty: the project can train); None when not judged (shards).
    shortfalls: tuple[str, ...] | None = None
    # What the user should know of how the command ended besides the dataset (a merge
    # finishing what a killed one began), one line.
    note: str | None = None

    @property
    def splits(self) -> tuple[str, ...]:
        return tuple(self.counts)

    def uri(self, key: str) -> str:
        return str(S3Uri(self.bucket, key))

    def manifest_key(self, split: str = "train") -> str:
        return self.layout.manifest(split)

    def manifest_uri(self, split: str = "train") -> str:
        return self.uri(self.manifest_key(split))

    def manifest_location(self, split: str = "train") -> str:
        """The manifest's file (local dataset) or URI (S3), to hand to the code under test."""
        return self.locate(self.manifest_key(split))

    def locate(self, key: str) -> str:
        """Where a user finds an object: its file in a local dataset, its URI in S3."""
        if is_s3(self.location):
            return self.uri(key)
        return str(Path(self.location, key))

    def object_keys(self) -> Iterator[str]:
        """Every image and mask key the manifests name, in line order (train first)."""
        for split in self.splits:
            for line in self.records(split):
                for name, value in line.items():
                    if name.endswith("-ref"):  # source-ref and the mask attribute
                        yield S3Uri.parse(value).key

    def lines(self, split: str = "train") -> list[str]:
        # Split on newlines only: JSON strings may hold U+2028, which splitlines() breaks at.
        return self.read(self.manifest_key(split)).decode("utf-8").split("\n")[:-1]

    def records(self, split: str = "train") -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines(split)]

    def broken_manifest_key(self, split: str = "train") -> str:
        return self.layout.broken(self.manifest_key(split))

    def expected(self) -> list[dict[str, Any]]:
        """Each line of the broken manifests: its fault, and the rules a validator must report."""
        return [json.loads(line) for line in self.read(self.layout.expected).splitlines()]

    def projects(self) -> list[dict[str, Any]]:
        """Each project fault's project (`project`: its manifests, train first) and the
        finding a validator must give (`manifest`, `line`, `rules`, `warnings`)."""
        return [json.loads(line) for line in self.read(self.layout.projects_expected).splitlines()]


def describe(
    preset: Preset,
    seed: int,
    counts: Counts,
    layout: Layout,
    bucket: str,
    options: Mapping[str, object],
) -> bytes:
    """dataset.json: enough to regenerate the dataset and to know what it holds.

    `options` are the run's options besides the preset that change bytes
    (`RunConfig.byte_options`), so the file names every input of the output.
    """
    description = {
        "generator": {"name": "synth", "version": __version__},
        "libraries": _libraries(),
        "preset": {"name": preset.name, **preset.to_dict()},
        "seed": seed,
        "options": dict(options),
        "count": preset.count,
        "counts": counts,
    }
    if LAYOUTS[layout.kind].manifests:
        description["manifests"] = {
            split: str(S3Uri(bucket, layout.manifest(split))) for split in counts
        }
    return (json.dumps(description, indent=2) + "\n").encode()


def _libraries() -> dict[str, str]:
    """The version of each library that decides output bytes, for dataset.json."""
    from PIL import features

    versions = {name: metadata.version(name) for name in _LIBRARIES}
    for codec, name in _PILLOW_CODECS.items():
        versions[name] = features.version_codec(codec) or "absent"
    return versions
