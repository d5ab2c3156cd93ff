"""Plain helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import importlib
import math
import struct
import zlib
from pathlib import Path
from typing import Any
from unittest.mock import patch

SMALL = {"count": 8, "width": 96, "height": 80}
# moto takes any credentials; these keep boto3 from looking for real ones.
AWS_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def files_of(root: Path) -> dict[str, bytes]:
    """Every file under `root` by relative path: two trees compare byte for byte."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """A PNG's chunks as (kind, body), for a test to alter one and put them back (png_of)."""
    out, at = [], 8
    while at + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, at)
        out.append((kind, data[at + 8 : at + 8 + length]))
        at += 12 + length
    return out


def png_of(chunks: list[tuple[bytes, bytes]]) -> bytes:
    """A PNG of these chunks, each with its length and a right CRC."""
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        for kind, body in chunks
    )


def examples_to_see_each(classes: int, rarest: float, miss: float = 0.01) -> int:
    """Examples enough for a test to draw each of `classes` kinds of input at least once but
    with chance `miss` (a union bound over the kinds), when the rarest kind comes in an
    example with chance `rarest` (measured on the test's own strategy: Hypothesis' draws
    are not uniform, sampled_from favours its first elements)."""
    return math.ceil(math.log(miss / classes) / math.log1p(-rarest))


def hypothesis_conftest() -> str:
    """A conftest for a project a test writes (pytester): Hypothesis as this suite runs it
    (derandomized under the ci profile), without the deadline and the too_slow health check,
    which a loaded machine trips however sound the test."""
    from hypothesis import settings

    return (
        "from hypothesis import HealthCheck, settings\n"
        "settings.register_profile('suite', deadline=None, database=None,\n"
        f"    derandomize={settings.default.derandomize},\n"
        "    suppress_health_check=[HealthCheck.too_slow])\n"
        "settings.load_profile('suite')\n"
    )


# Chunk sizes the fast path is read in besides its own: a line or less a block, a few lines.
_CHUNKS = (64, 1500)


def fast_is_exact(manifest: bytes, objects: Any = None, profile: str = "docs") -> list[Any]:
    """The findings of a project of this one manifest (the project rules too: limits,
    training minimums), which on the fast path must be the exact path's: as the fast path
    reads it (blocks of as many lines as its chunk holds, judged together when their shapes
    are known) and with chunks of a line or a few, so small manifests go through the block
    path too (with objects, lines are judged one by one)."""
    from synth.validate import iter_project

    def findings(exact: bool = False) -> list[Any]:
        project = [("train.manifest", manifest)]
        return list(iter_project(project, objects=objects, profile=profile, exact=exact))

    reading = importlib.import_module("synth.validate.parse")
    exact = findings(exact=True)
    assert findings() == exact
    for chunk in _CHUNKS if objects is None else ():
        with patch.object(reading, "CHUNK", chunk):
            assert findings() == exact
    return exact


def fast_and_exact(manifest: bytes, objects: Any = None, profile: str = "docs") -> list[Any]:
    """fast_is_exact, then the manifest's own findings (no project rule): what the callers
    that look at findings look at."""
    from synth.validate import iter_findings

    fast_is_exact(manifest, objects, profile)
    return list(iter_findings(manifest, objects=objects, profile=profile, exact=True))
