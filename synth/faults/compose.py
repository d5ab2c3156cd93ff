"""Applying faults: one drawn for a case, or several composed into one case."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import combinations

import numpy as np

from synth.faults.model import Case, Fault, FaultError
from synth.faults.registry import CATALOGUE

_ORDER = {"field": 0, "object": 1, "text": 2}  # text last: it rewrites the line as written


def _order(fault: Fault) -> tuple[int, int]:
    """Text last, and within a level the catalogue's order (a crop before a recolor, a
    file's padding after its re-encoding), so faults compose alike in any order given."""
    names = CATALOGUE.names()
    return _ORDER[fault.level], names.index(fault.name) if fault.name in names else len(names)


def break_case(case: Case, faults: Iterable[Fault], rng: np.random.Generator) -> Case:
    """The case broken by one of `faults` that fits it, drawn by `rng`; unchanged if none fits."""
    fitting = [f for f in faults if f.fits(case)]
    if not fitting:
        return case
    return fitting[int(rng.integers(len(fitting)))].apply(case, rng)


def clash(faults: Sequence[Fault]) -> str | None:
    """Why these faults cannot compose, or None when their rules add up."""
    for one, other in combinations(faults, 2):
        if one.name == other.name:
            return f"fault {one.name!r} is given twice"
        why = one.clash(other)
        if why is not None:
            return f"faults {one.name!r} and {other.name!r} do not compose: {why}"
    return None


def compose(
    case: Case,
    faults: Iterable[Fault],
    rng: np.random.Generator | Callable[[Fault], np.random.Generator],
) -> Case:
    """Apply several faults to one case: their rules add up.

    Faults compose when none changes what another changes or relies on (see
    `Fault.clash`); otherwise, or when one does not fit the case, a FaultError says which.
    `rng` is one generator for all, or a function giving each fault its own (a strategy's:
    a fault then draws the same whichever others are composed with it, so a failing case
    sheds them one by one as it shrinks).
    """
    chosen = list(faults)
    why = clash(chosen)
    if why is not None:
        raise FaultError(why)
    for entry in sorted(chosen, key=_order):
        case = entry.apply(case, rng(entry) if callable(rng) else rng)
    return case
