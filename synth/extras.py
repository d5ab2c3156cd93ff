"""Optional dependencies: what only some users need is behind an extra of the distribution.

`require` imports one, or fails with one line naming the extra that brings it, so a
missing extra is a user's mistake to fix, never a traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from synth.errors import SynthError

DISTRIBUTION = "synth-lfv"  # the name on the package index; `synth` there is another project


class MissingExtra(SynthError, ImportError):
    """A feature used without the extra that brings its dependency."""

    code = "missing-extra"


def missing(module: str, extra: str, feature: str) -> MissingExtra:
    """The error for `feature`, which needs `module` from `extra`."""
    return MissingExtra(
        f"{feature} needs {module.split('.')[0]}, from the {extra} extra: "
        f"pip install '{DISTRIBUTION}[{extra}]'"
    )


def require(module: str, extra: str, feature: str) -> ModuleType:
    """`module`, imported, or `missing`'s error."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise missing(module, extra, feature) from error
