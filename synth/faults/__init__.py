"""The fault catalogue: ways to break a manifest line or its objects, naming the rules broken.

The modules register their faults in the catalogue on import: text, field and object
faults, then the near-misses (valid lines that look odd). Faults no single line carries,
dataset faults (a line breaking a rule across lines) and project faults (a small
project's shape), have their own registry, `DATASET_FAULTS`. Another package adds faults
through the `synth.faults` and `synth.dataset_faults` entry-point groups.
"""

from synth.faults import dataset, fields, near_miss, objects, project, text  # noqa: F401 (registration)
from synth.faults.compose import break_case, clash, compose
from synth.faults.dataset import DatasetFault
from synth.faults.model import Case, Fault, FaultError, MultiLineFault, fault
from synth.faults.project import ProjectFault
from synth.faults.registry import (
    CATALOGUE,
    DATASET_FAULTS,
    breaking,
    choose,
    markdown_table,
    near_misses,
    select,
)

__all__ = [
    "CATALOGUE",
    "DATASET_FAULTS",
    "Case",
    "DatasetFault",
    "Fault",
    "FaultError",
    "MultiLineFault",
    "ProjectFault",
    "break_case",
    "breaking",
    "choose",
    "clash",
    "compose",
    "fault",
    "markdown_table",
    "near_misses",
    "select",
]
