"""The fault registries: each refuses a fault naming a rule that does not exist.

`CATALOGUE` holds the faults one line carries (text, field, object, near-miss);
`DATASET_FAULTS` those that need more lines (dataset and project faults).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from synth.errors import ArgumentError
from synth.faults.model import Fault, MultiLineFault
from synth.format import RULES
from synth.registry import Registry, RegistryError

F = TypeVar("F", bound=Fault | MultiLineFault)


class FaultRegistry(Registry[F]):
    """Faults of one class by name, declared like every registry; a registration is also
    refused when its rule or warning ids are not in RULES."""

    def register(self, name: str, entry: F) -> F:
        unknown = sorted(
            (getattr(entry, "rules", set()) | getattr(entry, "warnings", set())) - set(RULES)
        )
        if unknown:
            raise RegistryError(
                f"{self.kind} {name!r} names unknown rule ids: {', '.join(unknown)}"
            )
        return super().register(name, entry)


CATALOGUE: FaultRegistry[Fault] = FaultRegistry(
    "synth.faults", "fault", "synth.faults.model:Fault", "synth.faults"
)
DATASET_FAULTS: FaultRegistry[MultiLineFault] = FaultRegistry(
    "synth.dataset_faults", "dataset fault", "synth.faults.model:MultiLineFault", "synth.faults"
)


def near_misses() -> list[Fault]:
    """Faults that break nothing: valid lines that look odd, for catching strict validators."""
    return [f for f in CATALOGUE.values() if not f.rules]


def breaking() -> list[Fault]:
    return [f for f in CATALOGUE.values() if f.rules]


def choose(names_or_rules: Iterable[str]) -> tuple[list[Fault], list[MultiLineFault]]:
    """Line and dataset faults by name or by a rule id they break (or, for a rule no fault
    breaks, warn of); an unknown word is an ArgumentError naming it.
    `--faults dataset.duplicate-image` thus picks a dataset fault."""
    lines: dict[str, Fault] = {}
    datasets: dict[str, MultiLineFault] = {}
    for word in names_or_rules:
        found_lines = {f.name: f for f in CATALOGUE.values() if word == f.name or word in f.rules}
        found_datasets = {
            f.name: f for f in DATASET_FAULTS.values() if word == f.name or word in f.rules
        }
        if not found_lines and not found_datasets:  # a rule only warned of (a warning rule)
            found_lines = {f.name: f for f in CATALOGUE.values() if word in f.warnings}
            found_datasets = {f.name: f for f in DATASET_FAULTS.values() if word in f.warnings}
        if not found_lines and not found_datasets:
            raise ArgumentError(
                f"{word!r} is neither a fault nor a rule any fault breaks (see `synth faults`)"
            )
        lines.update(found_lines)
        datasets.update(found_datasets)
    return list(lines.values()), list(datasets.values())


def select(names_or_rules: Iterable[str]) -> list[Fault]:
    """The line faults among `choose`'s: those a single line and its objects carry."""
    return choose(names_or_rules)[0]


def markdown_table(catalogue: Mapping[str, Fault | MultiLineFault] | None = None) -> str:
    """The docs' table of faults (line faults, then dataset faults), generated from code."""
    rows = ["| fault | level | breaks | what it does |", "|---|---|---|---|"]
    entries: list[Fault | MultiLineFault] = (
        [*CATALOGUE.values(), *DATASET_FAULTS.values()]
        if catalogue is None
        else [*catalogue.values()]
    )
    for entry in entries:
        breaks = ", ".join(f"`{r}`" for r in sorted(entry.rules)) or "nothing (near-miss)"
        if entry.warnings:
            breaks += " (warning: " + ", ".join(f"`{w}`" for w in sorted(entry.warnings)) + ")"
        rows.append(f"| `{entry.name}` | {entry.level} | {breaks} | {entry.doc} |")
    return "\n".join(rows)
