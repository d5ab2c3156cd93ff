"""synth: synthetic defect datasets and Lookout for Vision manifests, valid or broken on purpose."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Dataset", "generate"]

if TYPE_CHECKING:
    from synth.run.generate import Dataset, generate


def __getattr__(name: str) -> Any:
    # Lazy, so `import synth` (as the pytest plugin does) does not pull in numpy and friends.
    if name in __all__:
        from synth.run import generate as module

        return getattr(module, name)
    raise AttributeError(f"module 'synth' has no attribute {name!r}")
