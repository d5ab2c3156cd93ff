"""How fast Hypothesis draws manifest cases (with objects) and the validator judges them.

Run: .venv/bin/python bench/bench_strategies.py [EXAMPLES]
"""

from __future__ import annotations

import sys
import time

from hypothesis import HealthCheck, given, settings

from synth.faults import Case
from synth.testing.strategies import manifest_cases
from synth.validate import validate_manifest


def main(examples: int = 300) -> None:
    drawn = 0

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(manifest_cases())
    def run(case: Case) -> None:
        nonlocal drawn
        drawn += 1
        validate_manifest([case.line], objects=case.objects)

    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    print(
        f"{drawn} cases drawn and validated in {seconds:.2f} s: {seconds / drawn * 1e3:.1f} ms each"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
