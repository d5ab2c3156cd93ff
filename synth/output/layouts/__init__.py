"""Output layouts: one module per layout, each registering its layout in `LAYOUTS`.

The registry `LAYOUTS` is declared in `synth.registry`, which imports this package on
first use. A new layout is one `OutputLayout` subclass in a module of its own here,
ending with `LAYOUTS.add(Kind())`: nothing else lists it. Another package adds one with
an entry point in the group `synth.layouts`.
"""

from __future__ import annotations

from synth.output.layouts.base import Files, OutputLayout
from synth.registry import LAYOUTS, import_submodules

__all__ = ["LAYOUTS", "Files", "OutputLayout"]

import_submodules(__name__)
