"""Defect painters: one module per kind, each registering its painter in `PAINTERS`.

Each painter draws its declared parameters, then paints one defect and returns the
new image and the pixels it labels (see `base`). The registry `PAINTERS` is declared in
`synth.registry`, which imports this package on first use. A new kind is one `Painter`
subclass in a module of its own here, ending with `PAINTERS.add(Kind())`: nothing else
lists it. Another package adds one with an entry point in the group `synth.painters`
(see docs/extending.md and examples/synth-plugin-bubbles).
"""

from __future__ import annotations

from synth.imaging.defects.base import Painted, Painter, ParamRange, resolve_params
from synth.registry import PAINTERS, import_submodules

__all__ = ["PAINTERS", "Painted", "Painter", "ParamRange", "resolve_params"]

import_submodules(__name__)
