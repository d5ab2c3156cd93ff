"""What 100 default draws of `manifest_cases()` hold, per Hypothesis seed: the make-up
docs/strategies.md describes, computed rather than typed (`make docs` runs this).

Run: .venv/bin/python bench/strategies_mix.py [SEED ...]  (seeds 0 1 2 by default)
"""

from __future__ import annotations

import sys

from hypothesis import HealthCheck, given, seed, settings

from synth.faults import CATALOGUE, Case
from synth.testing.strategies import manifest_cases

EXAMPLES = settings().max_examples  # Hypothesis' default: what a plain @given draws


def draws(at: int) -> list[Case]:
    drawn: list[Case] = []

    @seed(at)
    @settings(
        max_examples=EXAMPLES,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(manifest_cases())
    def draw(case: Case) -> None:
        drawn.append(case)

    draw()
    return drawn


def main(seeds: list[int]) -> None:
    breakable = {rule for fault in CATALOGUE.values() for rule in fault.rules}
    print(
        "| seed | plain valid | near-misses | broken | rules per broken case (mean) "
        "| distinct rule sets | rules reached, of those a line fault breaks |"
    )
    print("|---|---|---|---|---|---|---|")
    for at in seeds:
        cases = draws(at)
        broken = [c for c in cases if c.expected_rules]
        near = [c for c in cases if not c.expected_rules and c.faults]
        plain = len(cases) - len(broken) - len(near)
        mean = sum(len(c.expected_rules) for c in broken) / max(len(broken), 1)
        sets = {c.expected_rules for c in broken}
        reached = set().union(*sets) & breakable
        print(
            f"| {at} | {plain} | {len(near)} | {len(broken)} | {mean:.1f} | {len(sets)} "
            f"| {len(reached)} of {len(breakable)} |"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [0, 1, 2])
