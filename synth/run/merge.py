"""Merging shards: the partial manifests of `synth generate --shard I/N` joined into final ones.

Shards are contiguous runs of image indices, so the merged manifests are the parts
concatenated in shard order: byte-identical to a one-machine run. Like a run, the
merge publishes the manifests last, then removes the parts.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from synth.annotate.manifest import CONTENT_TYPE, ManifestSpool
from synth.config.preset import from_dict
from synth.errors import OutputError
from synth.format import is_s3
from synth.output.layout import Layout
from synth.output.sinks import Sink, open_sink
from synth.run.dataset import Dataset, describe


def merge(out: str | Path, *, endpoint_url: str | None = None) -> Dataset:
    """Join every shard's parts under OUT/shards/ into OUT's manifests and dataset.json."""
    target = open_sink(out, "merge", endpoint_url=endpoint_url)
    try:
        return _merge(target)
    finally:
        target.close()


def _merge(target: Sink) -> Dataset:
    scan = Layout(target.prefix)
    keys = sorted(target.keys(scan.shards))
    parts: dict[str, dict[int, str]] = defaultdict(dict)  # manifest key -> shard -> part key
    summaries: dict[int, dict[str, Any]] = {}
    counts: set[int] = set()
    for key in keys:
        found = scan.shard_file(key)
        if found is None:
            continue
        counts.add(found.shard.count)
        if found.of is None:
            summaries[found.shard.index] = json.loads(target.read(key))
        else:
            parts[found.of][found.shard.index] = key
    if not summaries:
        raise OutputError(f"{target.location}: no shards to merge under {scan.shards}")
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
    layout = Layout.of(target.prefix, preset.image_format)
    totals: dict[str, dict[str, int]] = {}
    for split in preset.splits:
        for summary in summaries.values():
            for kind, n in summary["counts"].get(split, {}).items():
                totals.setdefault(split, {"normal": 0, "anomaly": 0})[kind] += n
    offsets: dict[tuple[str, int], int] = {}
    with ManifestSpool() as spool:
        for key in sorted(k for k in parts if k != layout.expected):
            for index in range(count):
                offsets[key, index] = spool.counts.get(key, 0)
                for line in _lines(target, parts[key].get(index)):
                    spool.append(key, line)
        for index in range(count):
            for line in _lines(target, parts.get(layout.expected, {}).get(index)):
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


def _lines(target: Sink, key: str | None) -> list[str]:
    if key is None:
        return []
    text = target.read(key).decode("utf-8", "surrogateescape")
    return text.split("\n")[:-1]
