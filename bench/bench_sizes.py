"""Every built-in preset at the largest sizes: are its images valid, how large, what did
encoding cost, and the run's peak memory.

Per preset and size, `synth generate` makes the first `--images` images (1 worker) in a
process started by a clean launcher (bench/launch.py: its peak RSS is the run's own, not
this script's), with every PNG encode timed (CPU) as it happens: the largest image (of
those written and of the fit check's draw of each texture at that size, before the first),
the dearest encode (a PNG over the limit climbs the level ladder, each rung one more
deflate), the run's CPU per image (start-up and the fit check before the first image
included) and its peak RSS. A preset is valid at a size when the run wrote every image
(synth refuses one it cannot fit under 8 MB) and none took more than BUDGET CPU s to encode.
The figures go to bench/results/sizes.md, which `make docs` shows in docs/bench.md.

Run: .venv/bin/python bench/bench_sizes.py [--sizes 2048,4096] [--images 4] [--no-docs]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from typing import Any

from docs_block import write_block
from launch import measured

from synth.config.preset import builtin_presets
from synth.format import MAX_IMAGE_BYTES

BUDGET = 3.0  # CPU s: the most an image's encode may cost

# One run in a fresh process: each encode's CPU seconds, level and bytes; the files written.
_CHILD = """
import json, sys, tempfile, time
from pathlib import Path
from synth.imaging import encode
encodes = []
real_png, real_valid = encode._png, encode.encode_valid_image
def png(rows, width, kind, level, *extra):
    data = real_png(rows, width, kind, level, *extra)
    if kind == encode._RGB:
        encodes[-1]["level"], encodes[-1]["bytes"] = level, len(data)
    return data
def valid(image, fmt, *args):
    encodes.append({})
    start = time.process_time()
    try:
        return real_valid(image, fmt, *args)
    finally:
        encodes[-1]["cpu"] = time.process_time() - start
encode._png, encode.encode_valid_image = png, valid
from synth.errors import SynthError
from synth.run.generate import generate
preset, size, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with tempfile.TemporaryDirectory() as out:
    try:
        generate(preset, out=out, count=count, width=size, height=size, workers=1, seed=0)
        refused = None
    except SynthError as exc:
        refused = str(exc)
    images = [p.stat().st_size for p in Path(out).rglob("*.png") if "mask" not in p.name]
print(json.dumps({"encodes": encodes, "images": images, "refused": refused}))
"""


def run(preset: str, size: int, images: int) -> dict[str, Any]:
    output, usage = measured([sys.executable, "-c", _CHILD, preset, str(size), str(images)])
    return {**json.loads(output), **usage}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2048,4096", help="square sizes, comma-separated")
    parser.add_argument("--images", type=int, default=4, help="images per preset and size")
    parser.add_argument("--no-docs", action="store_true", help="print only")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    started = os.getloadavg()[0]
    lines = [
        f"`bench/bench_sizes.py --sizes {args.sizes} --images {args.images}` "
        f"({platform.machine()}, {os.cpu_count()} cores, load {started:.1f} at the start): "
        f"per built-in preset and size, its first {args.images} images (seed 0, 1 worker) "
        "made by `synth generate` in a process of its own, started by a clean launcher. "
        f"The limit is {MAX_IMAGE_BYTES:,} bytes an image; an encode may cost {BUDGET:.0f} "
        "CPU s at most. CPU per image is the run's CPU (start-up and the fit check before "
        "the first image included) over its images; the load is the 1-minute average "
        "when the run ended (CPU seconds, not wall, so a busy machine changes them little).",
        "",
        "| preset | size | valid | largest image (fit check included), bytes | deflate levels "
        "| encode CPU s (max) | CPU s per image | peak RSS MiB | load |",
        "|---|---:|---|---:|---|---:|---:|---:|---:|",
    ]
    print("\n".join(lines), flush=True)
    for size in sizes:
        for preset in builtin_presets():
            start = time.perf_counter()
            row = run(preset, size, args.images)
            encodes = row["encodes"]
            dearest = max((e["cpu"] for e in encodes), default=0.0)
            # The fit check's draws (one per texture, before the first image) count too.
            largest = max([*row["images"], *(e["bytes"] for e in encodes)], default=0)
            valid = row["refused"] is None and dearest <= BUDGET and largest <= MAX_IMAGE_BYTES
            levels = ", ".join(str(n) for n in sorted({e["level"] for e in encodes}))
            shown = "yes" if valid else f"no: {row['refused'] or 'an encode over budget'}"
            lines.append(
                f"| `{preset}` | {size} | {shown} | {largest:,} | {levels} | {dearest:.2f} "
                f"| {float(row['cpu']) / args.images:.2f} | {float(row['peak_mib']):.0f} "
                f"| {os.getloadavg()[0]:.1f} |"
            )
            print(lines[-1], f"({time.perf_counter() - start:.0f} s wall)", flush=True)
    if not args.no_docs:
        write_block("sizes", "\n".join(lines))


if __name__ == "__main__":
    main()
