"""The fault registries: each refuses a fault naming a rule that does not exist.

`CATALOGUE` holds the faults one line carries (text, field, object, near-miss);
`DATASET_FAULTS` those that need more lines (dataset and project faults), `TREE_FAULTS`
those of the MVTec AD tree's files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from synth.errors import ArgumentError
from synth.faults.model import Fault, MultiLineFault
from synth.faults.tree import TreeFault
from synth.format import MVTEC_RULES, RULES, Rule
from synth.registry import Registry, RegistryError

F = TypeVar("F", bound=Fault | MultiLineFault | TreeFault)


class FaultRegistry(Registry[F]):
    """Faults of one class by name, declared like every registry; a registration is also
    refused when its rule or warning ids are not in its table of rules (RULES, the
    manifest's; MVTEC_RULES for the tree faults)."""

    def __init__(
        self,
        group: str,
        kind: str,
        entry_type: str,
        built_in: str | None,
        rules: Mapping[str, Rule] = RULES,
    ) -> None:
        super().__init__(group, kind, entry_type, built_in)
        self.rules = rules

    def register(self, name: str, entry: F) -> F:
        unknown = sorted(
            (getattr(entry, "rules", set()) | getattr(entry, "warnings", set())) - set(self.rules)
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
# Faults of the MVTec AD tree (`--layout mvtec`), by the tree's rules.
TREE_FAULTS: FaultRegistry[TreeFault] = FaultRegistry(
    "synth.tree_faults", "tree fault", "synth.faults.tree:TreeFault", "synth.faults", MVTEC_RULES
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


def choose_tree(names_or_rules: Iterable[str]) -> list[TreeFault]:
    """Tree faults by name or by a rule id they break; empty: all of them. An unknown word
    is a ValueError naming it."""
    chosen: dict[str, TreeFault] = {}
    for word in names_or_rules:
        found = {f.name: f for f in TREE_FAULTS.values() if word == f.name or word in f.rules}
        if not found:
            raise ArgumentError(
                f"{word!r} is neither a tree fault nor a rule one breaks (see `synth faults`)"
            )
        chosen.update(found)
    return list(chosen.values()) if chosen else list(TREE_FAULTS.values())


def select(names_or_rules: Iterable[str]) -> list[Fault]:
    """The line faults among `choose`'s: those a single line and its objects carry."""
    return choose(names_or_rules)[0]


def markdown_table(
    catalogue: Mapping[str, Fault | MultiLineFault | TreeFault] | None = None,
) -> str:
    """The docs' table of faults (line faults, dataset faults, then the MVTec AD tree's),
    generated from code."""
    rows = ["| fault | level | breaks | what it does |", "|---|---|---|---|"]
    entries: list[Fault | MultiLineFault | TreeFault] = (
        [*CATALOGUE.values(), *DATASET_FAULTS.values(), *TREE_FAULTS.values()]
        if catalogue is None
        else [*catalogue.values()]
    )
    for entry in entries:
        breaks = ", ".join(f"`{r}`" for r in sorted(entry.rules)) or "nothing (near-miss)"
        if entry.warnings:
            breaks += " (warning: " + ", ".join(f"`{w}`" for w in sorted(entry.warnings)) + ")"
        rows.append(f"| `{entry.name}` | {entry.level} | {breaks} | {entry.doc} |")
    return "\n".join(rows)
