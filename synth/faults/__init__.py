"""The fault catalogue: ways to break a manifest line or its objects, naming the rules broken."""

from synth.faults.catalogue import (
    CATALOGUE,
    Case,
    Fault,
    break_case,
    breaking,
    compose,
    markdown_table,
    near_misses,
    select,
)

__all__ = [
    "CATALOGUE",
    "Case",
    "Fault",
    "break_case",
    "breaking",
    "compose",
    "markdown_table",
    "near_misses",
    "select",
]
