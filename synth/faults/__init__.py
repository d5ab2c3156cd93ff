"""The fault catalogue: ways to break a manifest line or its objects, naming the rules broken.

Each module registers its faults with `CATALOGUE.add(...)` when imported, and every
module here is imported with the package: field faults, near-misses (valid lines that look
odd), object and text faults. Faults no single line carries,
dataset faults (a line breaking a rule across lines) and project faults (a small
project's shape), have their own registry, `DATASET_FAULTS`. Another package adds faults
through the `synth.faults` and `synth.dataset_faults` entry-point groups.
"""

from synth.faults.compose import break_case, clash, compose
from synth.faults.dataset import DatasetFault
from synth.faults.model import Case, Fault, FaultError, MultiLineFault, fault
from synth.faults.project import ProjectFault
from synth.faults.registry import (
    CATALOGUE,
    DATASET_FAULTS,
    TREE_FAULTS,
    breaking,
    choose,
    choose_tree,
    markdown_table,
    near_misses,
    select,
)
from synth.faults.tree import TreeFault
from synth.registry import import_submodules

__all__ = [
    "CATALOGUE",
    "DATASET_FAULTS",
    "TREE_FAULTS",
    "Case",
    "DatasetFault",
    "Fault",
    "FaultError",
    "MultiLineFault",
    "ProjectFault",
    "TreeFault",
    "break_case",
    "breaking",
    "choose",
    "choose_tree",
    "clash",
    "compose",
    "fault",
    "markdown_table",
    "near_misses",
    "select",
]

import_submodules(__name__)  # each module registers its faults
