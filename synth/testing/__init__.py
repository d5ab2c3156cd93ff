"""For test authors, one import: the Hypothesis strategies, `every_case()`, `Case`, and
`check_validator()` (`synth check` from Python).

    from synth.testing import every_case, manifest_cases, manifests

The pytest plugin module lives in this package, so importing it must stay light: the
names below load on first use (PEP 562), not when pytest starts. Type checkers see
them with their real types (the imports under TYPE_CHECKING).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synth.faults import Case
    from synth.testing.cases import every_case
    from synth.testing.check import check_validator
    from synth.testing.pytest_plugin import MockedBucket
    from synth.testing.strategies import (
        bucket_names,
        color_maps,
        datasets,
        defect_classes,
        hex_colors,
        label_metadata,
        manifest_cases,
        masks,
        presets,
        s3_uris,
        valid_cases,
    )
    from synth.testing.verdicts import ManifestCase, every_manifest, manifests

# The strategies synth.strategies hands out too.
STRATEGIES = (
    "bucket_names",
    "color_maps",
    "datasets",
    "defect_classes",
    "hex_colors",
    "label_metadata",
    "manifest_cases",
    "manifests",
    "masks",
    "presets",
    "s3_uris",
    "valid_cases",
)
_WHERE = {
    "Case": "synth.faults",
    "ManifestCase": "synth.testing.verdicts",
    "MockedBucket": "synth.testing.pytest_plugin",
    "check_validator": "synth.testing.check",
    "every_case": "synth.testing.cases",
    "every_manifest": "synth.testing.verdicts",
    "manifests": "synth.testing.verdicts",
    **dict.fromkeys(set(STRATEGIES) - {"manifests"}, "synth.testing.strategies"),
}

__all__ = [
    "Case",
    "ManifestCase",
    "MockedBucket",
    "bucket_names",
    "check_validator",
    "color_maps",
    "datasets",
    "defect_classes",
    "every_case",
    "every_manifest",
    "hex_colors",
    "label_metadata",
    "manifest_cases",
    "manifests",
    "masks",
    "presets",
    "s3_uris",
    "valid_cases",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'synth.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)


def __dir__() -> list[str]:
    return __all__
