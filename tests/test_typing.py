"""The testing API as a typed test suite sees it: mypy resolves every name to its real type."""

from __future__ import annotations

from pathlib import Path

import pytest

GOOD = """
from synth.strategies import manifest_cases, manifests
from synth.testing import Case, ManifestCase, every_case, manifest_cases as cases

strategy = manifest_cases(valid=True)
whole = manifests(max_lines=3)
assert cases(valid=False) is not None

def check(case: Case, m: ManifestCase) -> frozenset[str]:
    m.verify_lines(m.flagged)
    return case.expected_rules
"""
BAD = """
from synth.testing import Case, manifest_cases

manifest_cases(vald=True)

def check(case: Case) -> object:
    return case.expected_rule
"""


@pytest.mark.slow
def test_mypy_sees_the_real_types(tmp_path: Path) -> None:
    from mypy import api

    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "bad.py").write_text(BAD)
    cache = tmp_path / "cache"
    out, _, status = api.run(
        ["--strict", "--cache-dir", str(cache), str(tmp_path / "good.py"), str(tmp_path / "bad.py")]
    )
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 1, out
    assert not [e for e in errors if "good.py" in e], out
    assert any('Unexpected keyword argument "vald"' in e for e in errors), out
    assert any('"Case" has no attribute "expected_rule"' in e for e in errors), out
