"""CPU time per defect for every painter, and per base image for every texture, at 512 px.

CPU time (time.process_time), not wall time, because the machine may be shared; the
median of REPEATS runs, each on a fresh draw. Reads the registries, so a plugin's
painters and textures are measured too.

Run: .venv/bin/python bench/bench_painters.py [SIZE] [REPEATS]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from synth.imaging.defects import PAINTERS, resolve_params
from synth.imaging.defects.base import Painter
from synth.imaging.textures import TEXTURES, render_base

Ranges = dict[str, tuple[float, float]]  # a painter's resolved parameter ranges


def _median_ms(run: Callable[[int], object], repeats: int) -> float:
    times = []
    for seed in range(repeats):
        start = time.process_time()
        run(seed)
        times.append(time.process_time() - start)
    return statistics.median(times) * 1e3


def main(size: int = 512, repeats: int = 40) -> None:
    print(f"CPU ms, median of {repeats}, {size}x{size} px")
    bases = [render_base("painted", size, size, np.random.default_rng(s)) for s in range(4)]
    for name, painter in PAINTERS.items():
        params = resolve_params(painter, {})

        def paint(seed: int, p: Painter = painter, r: Ranges = params) -> object:
            return p(bases[seed % 4], np.random.default_rng(seed), r)

        ms = _median_ms(paint, repeats)
        print(f"painter  {name:<16} {ms:6.2f} ms per defect")
    for name in TEXTURES:

        def texture(seed: int, n: str = name) -> object:
            return render_base(n, size, size, np.random.default_rng(seed))

        ms = _median_ms(texture, max(5, repeats // 4))
        print(f"texture  {name:<16} {ms:6.2f} ms per image")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
