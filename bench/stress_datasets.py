"""Stress the `datasets()` oracle: draw many datasets under many seeds and count the lines
whose validator findings disagree with what the strategy says (errors == expected_rules,
warnings within expected_warnings). Not a test: it draws thousands of datasets.

Run: .venv/bin/python bench/stress_datasets.py [EXAMPLES_PER_RUN] [SEED ...]

Each seed runs `datasets()`, `datasets(max_size=3)`, `datasets(valid=False)` and
`datasets(task="classification")` EXAMPLES_PER_RUN times each.
"""

from __future__ import annotations

import sys
import time
from collections import Counter

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from synth.faults import Case
from synth.format import Severity
from synth.testing.strategies import datasets
from synth.validate import validate_manifest


def mismatches(cases: list[Case]) -> list[str]:
    """One sentence per line whose findings are not the ones its case declares."""
    objects = {uri: data for case in cases for uri, data in case.objects.items()}
    findings = validate_manifest(b"".join(c.manifest for c in cases), objects=objects)
    said = []
    for number, case in enumerate(cases, start=1):
        mine = [f for f in findings if f.line == number]
        errors = {f.rule for f in mine if f.severity is Severity.ERROR}
        warnings = {f.rule for f in mine if f.severity is not Severity.ERROR}
        if errors != case.expected_rules or not warnings <= case.expected_warnings:
            extra = sorted(errors - case.expected_rules) + sorted(warnings - case.expected_warnings)
            missing = sorted(case.expected_rules - errors)
            said.append(f"line {number} {case.faults}: unexpected {extra}, missing {missing}")
    return said


def run(
    strategy: st.SearchStrategy[list[Case]], examples: int, at: int
) -> tuple[int, int, list[str]]:
    """(datasets drawn, datasets with a mismatch, the mismatches) for one seed."""
    drawn, bad, said = 0, 0, []

    @seed(at)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def check(cases: list[Case]) -> None:
        nonlocal drawn, bad
        drawn += 1
        found = mismatches(cases)
        if found:
            bad += 1
            said.extend(found)

    check()
    return drawn, bad, said


def main(examples: int = 200, *seeds: int) -> None:
    seeds = seeds or (1, 2, 3, 4, 5)
    total, failed, kinds = 0, 0, Counter[str]()
    start = time.process_time()
    for at in seeds:
        for name, strategy in (
            ("datasets()", datasets()),
            ("datasets(max_size=3)", datasets(max_size=3)),
            ("datasets(valid=False)", datasets(valid=False)),
            ('datasets(task="classification")', datasets(task="classification")),
        ):
            drawn, bad, said = run(strategy, examples, at)
            total, failed = total + drawn, failed + bad
            print(f"seed {at} {name}: {drawn} datasets, {bad} with a mismatch")
            for line in said:
                print("   ", line)
                kinds[line.split(": ", 1)[1]] += 1
    cpu = time.process_time() - start
    print(f"total: {total} datasets, {failed} with a mismatch ({cpu:.0f} s CPU)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
