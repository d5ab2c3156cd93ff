"""Drawn probes: small datasets from the Hypothesis strategies, reproducible from a seed.

Hypothesis draws them (generation only: `synth check` shrinks what fails itself, by
lines, since it scores every probe rather than stopping at the first failure). Each
dataset is one manifest of one preset whose lines each carry at most one fault, so a
miss is one rule's; a dataset fault's line needs the earlier line it breaks its rule
against.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from synth.extras import missing
from synth.faults import DATASET_FAULTS, Case, DatasetFault
from synth.testing.cases import build_case
from synth.testing.probes import Line, Probe, line_of

if TYPE_CHECKING:
    from synth.testing.check import Plan


class _OutOfTime(BaseException):
    """Ends Hypothesis' loop at once (an Exception would be a failure to shrink)."""


def probe_of(cases: Sequence[Case], name: str, task: str) -> Probe:
    """A drawn dataset as a probe: a line whose fault is a dataset fault needs the first."""
    lines: list[Line] = []
    for index, case in enumerate(cases):
        across = index > 0 and any(f in DATASET_FAULTS for f in case.faults)
        lines.append(line_of(case, needs=(0,) if across else ()))
    if any(line.needs for line in lines):
        lines[0] = Line(
            lines[0].text,
            lines[0].rules,
            lines[0].warnings,
            lines[0].faults,
            neutral=lines[0].neutral or not lines[0].rules,
        )
    objects = {uri: data for case in cases for uri, data in case.objects.items()}
    return Probe(
        name,
        "drawn",
        "drawn",
        "A small dataset, each line with at most one fault, drawn by synth check.",
        task,
        "synth",
        "docs",
        tuple(lines),
        objects,
    )


def draw_probes(plan: Plan, left: Callable[[], float]) -> list[Probe]:
    """Up to `plan.drawn` drawn probes from `plan.seed`, fewer if `left()` runs out."""
    try:
        from hypothesis import HealthCheck, Phase, given, seed, settings
    except ImportError as error:
        raise missing(
            "hypothesis", "testing", "drawing cases (--cases 0 runs the fixed ones only)"
        ) from error

    tasks = sorted(plan.tasks or {"segmentation", "classification"})
    drawn: list[Probe] = []

    @seed(plan.seed)
    @settings(
        max_examples=plan.drawn,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=False,
    )
    @given(_manifests(tasks))
    def collect(example: tuple[str, list[Case]]) -> None:
        if left() <= 0:
            raise _OutOfTime
        task, cases = example
        drawn.append(probe_of(cases, f"drawn/{plan.seed}-{len(drawn) + 1}", task))

    with contextlib.suppress(_OutOfTime):
        collect()
    return drawn


def _manifests(tasks: Sequence[str]) -> Any:
    """(task, lines) of one small dataset: each line valid, a near-miss, or broken by a single
    fault (so a validator that reports lines is judged on each), and half the time a
    dataset fault's pair, its reference first and its line last."""
    from hypothesis import strategies as st

    from synth.testing.strategies import manifest_cases, presets

    @st.composite
    def draw(draw: st.DrawFn) -> tuple[str, list[Case]]:
        task = draw(st.sampled_from(tasks))
        preset = draw(presets(task=task))
        seeds = draw(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=6, unique=True))
        cases = [
            draw(manifest_cases(preset=preset, max_faults=1, among_others=True, seeds=st.just(s)))
            for s in seeds
        ]
        if not draw(st.booleans()):
            return task, cases
        # Images above the lines' seeds (< 2**32): new to the dataset.
        labels = draw(st.tuples(st.booleans(), st.booleans()))
        reference, target = (build_case(preset, 2**32 + n, labels[n]) for n in (0, 1))
        fitting = [
            f
            for f in DATASET_FAULTS.values()
            if isinstance(f, DatasetFault) and f.fits(reference, target)
        ]
        fault = draw(st.sampled_from(fitting))  # duplicate-image fits any pair
        rng = np.random.default_rng(draw(st.integers(0, 2**16)))
        return task, [reference, *cases, fault.apply(reference, target, rng)]

    return draw()
