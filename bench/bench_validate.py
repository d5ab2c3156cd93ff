"""Validation throughput: a 100,000-line manifest, lines only, streamed.

Run: .venv/bin/python bench/bench_validate.py [LINES]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from synth.annotate.manifest import dumps
from synth.annotate.records import job_names, record
from synth.config.preset import load_preset
from synth.plan import image_spec
from synth.validate import iter_findings


def main(lines: int = 100_000) -> None:
    preset = load_preset("mixed")
    jobs = job_names(0)
    with tempfile.TemporaryDirectory() as folder:
        manifest = Path(folder) / "train.manifest"
        with manifest.open("w") as out:
            for i in range(lines):
                spec = image_spec(preset, 0, i)
                uris = {
                    "image_uri": f"s3://bench/images/{i:06d}.png",
                    "mask_uri": f"s3://bench/masks/{i:06d}.png",
                }
                out.write(dumps(record(preset, spec, 0, jobs=jobs, **uris)) + "\n")
        size = manifest.stat().st_size
        start = time.perf_counter()
        findings = sum(1 for _ in iter_findings(manifest))
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"lines             {lines:,}")
    print(f"manifest size     {size / 1e6:.1f} MB")
    print(f"findings          {findings}")
    print(f"seconds           {seconds:.2f}")
    print(f"lines/s           {lines / seconds:,.0f}")
    print(f"peak RSS          {peak:.0f} MiB (whole process, generation included)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
