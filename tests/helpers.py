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
