"""Every built-in texture at a large size (4096 px by default): is its image valid, how many
bytes, at which deflate level, what did encoding cost, and the process's peak memory.

Each texture is measured in a fresh process (its own peak RSS, not a forked parent's):
the first anomalous image of the `showcase` preset (every painter) pinned to that
texture, rendered and encoded as a run does (up the level ladder from the default).
A built-in preset's images take its textures, so a preset is valid at this size when
every texture it names is; the table says so per preset too.

Run: .venv/bin/python bench/bench_sizes.py [SIZE]
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

from docs_block import write_block

from synth.config.preset import builtin_presets, load_preset
from synth.format import MAX_IMAGE_BYTES

CHILD = """
import json, resource, sys, time
from synth.config.preset import load_preset
from synth.errors import OutputError
from synth.imaging import encode
from synth.imaging.render import render
from synth.plan import image_spec

texture, size = sys.argv[1], int(sys.argv[2])
preset = load_preset("showcase").with_overrides(width=size, height=size, textures=(texture,))
index = next(i for i in range(100) if image_spec(preset, 0, i).anomalous)
start = time.process_time()
rendered = render(preset, image_spec(preset, 0, index), 0)
made = time.process_time() - start
levels = []
real = encode._png
def counted(rows, width, kind, level, *extra):
    levels.append(level)
    return real(rows, width, kind, level, *extra)
encode._png = counted
start = time.process_time()
try:
    size_bytes = len(encode.encode_valid_image(rendered.image, "png"))
except OutputError:
    size_bytes = None
took = time.process_time() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"bytes": size_bytes, "level": levels[-1], "encode": took, "render": made,
                  "peak": peak}))
"""


def main(size: int = 4096) -> None:
    textures = sorted({t for name in builtin_presets() for t in load_preset(name).textures})
    lines = [
        f"`bench/bench_sizes.py {size}` ({platform.machine()}, {os.cpu_count()} cores, load "
        f"{os.getloadavg()[0]:.1f}): the first anomalous image of `showcase` (every painter) "
        f"on each texture at {size}x{size}, each in a fresh process; the limit is "
        f"{MAX_IMAGE_BYTES:,} bytes.",
        "",
        "| texture | bytes | deflate level | encode CPU s | render CPU s | peak MiB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    print("\n".join(lines))
    found = {}
    for texture in textures:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, texture, str(size)], capture_output=True, text=True
        )
        if done.returncode:
            raise SystemExit(f"{texture}: {done.stderr.strip()}")
        row = json.loads(done.stdout)
        found[texture] = row
        shown = "over the limit" if row["bytes"] is None else f"{row['bytes']:,}"
        lines.append(
            f"| `{texture}` | {shown} | {row['level']} | {row['encode']:.2f} "
            f"| {row['render']:.2f} | {row['peak']:.0f} |"
        )
        print(lines[-1], flush=True)
    lines += [
        "",
        "| preset | valid at this size | largest image | worst encode CPU s | peak MiB |",
        "|---|---|---:|---:|---:|",
    ]
    for name in builtin_presets():
        rows = [found[t] for t in load_preset(name).textures]
        valid = all(r["bytes"] is not None and r["bytes"] <= MAX_IMAGE_BYTES for r in rows)
        largest = max((r["bytes"] or 0) for r in rows)
        lines.append(
            f"| `{name}` | {'yes' if valid else 'no'} | {largest:,} "
            f"| {max(r['encode'] for r in rows):.2f} | {max(r['peak'] for r in rows):.0f} |"
        )
        print(lines[-1])
    write_block("sizes", "\n".join(lines))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
