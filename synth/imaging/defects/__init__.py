"""Defect painters: one module per kind, registered here by name.

Each painter draws its declared parameters, then paints one defect and returns the
new image and the pixels it labels (see `base`). The registry `PAINTERS` is declared in
`synth.registry`, which imports this module on first use. A new kind is one `Painter`
subclass in its own module plus one line below; another package adds one with an entry point in
the group `synth.painters` (see examples/synth-plugin-bubbles).
"""

from __future__ import annotations

from typing import Any

from synth.imaging.defects.base import Painted, Painter, ParamRange, resolve_params
from synth.imaging.defects.chip import Chip
from synth.imaging.defects.corrosion import Corrosion
from synth.imaging.defects.crack import Crack
from synth.imaging.defects.dent import Dent
from synth.imaging.defects.dust import Dust
from synth.imaging.defects.fibre import Fibre
from synth.imaging.defects.oil import Oil
from synth.imaging.defects.pit import Pit
from synth.imaging.defects.scratch import Scratch
from synth.imaging.defects.stain import Stain
from synth.registry import PAINTERS, RegistryError

__all__ = ["PAINTERS", "Painted", "Painter", "ParamRange", "resolve_params"]


def as_painter(loaded: Any) -> Painter:
    """A plugin's entry point names a Painter subclass (or an instance of one)."""
    entry = loaded() if isinstance(loaded, type) and issubclass(loaded, Painter) else loaded
    if not isinstance(entry, Painter):
        raise RegistryError(f"{loaded!r} is not a synth Painter subclass")
    return entry


for _built_in in (
    Scratch(),
    Dent(),
    Stain(),
    Crack(),
    Corrosion(),
    Chip(),
    Pit(),
    Oil(),
    Dust(),
    Fibre(),
):
    PAINTERS.register(_built_in.name, _built_in)
