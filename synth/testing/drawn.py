"""Drawn probes: small datasets from the Hypothesis strategies, reproducible from a seed.

`synth.testing.verdicts.manifests()` draws them: a manifest of one project whose lines
each carry at most one fault, so a miss is one rule's; a dataset fault's line needs the
earlier line it breaks its rule against. Hypothesis only generates (`synth check`
shrinks what fails itself, by lines, since it scores every probe rather than stopping
at the first failure).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from synth.extras import missing
from synth.faults import DATASET_FAULTS, Case
from synth.testing.probes import Line, Probe, line_of

if TYPE_CHECKING:
    from synth.testing.check import CheckSettings


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
        "A manifest drawn by synth.testing.manifests(), each line with one fault at most.",
        task,
        "synth",
        "docs",
        tuple(lines),
        objects,
    )


def draw_probes(settings: CheckSettings, left: Callable[[], float]) -> list[Probe]:
    """Up to `settings.drawn` drawn probes from `settings.seed`, fewer if `left()` runs out."""
    try:
        from hypothesis import HealthCheck, Phase, given, seed
        from hypothesis import settings as hypothesis_settings
        from hypothesis import strategies as st

        from synth.testing.verdicts import ManifestCase, manifests
    except ImportError as error:
        raise missing(
            "hypothesis", "testing", "drawing cases (--cases 0 runs the fixed ones only)"
        ) from error

    tasks = sorted(settings.tasks or {"segmentation", "classification"})
    drawn: list[Probe] = []

    def of_task(task: str) -> st.SearchStrategy[tuple[str, ManifestCase]]:
        return st.tuples(st.just(task), manifests(task=task, objects=settings.objects))

    @seed(settings.seed)
    @hypothesis_settings(
        max_examples=settings.drawn,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=False,
    )
    @given(st.sampled_from(tasks).flatmap(of_task))
    def collect(example: tuple[str, ManifestCase]) -> None:
        if left() <= 0:
            raise _OutOfTime
        task, manifest = example
        name = f"drawn/{settings.seed}-{len(drawn) + 1}"
        drawn.append(probe_of(manifest.lines, name, task))

    with contextlib.suppress(_OutOfTime):
        collect()
    return drawn
