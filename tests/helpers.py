"""Plain helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

SMALL = {"count": 8, "width": 96, "height": 80}
# moto takes any credentials; these keep boto3 from looking for real ones.
AWS_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def files_of(root: Path) -> dict[str, bytes]:
    """Every file under `root` by relative path: two trees compare byte for byte."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }
