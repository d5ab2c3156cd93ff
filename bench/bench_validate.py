"""Validation throughput against the JSON parsers' own: lines only, and with the objects.

Each figure is the CPU time (user + sys, getrusage) of a child process, so it holds on a
shared machine: `synth validate` on a manifest of preset mixed, beside a child that only
parses the same lines with `json.loads` and one with `orjson.loads` (the floors: what
reading the lines costs before any rule is checked), run in turn `--runs` times; the
table gives medians and ranges, and the load average when each was taken. `--objects`
validates a generated dataset, every image and mask read to its last byte, beside its
floors: children that only read every PNG's IDAT bytes and inflate them, with
libdeflate (what the check uses) and with zlib, also less their own start-up; it runs
with `-j 1` and `-j 2` (`--workers`), by CPU (per image: all its processes) and by wall
(under the machine's load, printed beside it); a copy with one image cut short is
validated too, to show the check still catches it.

Writes bench/results/validate.md, which `make docs` shows in docs/bench.md.

Run: .venv/bin/python bench/bench_validate.py [--lines 200000] [--images 1000] [--runs 5]
[--workers 2]
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
import time
from pathlib import Path
from typing import NamedTuple

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
# What --objects imports besides: what it pays once a run, not per image.
_OBJECT_MODULES = "synth.validate.objects"
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


class Run(NamedTuple):
    """One run of a command: its CPU seconds (user + sys, its children's too), its wall
    seconds, and the load average (1 min) when it ended."""

    cpu: float
    wall: float
    load: float


def _run(command: list[str]) -> tuple[Run, str]:
    """Run `command` to its end: its figures and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # 1: the manifest has errors (the broken copy)
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(used, wall, os.getloadavg()[0]), done.stdout


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


def _rounds(runs: int, commands: dict[str, list[str]]) -> dict[str, list[Run]]:
    """Each command `runs` times, in turn (alternating, so a change of load falls on all)."""
    taken: dict[str, list[Run]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            taken[name].append(_run(command)[0])
    return taken


def _cpu(runs: list[Run]) -> float:
    return statistics.median(run.cpu for run in runs)


def _summary(runs: list[Run]) -> tuple[float, float, float, str]:
    """The median CPU seconds, their range, and the range of the load."""
    cpu = [run.cpu for run in runs]
    loads = [run.load for run in runs]
    return statistics.median(cpu), min(cpu), max(cpu), f"{min(loads):.1f}-{max(loads):.1f}"


def _wall(runs: list[Run]) -> tuple[float, float, float]:
    """The median wall seconds and their range."""
    wall = [run.wall for run in runs]
    return statistics.median(wall), min(wall), max(wall)


def _row(said: str, runs: list[Run], images: int, fixed: float, floor: float) -> str:
    """A row of the `--objects` table: `runs` of a command over `images` images, by CPU
    (per image: less its `fixed` CPU seconds, against the `floor`'s) and by wall."""
    median, low, high, load = _summary(runs)
    wall, fastest, slowest = _wall(runs)
    per_image = median - fixed
    return (
        f"| {said} | {median:.2f} ({low:.2f}-{high:.2f}) | {per_image / images * 1000:.2f} "
        f"({per_image / floor:.2f}x) | {images / median:,.0f} | {wall:.2f} "
        f"({fastest:.2f}-{slowest:.2f}) | {images / wall:,.0f} | {load} |"
    )


def lines_only(lines: int, runs: int, folder: Path) -> list[str]:
    manifest = folder / "train.manifest"
    _manifest(manifest, lines)
    found = _run([*SYNTH, "validate", str(manifest)])[1].splitlines()
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
    start = _cpu(taken["start"])
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
    floors = {name: _cpu(taken[name]) for name in ("json", "orjson")}
    rows.append(
        f"\nLines only, the whole command: {lines / median_validate:,.0f} lines/s by CPU, "
        f"{floors['json'] / median_validate:.2f}x the speed of `json.loads` alone on the same "
        f"lines ({floors['orjson'] / median_validate:.2f}x `orjson.loads`')."
    )
    return rows


def with_objects(
    images: int, size: int, runs: int, workers: int, folder: Path
) -> tuple[list[str], list[str]]:
    """`--objects` with 1 and `workers` processes, beside the floors: by CPU (per image:
    less the lines, the floors less their start-up) and by wall (the machine's load)."""
    out = folder / "dataset"
    generate(
        "mixed",
        out=str(out),
        count=images,
        width=size,
        height=size,
        workers=workers,
        overwrite=True,
    )
    # The project: its training manifest first, then its test manifest.
    manifests = [str(out / f"{split}.manifest") for split in ("train", "test")]
    command = [*SYNTH, "validate", "--objects", *manifests]
    found = _run(command)[1]
    assert ": error: " not in found, f"the bench dataset should be valid:\n{found[:2000]}"
    assert _run([*command, "-j", str(workers)])[1] == found, "the same findings for any -j"
    floors = {name: [sys.executable, "-c", script, str(out)] for name, script in _FLOORS.items()}
    taken = _rounds(
        runs,
        {
            "one": [*command, "-j", "1"],
            "many": [*command, "-j", str(workers)],
            "lines": [*SYNTH, "validate", *manifests],
            "bare": [sys.executable, "-c", "import deflate, zlib"],  # the floors' start-up
            "start": [sys.executable, "-c", _START],
            "imports": [sys.executable, "-c", f"{_START}, {_OBJECT_MODULES}"],
            **floors,
        },
    )
    lines, bare = _cpu(taken["lines"]), _cpu(taken["bare"])
    imports = max(_cpu(taken["imports"]) - _cpu(taken["start"]), 0.0)
    floor = _cpu(taken["libdeflate"]) - bare  # per image: the floor less its start-up
    said = f"{images} images and masks of {size}x{size} (preset mixed), each read to its last byte"
    rows = [
        _row(f"`synth validate --objects` `-j 1`: {said}", taken["one"], images, lines, floor),
        _row(
            f"`synth validate --objects` `-j {workers}`: the same",
            taken["many"],
            images,
            lines,
            floor,
        ),
    ]
    median, low, high, load = _summary(taken["lines"])
    wall, fastest, slowest = _wall(taken["lines"])
    rows.append(
        f"| `synth validate` without `--objects`: start-up and lines, taken from the above "
        f"per image | {median:.2f} ({low:.2f}-{high:.2f}) | | | {wall:.2f} "
        f"({fastest:.2f}-{slowest:.2f}) | | {load} |"
    )
    for name, what in (
        ("libdeflate", "libdeflate's `zlib_decompress`"),
        ("zlib", "`zlib.decompress`"),
    ):
        said = f"floor: the same IDAT bytes read and inflated by {what} alone, one process"
        rows.append(_row(said, taken[name], images, bare, floor))
    one, many = _cpu(taken["one"]) - lines, _cpu(taken["many"]) - lines
    wall_one, wall_many = _wall(taken["one"])[0], _wall(taken["many"])[0]
    wall_lines = _wall(taken["lines"])[0]
    notes = [
        f"\nPer image, by CPU: synth {one / images * 1000:.2f} ms with `-j 1`, "
        f"{many / images * 1000:.2f} ms with `-j {workers}` (all its processes), against the "
        f"libdeflate floor's {floor / images * 1000:.2f} ms: {one / floor:.2f}x and "
        f"{many / floor:.2f}x (synth less its start-up and lines, {lines:.2f} CPU s; the "
        f"floor less its start-up, {bare:.2f} CPU s). Of synth's, {imports:.2f} CPU s is "
        f"paid once, not per image: importing the object checks ({_OBJECT_MODULES}, with "
        f"Pillow and ctypes); less that too, synth is {(one - imports) / floor:.2f}x the "
        f"floor with `-j 1`, {(many - imports) / floor:.2f}x with `-j {workers}`.",
        f"\nBy wall, the whole command (start-up included): {images / wall_one:,.0f} images/s "
        f"with `-j 1`, **{images / wall_many:,.0f} images/s with `-j {workers}`** "
        f"({wall_one / wall_many:.2f}x); less the wall of the command without `--objects` "
        f"({wall_lines:.2f} s: start-up and lines, paid once, which no worker shortens): "
        f"{images / (wall_one - wall_lines):,.0f} and {images / (wall_many - wall_lines):,.0f} "
        f"images/s. At a load of {_summary(taken['many'])[3]} on {os.cpu_count()} cores: the "
        "machine is shared, so wall figures are taken under that load (another's process "
        "takes a core from ours); CPU figures hold whatever the load.",
    ]
    return rows, notes + _truncated(out, manifests)


def _truncated(out: Path, manifests: list[str]) -> list[str]:
    """A copy of the dataset with one image cut in half: the check must name it."""
    image = next((out / "images").rglob("*.png"), None) or next(out.rglob("*.png"))
    data = image.read_bytes()
    saved = image.with_suffix(".whole")
    shutil.copyfile(image, saved)
    try:
        image.write_bytes(data[: len(data) // 2])
        _, printed = _run([*SYNTH, "validate", "--objects", *manifests])
    finally:
        saved.replace(image)
    caught = [line for line in printed.splitlines() if "image.format" in line]
    assert caught, f"a truncated image went unseen:\n{printed[:2000]}"
    return [f"\nWith one image cut in half: `{caught[0].split(': ', 1)[1]}`"]


def _machine() -> str:
    return (
        f"Measured by `make bench` ({Path(__file__).name}) on {os.uname().machine}, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}: CPU seconds (user + sys) "
        "of each child process and of its own workers, the median of the runs and their "
        "range, the commands run in turn; the load average (1 min) over the runs beside "
        "them (the machine is shared: wall seconds are taken under that load)."
    )


_LINES_HEADER = [
    "| run | CPU s, median (range) | rate (CPU) | `synth validate`'s CPU / this | load |",
    "|---|---|---|---|---|",
]
_OBJECTS_HEADER = [
    "| run | CPU s, median (range) | CPU ms an image (/ floor's) | images/s by CPU "
    "| wall s, median (range) | images/s by wall | load |",
    "|---|---|---|---|---|---|---|",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="-j of the second --objects run")
    parser.add_argument("--no-docs", action="store_true", help="print only")
    args = parser.parse_args()
    print(json.dumps({"load at the start": os.getloadavg()}))
    with tempfile.TemporaryDirectory() as folder:
        lines = lines_only(args.lines, args.runs, Path(folder))
    with tempfile.TemporaryDirectory() as folder:
        objects, notes = with_objects(args.images, args.size, args.runs, args.workers, Path(folder))
    text = "\n".join(
        [
            _machine(),
            "",
            *_LINES_HEADER,
            *(row for row in lines if row.startswith("|")),
            *(row for row in lines if not row.startswith("|")),
            "",
            *_OBJECTS_HEADER,
            *objects,
            *notes,
        ]
    )
    print(text)
    print(json.dumps({"load at the end": os.getloadavg()}))
    if not args.no_docs:
        write_block("validate", text)


if __name__ == "__main__":
    main()
