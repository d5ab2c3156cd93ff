"""Merging shards: the partial manifests of `synth generate --shard I/N` joined into final ones.

Shards are contiguous runs of image indices, so the merged manifests are the parts
concatenated in shard order: byte-identical to a one-machine run. Like a run, the
merge publishes the manifests last, then removes the parts.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from synth.annotate.manifest import CONTENT_TYPE, ManifestSpool
from synth.config.preset import from_dict
from synth.errors import OutputError
from synth.format import is_s3
from synth.output.sinks import Sink, open_sink
from synth.run.generate import Dataset, Layout, Shard, describe

_PART = re.compile(r"(.+)\.part-(\d{5})-of-(\d{5})")
_SUMMARY = re.compile(r"part-(\d{5})-of-(\d{5})\.json")


def merge(out: str | Path, *, endpoint_url: str | None = None) -> Dataset:
    """Join every shard's parts under OUT/shards/ into OUT's manifests and dataset.json."""
    target = open_sink(out, "merge", endpoint_url=endpoint_url)
    try:
        return _merge(target)
    finally:
        target.close()


def _merge(target: Sink) -> Dataset:
    shards_prefix = f"{target.prefix}shards/"
    keys = sorted(target.keys(shards_prefix))
    parts: dict[str, dict[int, str]] = defaultdict(dict)
    summaries: dict[int, dict[str, Any]] = {}
    counts: set[int] = set()
    for key in keys:
        name = key.removeprefix(shards_prefix)
        if summary := _SUMMARY.fullmatch(name):
            summaries[int(summary[1])] = json.loads(target.read(key))
            counts.add(int(summary[2]))
        elif part := _PART.fullmatch(name):
            parts[part[1]][int(part[2])] = key
            counts.add(int(part[3]))
    if not summaries:
        raise OutputError(f"{target.location}: no shards to merge under {shards_prefix}")
    if len(counts) != 1:
        raise OutputError(f"{target.location}: shards of different counts: {sorted(counts)}")
    (count,) = counts
    missing = sorted(set(range(count)) - set(summaries))
    if missing:
        raise OutputError(
            f"{target.location}: shards {', '.join(map(str, missing))} of {count} have not finished"
        )
    first = summaries[0]
    if any(
        (s["preset"], s["seed"]) != (first["preset"], first["seed"]) for s in summaries.values()
    ):
        raise OutputError(
            f"{target.location}: the shards were made with different presets or seeds"
        )
    preset = from_dict(
        {k: v for k, v in first["preset"].items() if k != "name"}, name=first["preset"]["name"]
    )
    layout = Layout(target.prefix, "jpg" if preset.image_format == "jpeg" else "png")
    totals: dict[str, dict[str, int]] = {}
    for split in preset.splits:
        for summary in summaries.values():
            for kind, n in summary["counts"].get(split, {}).items():
                totals.setdefault(split, {"normal": 0, "anomaly": 0})[kind] += n
    offsets: dict[tuple[str, int], int] = {}
    with ManifestSpool() as spool:
        for base in sorted(b for b in parts if b != _expected(layout)):
            key = f"{target.prefix}{base}"
            for index in range(count):
                offsets[key, index] = spool.counts.get(key, 0)
                for line in _lines(target, parts[base].get(index)):
                    spool.append(key, line)
        expected = _expected(layout)
        for index in range(count):
            for line in _lines(target, parts.get(expected, {}).get(index)):
                entry = json.loads(line)
                entry["line"] += offsets[entry["manifest"], index]
                spool.append(layout.expected, json.dumps(entry))
        bucket = target.bucket if is_s3(target.location) else preset.bucket
        target.put(
            layout.dataset_file,
            describe(preset, first["seed"], totals, layout, bucket),
            "application/json",
        )
        target.flush()
        for key, path in spool.finish().items():
            target.publish(key, path, CONTENT_TYPE)
    for key in keys:
        target.delete(key)
    return Dataset(
        location=target.location,
        bucket=bucket,
        layout=layout,
        count=preset.count,
        counts=totals,
        read=target.read,
    )


def _expected(layout: Layout) -> str:
    return layout.expected.removeprefix(layout.prefix)


def _lines(target: Sink, key: str | None) -> list[str]:
    if key is None:
        return []
    text = target.read(key).decode("utf-8", "surrogateescape")
    return text.split("\n")[:-1]


__all__ = ["Shard", "merge"]
