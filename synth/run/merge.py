"""Merging shards: the partial manifests of `synth generate --shard I/N` joined into final ones.

Shards are contiguous runs of image indices, so the merged manifests are the parts
concatenated in shard order: byte-identical to a one-machine run. A shard writes its
summary last, naming each part's line count and SHA-256; the merge checks every part
against it before publishing anything, so a lost or truncated part stops the merge
instead of silently dropping images. Like a run, the merge publishes all manifests
or none, then removes the parts.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synth.annotate.manifest import ManifestSpool, sweep_spools
from synth.config.preset import from_dict
from synth.errors import OutputError, PresetError, SynthError, counted
from synth.faults.oracle import ClassLimit
from synth.format import S3Uri, is_s3
from synth.output import signals
from synth.output.base import Published, Sink
from synth.output.layout import DATASET_FILE, Layout, Shard
from synth.output.location import open_sink
from synth.registry import LAYOUTS
from synth.run.dataset import Dataset, describe
from synth.run.writer import RUN_FIELDS, unpublish


def merge(out: str | Path, *, endpoint_url: str | None = None) -> Dataset:
    """Join every shard's parts under OUT/shards/ into OUT's manifests and dataset.json."""
    if not is_s3(out) and not Path(out).is_dir():
        problem = "is not a folder" if Path(out).exists() else "no such folder"
        raise OutputError(f"{out}: {problem}; give the folder the shards were written to")
    sweep_spools()
    target = open_sink(out, "merge", endpoint_url=endpoint_url)
    try:
        return _merge(target, took_over=target.claim())
    finally:
        target.close()


def _merge(target: Sink, *, took_over: bool) -> Dataset:
    """`took_over`: the merge's claim took the place of one a dead run left."""
    scan = Layout(target.prefix)
    keys = sorted(target.keys(scan.shards))
    parts: dict[int, dict[str, str]] = defaultdict(dict)  # shard -> manifest key -> part key
    summaries: dict[int, dict[str, Any]] = {}
    counts: set[int] = set()
    for key in keys:
        found = scan.shard_file(key)
        if found is None:
            continue
        counts.add(found.shard.count)
        if found.of is None:
            summaries[found.shard.index] = _summary(target, key)
        else:
            parts[found.shard.index][found.of] = key
    done = _merged(target, scan, keys, summaries, took_over=took_over)
    if done is not None:
        return done
    if not summaries:
        raise OutputError(f"{target.location}: no shards to merge under {scan.shards}")
    if len(counts) != 1:
        raise OutputError(f"{target.location}: shards of different counts: {sorted(counts)}")
    (count,) = counts
    # Counted, not listed: a summary's count may be any number (a key of 10**20 shards
    # was a set of them, 21 GB before the kernel killed the merge).
    if missing := count - sum(0 <= index < count for index in summaries):
        lowest = itertools.islice((i for i in range(count) if i not in summaries), 10)
        named = ", ".join(map(str, lowest)) + (f", ... ({missing} in all)" if missing > 10 else "")
        raise OutputError(f"{target.location}: shards {named} of {count} have not finished")
    first = summaries[0]
    for index, summary in summaries.items():
        differs = [name for name in RUN_FIELDS if summary[name] != first[name]]
        if differs:
            raise OutputError(
                f"{target.location}: shard {index} differs from shard 0 in its "
                f"{' and '.join(differs)}; shards of one dataset must share them"
            )
    try:
        preset = from_dict(
            {k: v for k, v in first["preset"].items() if k != "name"}, name=first["preset"]["name"]
        )
    except (PresetError, TypeError, AttributeError, KeyError, ValueError) as exc:
        raise OutputError(f"{target.location}: shard 0's summary has a bad preset: {exc}") from None
    layout = Layout.of(target.prefix, preset.image_format, kind=preset.layout)
    totals: dict[str, dict[str, int]] = {}
    for split in preset.splits:
        for summary in summaries.values():
            for kind, n in summary["counts"].get(split, {}).items():
                totals.setdefault(split, {"normal": 0, "anomaly": 0})[kind] += n
    bucket = target.bucket if is_s3(target.location) else preset.bucket
    offsets: dict[tuple[str, int], int] = {}
    for index in range(count):
        _check_listing(target, layout, Shard(index, count), summaries[index], parts[index])
    with ManifestSpool(target.location) as spool:
        manifests = sorted({key for shard in parts.values() for key in shard} - {layout.expected})
        broken: dict[str, list[str]] = {}  # each broken manifest's lines: what the oracle reads
        for key in manifests:
            spool.touch(key)  # an empty part (defects.jsonl of normal images) stays a file
            for index in range(count):
                offsets[key, index] = spool.counts.get(key, 0)
                shard = Shard(index, count)
                for line in _lines(target, shard, summaries[index], parts[index], key):
                    spool.append(key, line)
                    if key.startswith(layout.broken("")):
                        broken.setdefault(key, []).append(line)
        limits: dict[str, ClassLimit] = {}  # the shards' rules, with the lines before theirs
        for index in range(count):
            shard = Shard(index, count)
            for number, line in enumerate(
                _lines(target, shard, summaries[index], parts[index], layout.expected), 1
            ):
                try:
                    entry = json.loads(line)
                    if "image" not in entry:  # a manifest's line, not a tree's image
                        entry["line"] += offsets[entry["manifest"], index]
                        text = broken[entry["manifest"]][entry["line"] - 1]
                except (ValueError, RecursionError, TypeError, KeyError, IndexError):
                    part = _where(target, parts[index][layout.expected])
                    raise OutputError(
                        f"{part}:{number}: not an entry of expected.jsonl (manifest, line); "
                        f"make shard {index} again"
                    ) from None
                if "image" not in entry:
                    limit = limits.setdefault(entry["manifest"], ClassLimit())
                    entry["rules"] = limit.rules(text, entry["rules"])
                spool.append(layout.expected, json.dumps(entry))
        description = describe(preset, first["seed"], totals, layout, bucket, first["options"])
        finish = LAYOUTS[layout.kind].finish
        files: list[Published] = [(k, *finish(k, p, preset)) for k, p in spool.finish().items()]
        files.append((layout.dataset_file, description, "application/json"))
        unpublish(target, layout)
        with signals.held():  # published, then the parts gone: both, or neither
            target.publish(files)
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


def _merged(
    target: Sink,
    scan: Layout,
    keys: list[str],
    summaries: Mapping[int, Mapping[str, Any]],
    *,
    took_over: bool,
) -> Dataset | None:
    """A merge killed once it had published, finished: dataset.json is written last of
    all, and no other run leaves it beside shards, so the shards' files left are removed.
    None unless dataset.json is published and names the run of every summary left (the
    parts of shards whose summary is gone are its too). With no shard file left, only
    after a dead run's claim (killed as it gave its claim up): there is nothing to do."""
    if not (keys or took_over) or DATASET_FILE not in target.entries():
        return None
    try:
        found = json.loads(target.read(scan.dataset_file, MAX_SUMMARY_BYTES + 1))
        named = found["preset"]
        preset = from_dict({k: v for k, v in named.items() if k != "name"}, name=named["name"])
        counts = {
            split: {"normal": int(each["normal"]), "anomaly": int(each["anomaly"])}
            for split, each in found["counts"].items()
        }
        if any(
            summary[name] != found[name] for summary in summaries.values() for name in RUN_FIELDS
        ):
            return None
    except (OSError, SynthError, ValueError, RecursionError, TypeError, KeyError, AttributeError):
        return None
    with signals.held():
        for key in keys:
            target.delete(key)
    note = (
        f"{target.location}: was merged by a run stopped before it removed the shards; "
        f"removed the {counted(len(keys), 'shard file')} it left"
        if keys
        else f"{target.location}: holds the dataset a stopped run published in full; "
        "no shard was left to merge"
    )
    layout = Layout.of(target.prefix, preset.image_format, kind=preset.layout)
    return Dataset(
        location=target.location,
        bucket=target.bucket if is_s3(target.location) else preset.bucket,
        layout=layout,
        count=preset.count,
        counts=counts,
        read=target.read,
        note=note,
    )


# A shard's summary names its parts and counts: a few KiB; far more is no summary.
MAX_SUMMARY_BYTES = 1 << 20


def _summary(target: Sink, key: str) -> dict[str, Any]:
    """A shard's summary, or one line saying why it is not one."""
    data = target.read(key, MAX_SUMMARY_BYTES + 1)
    if len(data) > MAX_SUMMARY_BYTES:
        raise OutputError(
            f"{_where(target, key)}: not a shard summary (over {MAX_SUMMARY_BYTES:,} bytes); "
            "make that shard again"
        )
    try:
        summary = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise OutputError(f"{_where(target, key)}: not a shard summary ({exc})") from None
    except RecursionError:  # json recurses once per nested array or object
        raise OutputError(
            f"{_where(target, key)}: not a shard summary (nested too deeply); make that shard again"
        ) from None
    shape = {"preset": dict, "seed": int, "options": dict, "counts": dict, "parts": dict}
    if not isinstance(summary, dict) or any(
        not isinstance(summary.get(name), kind) for name, kind in shape.items()
    ):
        fields = ", ".join(shape)
        raise OutputError(
            f"{_where(target, key)}: not a shard summary (an object with {fields}); "
            "make that shard again"
        )
    problem = _bad_values(summary)
    if problem:
        raise OutputError(
            f"{_where(target, key)}: not a shard summary ({problem}); make that shard again"
        )
    return summary


def _bad_values(summary: Mapping[str, Any]) -> str | None:
    """What is wrong inside a summary's fields, or None: every value merge reads."""

    def whole(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0

    if not whole(summary["seed"]):
        return "seed is not a whole number"
    if not isinstance(summary["preset"].get("name"), str):
        return "preset has no name"
    for split, counts in summary["counts"].items():
        if not (
            isinstance(counts, dict)
            and set(counts) <= {"normal", "anomaly"}
            and all(whole(n) for n in counts.values())
        ):
            return f"counts of {split!r} are not normal and anomaly image counts"
    for part, check in summary["parts"].items():
        if not (
            isinstance(check, dict)
            and whole(check.get("lines"))
            and isinstance(check.get("sha256"), str)
        ):
            return f"parts of {part!r} are not a line count and a SHA-256"
    return None


def _check_listing(
    target: Sink, layout: Layout, shard: Shard, summary: Mapping[str, Any], found: Mapping[str, str]
) -> None:
    """Every part the summary lists is there, and there is no part it does not list."""
    listed = set(summary["parts"])
    for key in sorted(listed ^ set(found)):
        where = _where(target, layout.part(key, shard))
        problem = (
            "not listed in the shard's summary"
            if key not in listed
            else "missing"
            if is_s3(where) or not os.path.lexists(where)
            else "not a regular file"  # a FIFO, a folder: a sink lists files only
        )
        raise OutputError(f"{where}: {problem}; shard {shard.index} is incomplete, make it again")


def _lines(
    target: Sink, shard: Shard, summary: Mapping[str, Any], found: Mapping[str, str], key: str
) -> list[str]:
    """A part's lines, once its line count and SHA-256 match what its summary says."""
    if key not in found:
        return []
    data = target.read(found[key])
    lines = data.decode("utf-8", "surrogateescape").split("\n")[:-1]
    check = summary["parts"][key]
    expected = (check.get("lines"), check.get("sha256")) if isinstance(check, dict) else None
    if (len(lines), hashlib.sha256(data).hexdigest()) != expected:
        raise OutputError(
            f"{_where(target, found[key])}: does not match shard {shard.index}'s summary "
            "(line count or SHA-256); the part is damaged, make that shard again"
        )
    return lines


def _where(target: Sink, key: str) -> str:
    """A key as the user finds it: a file of a local output, a URI on S3."""
    if is_s3(target.location):
        return str(S3Uri(target.bucket, key))
    return str(Path(target.location, key))
