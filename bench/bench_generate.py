"""Generation against the strongest floor it knows, bytes, memory, scaling and the largest images.

Floors: encoding and writing the same rendered images and masks (rendering untimed) with
Pillow at levels 1, 3 and 6, with libdeflate under PNG's Sub filter at levels 1 and 2 (level
2 is the floor issue 26 names), and with synth's own encoder (libdeflate, the filter chosen
per image) at level 1 and its default. The strongest floor is the fastest of them whose
files are no larger than Pillow level 6's; every run is also compared with libdeflate level
2 under the Sub filter, again after every pair of runs, so that the 1-worker run's ratio
to it is a median over pairs taken as the load drifts. `synth generate` runs in
a fresh process per run (worker start-up included). With one worker, images are made in
that process and its CPU time (getrusage) gives ratios that hold on a shared machine; with
two, that run is judged by wall time (its ratio is to the floor split two ways), and the
CPU time of the run and its workers (forked from it, so its children) says what two idle
cores would make of it. Wall times are printed for every run. One run of each varies by
several percent on a 2-core machine, so the 1- and 2-worker runs alternate `--pairs` times
and every figure is the median, the scaling with its range over the pairs. `--large` adds the
peak RSS of one 4096x4096 image per texture and per painter and two 4-image runs at
4096x4096. Every peak RSS is a run's own, measured by a clean launcher (bench/launch.py):
a child forked from this script would report this script's peak instead. A last line
splits the 1-worker run's CPU into rendering, encoding and the rest, from the same steps
taken one by one in a fresh process, with the start-up the run's figure leaves out.
The figures go to bench/results/generate.md, which `make docs` shows in docs/bench.md.

Run: .venv/bin/python bench/bench_generate.py [--count 200] [--size 512] [--pairs 5]
     [--memory 200,20000] [--large] [--no-docs]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from docs_block import write_block
from launch import measured
from PIL import Image

from synth.config.preset import DEFAULT_TEXTURES, load_preset, palette
from synth.imaging import encode
from synth.imaging.defects import PAINTERS
from synth.imaging.encode import DEFAULT_COMPRESS_LEVEL, encode_image, encode_mask
from synth.imaging.render import Rendered, render
from synth.plan import image_spec

PRESET = "mixed"
LARGE_TEXTURES = ("painted", "pcb", "brick")  # ones whose 4096 px PNGs fit in 8 MB

# One run of `synth generate` in a fresh process: seconds, CPU, peak RSS and bytes written.
_RUN = """
import dataclasses, json, resource, sys, tempfile, time
from pathlib import Path
from synth.config.preset import load_preset
from synth.run.executor import start_method
from synth.run.generate import generate
count, size, workers = (int(a) for a in sys.argv[1:4])
preset = load_preset(sys.argv[4])
if sys.argv[5:]:
    preset = dataclasses.replace(preset, textures=tuple(sys.argv[5].split(",")))
with tempfile.TemporaryDirectory() as out:
    def cpu(who):
        usage = resource.getrusage(who)
        return usage.ru_utime + usage.ru_stime
    method = start_method()  # fork: the workers are children, reaped (and counted) at the end
    cpu0, wall0 = cpu(resource.RUSAGE_SELF), time.perf_counter()
    generate(preset, out=out, count=count, width=size, height=size, workers=workers,
             overwrite=True)
    wall, used = time.perf_counter() - wall0, cpu(resource.RUSAGE_SELF) - cpu0
    pngs = [p for p in Path(out).rglob("*.png") if "broken" not in p.parts]
    images = [p.stat().st_size for p in pngs if "mask" not in p.name]
    print(json.dumps({
        "wall": wall, "cpu": used, "bytes": sum(p.stat().st_size for p in pngs),
        "largest_image": max(images),
        "cpu_workers": cpu(resource.RUSAGE_CHILDREN) if method == "fork" else None,
    }))
"""


# The same images made step by step in a fresh process, each step's CPU apart: start-up
# (the interpreter and what a run imports), rendering, and encoding images and masks at
# synth's default level. What the 1-worker run spends beyond the last two is the rest.
_STAGES = """
import json, resource, sys
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
import synth.run.generate
from synth.annotate.masks import mask_bytes
from synth.annotate.records import has_mask, style_of
from synth.config.preset import load_preset, palette
from synth.imaging.encode import DEFAULT_COMPRESS_LEVEL, encode_valid_image
from synth.imaging.render import Rendered, render
from synth.plan import image_spec
started = cpu()
count, size = int(sys.argv[1]), int(sys.argv[2])
preset = load_preset(sys.argv[3]).with_overrides(width=size, height=size)
colors = palette(preset)
rendering = encoding = 0.0
for index in range(count):
    spec = image_spec(preset, 0, index)
    before = cpu()
    rendered = render(preset, spec, 0)
    between = cpu()
    encode_valid_image(rendered.image, preset.image_format, DEFAULT_COMPRESS_LEVEL)
    if has_mask(preset, spec, 0):
        form = style_of(preset, 0, index).mask_form
        mask_bytes(form, rendered.labels, colors, DEFAULT_COMPRESS_LEVEL)
    rendering, encoding = rendering + between - before, encoding + cpu() - between
print(json.dumps({"start-up": started, "rendering": rendering, "encoding": encoding}))
"""


def stages(count: int, size: int, run_cpu: float) -> str:
    """Where the 1-worker run's CPU goes: rendering, encoding and the rest; and the
    start-up its figure leaves out (its process imports synth before the clock starts)."""
    output, _ = measured([sys.executable, "-c", _STAGES, str(count), str(size), PRESET])
    parts = json.loads(output)
    rest = run_cpu - parts["rendering"] - parts["encoding"]
    return (
        f"Where the 1-worker run's {run_cpu:.2f} CPU s go (the same steps one by one in a fresh "
        f"process): rendering {parts['rendering']:.2f} s, encoding images and masks at level "
        f"{DEFAULT_COMPRESS_LEVEL} {parts['encoding']:.2f} s, the rest (records, manifests, "
        f"writing, checks) {rest:.2f} s; start-up (the interpreter and synth's imports, "
        f"not in the run's figure) {parts['start-up']:.2f} s."
    )


SUB = "libdeflate"
NAMED_FLOOR = f"{SUB} level 2, Sub filter"  # the floor issue 26 names


def _sub_png(image: np.ndarray, level: int) -> bytes:
    """A PNG of an RGB image, every row under the Sub filter, deflated by libdeflate."""
    return encode._png(
        encode.filtered(image, encode._FILTER_SUB), image.shape[1], encode._RGB, level
    )


def _pillow(level: int) -> Callable[[np.ndarray], bytes]:
    def encode(array: np.ndarray) -> bytes:
        buffer = io.BytesIO()
        Image.fromarray(array).save(buffer, "PNG", compress_level=level)
        return buffer.getvalue()

    return encode


def _pillow_mask(level: int, colors: list[str]) -> Callable[[np.ndarray], bytes]:
    flat = b"".join(bytes.fromhex(c[1:]) for c in colors)

    def encode(labels: np.ndarray) -> bytes:
        picture = Image.fromarray(labels, "P")
        picture.putpalette(flat)
        buffer = io.BytesIO()
        picture.save(buffer, "PNG", compress_level=level)
        return buffer.getvalue()

    return encode


Encoders = dict[str, tuple[Callable[[np.ndarray], bytes], Callable[[np.ndarray], bytes]]]


def encoders(colors: list[str]) -> Encoders:
    """Each floor's image and mask encoders, by name."""
    named: Encoders = {
        f"Pillow level {level}": (_pillow(level), _pillow_mask(level, colors))
        for level in (1, 3, 6)
    }
    for level in (1, 2):  # libdeflate alone, every row under the Sub filter
        named[f"{SUB} level {level}, Sub filter"] = (
            partial(_sub_png, level=level),
            partial(encode_mask, palette=colors, compress_level=level),
        )
    for level in sorted({1, DEFAULT_COMPRESS_LEVEL}):  # synth's encoder
        named[f"synth's encoder ({SUB}, filter per image) level {level}"] = (
            partial(encode_image, fmt="png", compress_level=level),
            partial(encode_mask, palette=colors, compress_level=level),
        )
    return named


def rendered_images(count: int, size: int) -> tuple[list[Rendered], list[str]]:
    """The images and masks every floor encodes (rendering untimed), and their colors."""
    preset = load_preset(PRESET).with_overrides(width=size, height=size)
    return [render(preset, image_spec(preset, 0, i), 0) for i in range(count)], palette(preset)


@dataclass(frozen=True)
class Floor:
    """One encoder's figures for encoding and writing the images and masks."""

    name: str
    cpu: float  # CPU s
    wall: float  # wall s
    bytes: int  # written, images and masks


def floor(
    name: str,
    rendered: list[Rendered],
    image_encoder: Callable[[np.ndarray], bytes],
    mask_encoder: Callable[[np.ndarray], bytes],
) -> Floor:
    """Encode + write the images and masks with one encoder: CPU s, wall s, bytes."""
    with tempfile.TemporaryDirectory() as out:
        cpu0, wall0, total = time.process_time(), time.perf_counter(), 0
        for i, r in enumerate(rendered):
            files = {"": image_encoder(r.image), "-mask": mask_encoder(r.labels)}
            for suffix, data in files.items():
                Path(out, f"{i}{suffix}.png").write_bytes(data)
                total += len(data)
        return Floor(name, time.process_time() - cpu0, time.perf_counter() - wall0, total)


# One anomalous image of one texture rendered and encoded in a fresh process: its peak RSS.
_PEAK = """
import dataclasses, resource, sys
import numpy as np
from synth.config.preset import load_preset
from synth.imaging.encode import encode_image, encode_mask
from synth.imaging.render import Rendered, render
from synth.config.preset import DEFAULT_TEXTURES
from synth.imaging.textures import render_base
from synth.plan import image_spec
preset = dataclasses.replace(load_preset("showcase"), textures=(sys.argv[1],), width=4096,
                             height=4096)
spec = next(s for s in (image_spec(preset, 3, i) for i in range(64)) if s.anomalous)
if sys.argv[2:] == ["texture"]:  # the base image alone, without defects or encoding
    render_base(sys.argv[1], 4096, 4096, np.random.default_rng(3))
else:
    rendered = render(preset, spec, 3)
    encode_image(rendered.image, "png")
    encode_mask(rendered.labels, ["#ffffff"] * (len(preset.classes) + 1))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def peak_per_texture() -> str:
    """Peak RSS of one 4096x4096 image with defects, and of its texture alone, per texture."""

    def peak(*args: str) -> float:
        return measured([sys.executable, "-c", _PEAK, *args])[1]["peak_mib"]

    peaks = {texture: (peak(texture), peak(texture, "texture")) for texture in DEFAULT_TEXTURES}
    return (
        "Peak RSS for one 4096x4096 image with defects (preset showcase), and in brackets for "
        "its texture alone, per texture: "
        + ", ".join(f"{t} {whole:.0f} MiB ({alone:.0f})" for t, (whole, alone) in peaks.items())
        + "."
    )


# One 4096x4096 image with one defect of one painter, every parameter at the high end of
# its default range (the largest box), rendered and encoded in a fresh process: peak RSS.
_PAINTER_PEAK = """
import resource, sys
import numpy as np
from synth.config.preset import DefectClass, palette
from synth.imaging.defects import PAINTERS
from synth.imaging.encode import encode_mask, encode_valid_image
from synth.imaging.render import Rendered, render
from synth.plan import ImageSpec
from synth.testing.cases import preset_of
name = sys.argv[1]
high = {p: (spec.default[1],) * 2 for p, spec in PAINTERS[name].params.items()}
defect = DefectClass(name, "#1f77b4", name, (1, 1), high)
preset = preset_of((defect,), 4096, 4096, "synth-dataset")
rendered = render(preset, ImageSpec(0, "train", True), int(sys.argv[2]))
encode_valid_image(rendered.image, "png")
encode_mask(rendered.labels, palette(preset))
ys, xs = np.nonzero(rendered.labels)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, np.ptp(ys) + 1, np.ptp(xs) + 1)
"""


def peak_per_painter(seed: int = 1) -> str:
    """Peak RSS of one 4096x4096 image (texture painted) with one defect, per painter."""
    figures = []
    for name in PAINTERS:
        out, usage = measured([sys.executable, "-c", _PAINTER_PEAK, name, str(seed)])
        height, width = out.split()[1:]
        figures.append(f"{name} {usage['peak_mib']:.0f} MiB ({height}x{width})")
    return (
        "Peak RSS for one 4096x4096 painted image with one defect at the high end of its "
        f"default ranges (seed {seed}), and in brackets the labeled extent in px, per painter: "
        + ", ".join(figures)
        + "."
    )


Run = dict[str, Any]  # a run's figures, as its JSON line gives them


def run_generate(count: int, size: int, workers: int, *textures: str) -> Run:
    """The run's figures; SystemExit with its last line of error if it failed."""
    output, usage = measured(
        [sys.executable, "-c", _RUN, str(count), str(size), str(workers), PRESET]
        + [",".join(textures)] * bool(textures)
    )
    return {**json.loads(output), "peak": usage["peak_mib"]}


def _median(runs: list[Run]) -> Run:
    """Each figure's median over the runs (None where a run could not measure it)."""
    return {
        key: None if runs[0][key] is None else statistics.median(run[key] for run in runs)
        for key in runs[0]
    }


def _scaling(pairs: list[tuple[Run, Run]]) -> str:
    """How much faster 2 workers are than 1, by wall time, over alternating pairs; and what
    the CPU time predicts for 2 idle cores: all the 2-worker run's work (the run's and its
    workers') split evenly, against the 1-worker run's."""
    walls = sorted(one["wall"] / two["wall"] for one, two in pairs)
    text = (
        f"2 workers make images {statistics.median(walls):.2f}x as fast as 1 (wall, median of "
        f"{len(pairs)} alternating pairs, {walls[0]:.2f}-{walls[-1]:.2f})"
    )
    if pairs[0][1]["cpu_workers"] is None:  # workers from a forkserver: not the run's children
        return text
    one, two = _median([p[0] for p in pairs]), _median([p[1] for p in pairs])
    total = two["cpu"] + two["cpu_workers"]
    cpus = sorted(2 * a["cpu"] / (b["cpu"] + b["cpu_workers"]) for a, b in pairs)
    return text + (
        f"; by CPU time, {statistics.median(cpus):.2f}x on 2 idle cores "
        f"({cpus[0]:.2f}-{cpus[-1]:.2f}; medians: "
        f"{one['cpu']:.2f} CPU s with 1 worker, {total:.2f} with 2: the run {two['cpu']:.2f}, "
        f"its workers {two['cpu_workers']:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="images per throughput run")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--pairs", type=int, default=5, help="alternating 1- and 2-worker runs")
    parser.add_argument("--memory", default="", help="image counts for peak RSS, e.g. 200,20000")
    parser.add_argument("--large", action="store_true", help="also one run at 4096x4096")
    parser.add_argument("--no-docs", action="store_true", help="print only")
    args = parser.parse_args()
    count, size = args.count, args.size

    lines = [
        f"`bench/bench_generate.py {' '.join(sys.argv[1:])}` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, load "
        f"{os.getloadavg()[0]:.1f} at the start: preset {PRESET}, {count} images of "
        f"{size}x{size}, CPU seconds of the process and its workers (wall seconds beside "
        "them, taken under that load).",
        "",
        "| run | CPU s | wall s | images/s (wall) | ratio to the strongest floor "
        "| ratio to libdeflate level 2, Sub filter | bytes/image | peak RSS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rendered, colors = rendered_images(count, size)
    named_encoders = encoders(colors)
    encoded = [floor(name, rendered, *pair) for name, pair in named_encoders.items()]
    ceiling = next(f.bytes for f in encoded if f.name == "Pillow level 6")
    strongest = min((f for f in encoded if f.bytes <= ceiling), key=lambda f: f.cpu)
    named = next(f for f in encoded if f.name == NAMED_FLOOR)
    for f in encoded:
        mark = " (strongest floor)" if f is strongest else ""
        lines.append(
            f"| floor: {f.name}{mark}, encode + write, 1 process | {f.cpu:.2f} "
            f"| {f.wall:.2f} | {count / f.wall:.0f} | {f.cpu / strongest.cpu:.2f} "
            f"| {f.cpu / named.cpu:.2f} | {f.bytes / count:,.0f} | |"
        )
    # Each pair also encodes the images again with the named floor, in this process: the
    # 1-worker run's ratio to it is taken pair by pair, as the load drifts.
    pairs, named_again, loads = [], [], []
    for _ in range(args.pairs):
        pairs.append((run_generate(count, size, 1), run_generate(count, size, 2)))
        named_again.append(floor(NAMED_FLOOR, rendered, *named_encoders[NAMED_FLOOR]))
        loads.append(os.getloadavg()[0])
    ratios = sorted(p[0]["cpu"] / f.cpu for p, f in zip(pairs, named_again, strict=True))
    one, two = _median([p[0] for p in pairs]), _median([p[1] for p in pairs])
    lines += [
        f"| synth generate, 1 worker (CPU) | {one['cpu']:.2f} | {one['wall']:.2f} "
        f"| {count / one['wall']:.0f} | {one['cpu'] / strongest.cpu:.2f} "
        f"| {one['cpu'] / named.cpu:.2f} | {one['bytes'] / count:,.0f} "
        f"| {one['peak']:.0f} MiB |",
        f"| synth generate, 2 workers (wall, floors split 2 ways) | | {two['wall']:.2f} "
        f"| {count / two['wall']:.0f} | {two['wall'] / (strongest.wall / 2):.2f} "
        f"| {two['wall'] / (named.wall / 2):.2f} | {two['bytes'] / count:,.0f} "
        f"| {two['peak']:.0f} MiB |",
    ]
    lines += [
        "",
        f"The 1-worker run against the named floor ({NAMED_FLOOR}, encoding the same "
        f"images again after each pair): {statistics.median(ratios):.2f}x its CPU (median of "
        f"{len(ratios)} pairs, {ratios[0]:.2f}-{ratios[-1]:.2f}; the floor "
        f"{statistics.median(f.cpu for f in named_again):.2f} CPU s; load after each pair "
        f"{', '.join(f'{load:.1f}' for load in loads)}).",
        f"{_scaling(pairs)}, {count} images. Files are {one['bytes'] / ceiling:.3f}x the "
        "bytes of Pillow level 6.",
        stages(count, size, one["cpu"]),
    ]
    if args.memory:
        counts = [int(c) for c in args.memory.split(",")]
        peaks = [run_generate(n, 256, 1)["peak"] for n in counts]
        lines.append(
            "Peak memory (256x256, 1 worker): "
            + ", ".join(f"{p:.0f} MiB for {n:,} images" for n, p in zip(counts, peaks, strict=True))
            + "."
        )
    if args.large:
        lines.append(peak_per_texture())
        lines.append(peak_per_painter())
        for textures in ((), LARGE_TEXTURES):
            what = f"textures {', '.join(textures)}" if textures else f"preset {PRESET}"
            try:
                big = run_generate(4, 4096, 1, *textures)
            except SystemExit as refused:
                lines.append(f"At 4096x4096, {what}: synth stops the run: {refused}")
                continue
            lines.append(
                f"At 4096x4096, {what} (4 images, 1 worker): {big['wall'] / 4:.1f} s and "
                f"{big['cpu'] / 4:.1f} CPU s per image, the largest image "
                f"{big['largest_image'] / 1e6:.1f} MB (the limit is 8 MB), peak RSS "
                f"{big['peak']:.0f} MiB."
            )
    lines.append(f"Load at the end: {os.getloadavg()[0]:.1f}.")
    text = "\n".join(lines)
    print(text)
    if not args.no_docs:
        write_block("generate", text)


if __name__ == "__main__":
    main()
