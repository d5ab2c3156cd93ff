"""For test authors, one import: the Hypothesis strategies, `every_case()`, and `Case`.

    from synth.testing import every_case, manifest_cases

The pytest plugin module lives in this package, so importing it must stay light: the
names below load on first use (PEP 562), not when pytest starts.
"""

from __future__ import annotations

import importlib
from typing import Any

STRATEGIES = (
    "bucket_names",
    "color_maps",
    "datasets",
    "defect_classes",
    "hex_colors",
    "label_metadata",
    "manifest_cases",
    "masks",
    "presets",
    "s3_uris",
    "valid_cases",
)
_WHERE = {
    "Case": "synth.faults",
    "MockedBucket": "synth.testing.pytest_plugin",
    "every_case": "synth.testing.cases",
    **dict.fromkeys(STRATEGIES, "synth.testing.strategies"),
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'synth.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)


def __dir__() -> list[str]:
    return __all__
