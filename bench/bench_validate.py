"""Validation throughput against the JSON parsers' own: lines only, and with the objects.

Each figure is the CPU time (user + sys, getrusage) of a child process, so it holds on a
shared machine: `synth validate` on a manifest of preset mixed, beside a child that only
parses the same lines with `json.loads` and one with `orjson.loads` (the floors: what
reading the lines costs before any rule is checked), run in turn `--runs` times; the
table gives medians and ranges, and the load average when each was taken. `--objects`
validates a generated dataset, every image and mask read to its last byte, beside its
floors: children that only read every PNG's IDAT bytes and inflate them, with
libdeflate (what the check uses) and with zlib, also less their own start-up; a copy
with one image cut short is validated too, to show the check still catches it.

Writes bench/results/validate.md, which `make docs` shows in docs/bench.md.

Run: .venv/bin/python bench/bench_validate.py [--lines 200000] [--images 400] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from docs_block import write_block

from synth.annotate.manifest import dumps
from synth.annotate.records import job_names, record
from synth.config.preset import load_preset
from synth.plan import image_spec
from synth.run.generate import generate

SYNTH = [sys.executable, "-m", "synth"]
# The floors: the lines read as `synth validate` reads them (binary, line by line), parsed.
_FLOOR = "import sys, {module}\nfor line in open(sys.argv[1], 'rb'):\n    {module}.loads(line)\n"
# What the command prints once, so the children's start-up can be told apart.
_START = "import synth.validate, synth.cli"
# The floors of --objects: every PNG's IDAT bytes read and inflated, nothing else checked.
_INFLATE = """import pathlib, struct, sys, {module}
for path in pathlib.Path(sys.argv[1]).rglob("*.png"):
    data, at, parts = path.read_bytes(), 8, []
    while at < len(data):
        length, kind = struct.unpack_from(">I4s", data, at)
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack_from(">IIBB", data, at + 8)
        elif kind == b"IDAT":
            parts.append(data[at + 8 : at + 8 + length])
        at += 12 + length
    row = (width * {{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}}[color] * depth + 7) // 8 + 1
    {call}
"""
_FLOORS = {
    "libdeflate": _INFLATE.format(
        module="deflate", call='deflate.zlib_decompress(b"".join(parts), row * height)'
    ),
    "zlib": _INFLATE.format(module="zlib", call='zlib.decompress(b"".join(parts))'),
}


def _cpu(command: list[str]) -> tuple[float, str]:
    """The CPU seconds (user + sys) of running `command` to its end, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # 1: the manifest has errors (the broken copy)
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return used, done.stdout


def _manifest(path: Path, lines: int) -> None:
    """`lines` lines of preset mixed, as synth writes them (its manifests' form)."""
    preset, jobs = load_preset("mixed"), job_names(0)
    with path.open("w") as out:
        for i in range(lines):
            uris = {
                "image_uri": f"s3://bench/images/{i:06d}.png",
                "mask_uri": f"s3://bench/masks/{i:06d}.png",
            }
            out.write(dumps(record(preset, image_spec(preset, 0, i), 0, jobs=jobs, **uris)) + "\n")


def _rounds(runs: int, commands: dict[str, list[str]]) -> dict[str, list[tuple[float, float]]]:
    """Each command `runs` times, in turn: (CPU seconds, load average) per run."""
    taken: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            taken[name].append((_cpu(command)[0], os.getloadavg()[0]))
    return taken


def _summary(runs: list[tuple[float, float]]) -> tuple[float, float, float, str]:
    cpu = [c for c, _ in runs]
    loads = [load for _, load in runs]
    return (
        statistics.median(cpu),
        min(cpu),
        max(cpu),
        f"{min(loads):.1f}-{max(loads):.1f}",
    )


def lines_only(lines: int, runs: int, folder: Path) -> list[str]:
    manifest = folder / "train.manifest"
    _manifest(manifest, lines)
    found = _cpu([*SYNTH, "validate", str(manifest)])[1].splitlines()
    # Every line valid; only the project is too large for the service (8,000 images).
    assert [f.split(": ")[2] for f in found] == ["dataset.max-images"], found[:20]
    taken = _rounds(
        runs,
        {
            "start": [sys.executable, "-c", _START],
            "validate": [*SYNTH, "validate", str(manifest)],
            "json": [sys.executable, "-c", _FLOOR.format(module="json"), str(manifest)],
            "orjson": [sys.executable, "-c", _FLOOR.format(module="orjson"), str(manifest)],
        },
    )
    start = statistics.median(c for c, _ in taken["start"])
    rows = []
    median_validate = _summary(taken["validate"])[0]
    for name, said in (
        ("validate", f"`synth validate`, lines only: {lines:,} lines of preset mixed"),
        ("json", "floor: `json.loads` alone, the same lines"),
        ("orjson", "floor: `orjson.loads` alone, the same lines"),
    ):
        median, low, high, load = _summary(taken[name])
        ratio = "" if name == "validate" else f"{median_validate / median:.2f}"
        rows.append(
            f"| {said} | {median:.2f} ({low:.2f}-{high:.2f}) | {lines / median:,.0f} "
            f"| {ratio} | {load} |"
        )
    rows.append(
        f"| `synth validate`, lines only, less its start-up ({start:.2f} CPU s: Python, "
        f"synth.cli, synth.validate) | {median_validate - start:.2f} "
        f"| {lines / (median_validate - start):,.0f} | | |"
    )
    floors = {name: statistics.median(c for c, _ in taken[name]) for name in ("json", "orjson")}
    rows.append(
        f"\nLines only, the whole command: {lines / median_validate:,.0f} lines/s by CPU, "
        f"{floors['json'] / median_validate:.2f}x the speed of `json.loads` alone on the same "
        f"lines ({floors['orjson'] / median_validate:.2f}x `orjson.loads`')."
    )
    return rows


def with_objects(images: int, size: int, runs: int, folder: Path) -> list[str]:
    out = folder / "dataset"
    generate("mixed", out=str(out), count=images, width=size, height=size, overwrite=True)
    # The project: its training manifest first, then its test manifest.
    manifests = [str(out / f"{split}.manifest") for split in ("train", "test")]
    command = [*SYNTH, "validate", "--objects", *manifests]
    found = _cpu(command)[1]
    assert ": error: " not in found, f"the bench dataset should be valid:\n{found[:2000]}"
    lines_command = [*SYNTH, "validate", *manifests]
    floors = {name: [sys.executable, "-c", script, str(out)] for name, script in _FLOORS.items()}
    bare = [sys.executable, "-c", "import deflate, zlib"]  # the floors' own start-up
    taken = _rounds(runs, {"objects": command, "lines": lines_command, "bare": bare, **floors})
    median, low, high, load = _summary(taken["objects"])
    lines_median = statistics.median(c for c, _ in taken["lines"])
    per_image = median - lines_median
    bare_median = statistics.median(c for c, _ in taken["bare"])
    rows = [
        f"| `synth validate --objects`: {images} images and masks of {size}x{size} (preset "
        f"mixed), each read to its last byte | {median:.2f} ({low:.2f}-{high:.2f}) "
        f"| {images / median:,.0f} images/s | | {load} |",
        f"| the same, less the command without --objects ({lines_median:.2f} CPU s: start-up "
        f"and lines) | {per_image:.2f} | {images / per_image:,.0f} images/s | | |",
    ]
    for name, said in (
        ("libdeflate", "libdeflate's `zlib_decompress`"),
        ("zlib", "`zlib.decompress`"),
    ):
        floor, low, high, load = _summary(taken[name])
        rows.append(
            f"| floor: the same images' and masks' IDAT bytes read and inflated by {said} "
            f"alone | {floor:.2f} ({low:.2f}-{high:.2f}) | {images / floor:,.0f} images/s "
            f"| {median / floor:.2f} ({per_image / floor:.2f} less the lines) | {load} |"
        )
        rows.append(
            f"| the same, less the floor's start-up ({bare_median:.2f} CPU s: Python, "
            f"{name}) | {floor - bare_median:.2f} | {images / (floor - bare_median):,.0f} "
            f"images/s | {per_image / (floor - bare_median):.2f} (both less start-up) | |"
        )
    return rows + _truncated(out, manifests)


def _truncated(out: Path, manifests: list[str]) -> list[str]:
    """A copy of the dataset with one image cut in half: the check must name it."""
    image = next((out / "images").rglob("*.png"), None) or next(out.rglob("*.png"))
    data = image.read_bytes()
    saved = image.with_suffix(".whole")
    shutil.copyfile(image, saved)
    try:
        image.write_bytes(data[: len(data) // 2])
        _, printed = _cpu([*SYNTH, "validate", "--objects", *manifests])
    finally:
        saved.replace(image)
    caught = [line for line in printed.splitlines() if "image.format" in line]
    assert caught, f"a truncated image went unseen:\n{printed[:2000]}"
    return [f"\nWith one image cut in half: `{caught[0].split(': ', 1)[1]}`"]


def _machine() -> str:
    return (
        f"Measured by `make bench` ({Path(__file__).name}) on {os.uname().machine}, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}: CPU seconds (user + sys) "
        "of each child process, the median of the runs and their range, the commands run "
        "in turn; the load average (1 min) over the runs beside them (the machine is shared)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--images", type=int, default=400)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-docs", action="store_true", help="print only")
    args = parser.parse_args()
    header = [
        "| run | CPU s, median (range) | rate (CPU) | `synth validate`'s CPU / this | load |",
        "|---|---|---|---|---|",
    ]
    steps: list[Callable[[Path], list[str]]] = [
        lambda folder: lines_only(args.lines, args.runs, folder),
        lambda folder: with_objects(args.images, args.size, args.runs, folder),
    ]
    rows: list[str] = []
    for step in steps:
        with tempfile.TemporaryDirectory() as folder:
            rows += step(Path(folder))
    table = [row for row in rows if row.startswith("|")]
    notes = [row for row in rows if not row.startswith("|")]
    text = "\n".join([_machine(), "", *header, *table, *notes])
    print(text)
    print(json.dumps({"load": os.getloadavg()}))
    if not args.no_docs:
        write_block("validate", text)


if __name__ == "__main__":
    main()
