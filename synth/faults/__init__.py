"""The fault catalogue: ways to break a manifest line or its objects, naming the rules broken.

The modules register their faults in the catalogue on import: text, field and object
faults, then the near-misses (valid lines that look odd); dataset faults (a line that
breaks a rule across lines) have their own registry. Another package adds faults
through the `synth.faults` entry-point group.
"""

from synth.faults import fields, near_miss, objects, project, text  # noqa: F401  (registration)
from synth.faults.compose import break_case, clash, compose
from synth.faults.dataset import DATASET_FAULTS, DatasetFault
from synth.faults.model import Case, Fault, FaultError, fault
from synth.faults.project import ProjectFault
from synth.faults.registry import (
    CATALOGUE,
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
