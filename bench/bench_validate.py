"""Validation throughput: a 100,000-line manifest lines only, and a dataset's objects.

CPU time (time.process_time) for the rates, so they hold on a shared machine; wall time
beside it. The figures go to bench/results/validate.md, which `make docs` shows in docs/bench.md.

Run: .venv/bin/python bench/bench_validate.py [--lines 100000] [--images 200] [--no-docs]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from docs_block import write_block

from synth.annotate.manifest import dumps
from synth.annotate.records import job_names, record
from synth.config.preset import load_preset
from synth.plan import image_spec
from synth.run.generate import generate
from synth.validate import iter_findings


def _timed(manifests: list[Path], objects: Path | None) -> tuple[float, float, int]:
    """CPU seconds, wall seconds and findings of validating the manifests."""
    cpu, wall = time.process_time(), time.perf_counter()
    findings = sum(1 for m in manifests for _ in iter_findings(m, objects=objects))
    return time.process_time() - cpu, time.perf_counter() - wall, findings


def lines_only(lines: int) -> str:
    preset, jobs = load_preset("mixed"), job_names(0)
    with tempfile.TemporaryDirectory() as folder:
        manifest = Path(folder) / "train.manifest"
        with manifest.open("w") as out:
            for i in range(lines):
                uris = {
                    "image_uri": f"s3://bench/images/{i:06d}.png",
                    "mask_uri": f"s3://bench/masks/{i:06d}.png",
                }
                record_ = record(preset, image_spec(preset, 0, i), 0, jobs=jobs, **uris)
                out.write(dumps(record_) + "\n")
        cpu, wall, findings = _timed([manifest], None)
    return (
        f"| lines only: {lines:,} lines of preset mixed | {cpu:.2f} | {wall:.2f} "
        f"| {lines / cpu:,.0f} lines/s | {findings} |"
    )


def with_objects(images: int, size: int) -> str:
    with tempfile.TemporaryDirectory() as out:
        generate("mixed", out=out, count=images, width=size, height=size, overwrite=True)
        manifests = [Path(out, f"{split}.manifest") for split in ("train", "test")]
        cpu, wall, findings = _timed([m for m in manifests if m.is_file()], Path(out))
    return (
        f"| --objects: {images} images and masks of {size}x{size} (preset mixed) | {cpu:.2f} "
        f"| {wall:.2f} | {images / cpu:,.0f} images/s | {findings} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--no-docs", action="store_true", help="print only")
    args = parser.parse_args()
    text = "\n".join(
        [
            "| run, one core | CPU s | wall s | rate (CPU) | findings |",
            "|---|---|---|---|---|",
            lines_only(args.lines),
            with_objects(args.images, args.size),
        ]
    )
    print(text)
    if not args.no_docs:
        write_block("validate", text)


if __name__ == "__main__":
    main()
