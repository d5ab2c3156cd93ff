"""Generation speed against its floor, memory against the image count, and the largest images.

The floor is the cost of only encoding and writing the same images and masks as PNG
with Pillow at the same compression level: no rendering, no manifests.

Run: .venv/bin/python bench/bench_generate.py [--count 100] [--memory 200,20000] [--large]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synth.annotate.records import palette
from synth.config.preset import load_preset
from synth.imaging.encode import DEFAULT_COMPRESS_LEVEL, encode_image, encode_mask
from synth.imaging.render import render
from synth.plan import image_spec
from synth.run.generate import generate

_MEASURE_RSS = """
import resource, sys, tempfile
from synth.run.generate import generate
with tempfile.TemporaryDirectory() as out:
    generate("mixed", out=out, count=int(sys.argv[1]), width=256, height=256, overwrite=True)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def floor_seconds(count: int, size: int) -> float:
    """Encode and write `count` images and masks rendered beforehand (rendering untimed)."""
    preset = load_preset("mixed").with_overrides(width=size, height=size)
    colors = palette(preset)
    rendered = [render(preset, image_spec(preset, 0, i), 0) for i in range(count)]
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        for i, r in enumerate(rendered):
            Path(out, f"{i}.png").write_bytes(encode_image(r.image, "png", DEFAULT_COMPRESS_LEVEL))
            Path(out, f"{i}-mask.png").write_bytes(encode_mask(r.labels, colors))
        return time.perf_counter() - start


def generate_seconds(count: int, size: int, workers: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        generate(
            "mixed", out=out, count=count, width=size, height=size, workers=workers, overwrite=True
        )
        return time.perf_counter() - start


def peak_rss_mib(count: int) -> float:
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE_RSS, str(count)], capture_output=True, text=True, check=True
    )
    return int(result.stdout.strip()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100, help="images for the throughput run")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--memory", default="200,2000", help="image counts to compare peak RSS")
    parser.add_argument("--large", action="store_true", help="also time one 4096x4096 image")
    args = parser.parse_args()

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"\n## Throughput: preset mixed, {args.count} images of {args.size}x{args.size}\n")
    floor = floor_seconds(args.count, args.size)
    print("| run | seconds | images/s | ratio to floor |")
    print("|---|---|---|---|")
    print(
        f"| floor: encode + write only, 1 process | {floor:.2f} | {args.count / floor:.1f} | 1.00 |"
    )
    for workers in (1, 2):
        seconds = generate_seconds(args.count, args.size, workers)
        # With w workers the floor could at best be split w ways.
        ratio = seconds / (floor / workers)
        print(
            f"| synth generate, {workers} worker{'s' * (workers > 1)} | {seconds:.2f} "
            f"| {args.count / seconds:.1f} | {ratio:.2f} |"
        )

    counts = [int(c) for c in args.memory.split(",")]
    print("\n## Peak memory: preset mixed, 256x256, 1 worker\n")
    print("| images | peak RSS |")
    print("|---|---|")
    for count in counts:
        print(f"| {count:,} | {peak_rss_mib(count):.0f} MiB |")

    if args.large:
        print("\n## Largest images: 4096x4096, preset mixed\n")
        seconds = generate_seconds(2, 4096, 1) / 2
        print(f"{seconds:.1f} s per image (image + mask, 1 worker)")


if __name__ == "__main__":
    main()
