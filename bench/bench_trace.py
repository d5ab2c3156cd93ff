"""The line painters (scratch, crack, fibre) with trace's lookup of the pixels near the path
against a lookup of every pixel of the box (what trace did before): CPU per defect, and
the defects compared bit for bit.

CPU time (time.process_time), the median over SEEDS defects at the painter's default
parameters on a SIZE px image; the two lookups alternate defect by defect.

Run: .venv/bin/python bench/bench_trace.py [SIZE] [SEEDS]
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
from docs_block import write_block
from scipy.spatial import cKDTree

from synth.imaging.defects import PAINTERS, base, resolve_params
from synth.imaging.textures import render_base

Rows = Callable[[int, int], tuple[np.ndarray, np.ndarray]]


def every_pixel(
    path: np.ndarray, half: np.ndarray, image: np.ndarray, reach: float, pad: float = 0
) -> tuple[tuple[slice, slice], Rows]:
    """trace as it was: the nearest path point of every pixel of the box."""
    box = base.bbox(path[:, 0], path[:, 1], reach + pad, image.shape)
    tree = cKDTree(path)
    xs = np.arange(box[1].start, box[1].stop, dtype=np.float64)

    def rows(top: int, bottom: int) -> tuple[np.ndarray, np.ndarray]:
        ys = np.arange(box[0].start + top, box[0].start + bottom, dtype=np.float64)
        points = np.column_stack([np.repeat(ys, len(xs)), np.tile(xs, len(ys))])
        distance, nearest = tree.query(points, distance_upper_bound=reach)
        distance[~np.isfinite(distance)] = 1e3
        shape = (len(ys), len(xs))
        width = half[np.minimum(nearest, len(path) - 1)].astype(np.float32)
        return distance.astype(np.float32).reshape(shape), width.reshape(shape)

    return box, rows


def main(size: int = 2048, seeds: int = 9) -> None:
    image = render_base("painted", size, size, np.random.default_rng(0))
    near = base.trace
    lines = [
        f"`bench/bench_trace.py {size} {seeds}` ({platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}): CPU ms per defect, the median of {seeds}, "
        f"{size}x{size} px; the two lookups paint the same defects bit for bit.",
        "",
        "| painter | near the path | every pixel of the box | ratio |",
        "|---|---:|---:|---:|",
    ]
    for name in ("scratch", "crack", "fibre"):
        painter = PAINTERS[name]
        params = resolve_params(painter, {})
        times: dict[str, list[float]] = {"near": [], "every": []}
        for seed in range(seeds):
            made = []
            for label, lookup in (("near", near), ("every", every_pixel)):
                base.trace = lookup
                start = time.process_time()
                made.append(painter(image, np.random.default_rng(seed), params))
                times[label].append(time.process_time() - start)
            base.trace = near
            one, two = made
            same = one.box == two.box and np.array_equal(one.patch, two.patch)
            if not (same and np.array_equal(one.mask, two.mask)):
                raise SystemExit(f"{name} seed {seed}: the two lookups painted different defects")
        fast, slow = (statistics.median(times[k]) * 1e3 for k in ("near", "every"))
        lines.append(f"| `{name}` | {fast:.1f} | {slow:.1f} | {slow / fast:.2f}x |")
    print("\n".join(lines))
    write_block("trace", "\n".join(lines))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
