"""The fault registries: each refuses a fault naming a rule that does not exist.

`CATALOGUE` holds the faults one line carries (text, field, object, near-miss);
`DATASET_FAULTS` those that need more lines (dataset and project faults).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from synth.faults.model import Fault, MultiLineFault
from synth.format import RULES
from synth.registry import Registry, RegistryError

F = TypeVar("F", bound=Fault | MultiLineFault)


class FaultRegistry(Registry[F]):
    """Faults of one class by name; each registration checks its class, its name, and its
    rule and warning ids against RULES. An entry point may name a fault or a function
    returning one."""

    def __init__(self, group: str, kind: str, entry_type: type[F]) -> None:
        super().__init__(group, kind, self._as_entry)
        self.entry_type: type[F] = entry_type

    def _as_entry(self, loaded: Any) -> F:
        return loaded if isinstance(loaded, self.entry_type) else loaded()

    def register(self, name: str, entry: F) -> F:
        if not isinstance(entry, self.entry_type):
            wanted = self.entry_type.__name__
            raise RegistryError(f"{self.kind} {name!r} is a {type(entry).__name__}, not a {wanted}")
        if name != entry.name:
            raise RegistryError(f"{self.kind} {entry.name!r} is registered as {name!r}")
        unknown = sorted((entry.rules | entry.warnings) - set(RULES))
        if unknown:
            raise RegistryError(
                f"{self.kind} {name!r} names unknown rule ids: {', '.join(unknown)}"
            )
        return super().register(name, entry)

    def add(self, *faults: F) -> None:
        for entry in faults:
            self.register(entry.name, entry)


CATALOGUE: FaultRegistry[Fault] = FaultRegistry("synth.faults", "fault", Fault)
DATASET_FAULTS: FaultRegistry[MultiLineFault] = FaultRegistry(
    "synth.dataset_faults", "dataset fault", MultiLineFault
)


def near_misses() -> list[Fault]:
    """Faults that break nothing: valid lines that look odd, for catching strict validators."""
    return [f for f in CATALOGUE.values() if not f.rules]


def breaking() -> list[Fault]:
    return [f for f in CATALOGUE.values() if f.rules]


def choose(names_or_rules: Iterable[str]) -> tuple[list[Fault], list[MultiLineFault]]:
    """Line and dataset faults by name or by a rule id they break (or, for a rule no fault
    breaks, warn of); an unknown word is a ValueError naming it.
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
            raise ValueError(
                f"{word!r} is neither a fault nor a rule any fault breaks (see `synth faults`)"
            )
        lines.update(found_lines)
        datasets.update(found_datasets)
    return list(lines.values()), list(datasets.values())


def select(names_or_rules: Iterable[str]) -> list[Fault]:
    """The line faults among `choose`'s: those a single line and its objects carry."""
    return choose(names_or_rules)[0]


def markdown_table(catalogue: Mapping[str, Fault | MultiLineFault] | None = None) -> str:
    """The README's table of faults (line faults, then dataset faults), generated from code."""
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
