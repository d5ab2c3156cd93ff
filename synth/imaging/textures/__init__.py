"""Base images: the surfaces defects are painted on, one module per family, registered here.

Procedural textures are drawn from noise blurred at low resolution and upsampled
(a large blur at full size would cost more than the PNG encode). The registry `TEXTURES`
is declared in `synth.registry`, which imports this module on first use. Another package adds
a texture with an entry point in the group `synth.textures`: a function
(height, width, rng) -> float32 (height, width, 3) in [0, 1].
"""

from __future__ import annotations

import numpy as np

from synth.imaging import checks
from synth.imaging.textures.base import Texture
from synth.imaging.textures.fabric import carpet, fabric
from synth.imaging.textures.leather import leather
from synth.imaging.textures.metal import brushed_metal, cast_metal, machined_metal
from synth.imaging.textures.painted import painted
from synth.imaging.textures.pcb import pcb
from synth.imaging.textures.photo import photo_texture
from synth.imaging.textures.plastic import plastic
from synth.imaging.textures.tile import ceramic_tile
from synth.imaging.textures.user import check_image, load_base
from synth.imaging.textures.wood import wood
from synth.registry import BASE_TEXTURES, TEXTURES

__all__ = ["BASE_TEXTURES", "TEXTURES", "Texture", "check_image", "load_base", "render_base"]

_BUILT_IN: tuple[tuple[str, Texture], ...] = (
    ("brushed-metal", brushed_metal),
    ("painted", painted),
    ("fabric", fabric),
    ("cast-metal", cast_metal),
    ("machined-metal", machined_metal),
    ("plastic", plastic),
    ("pcb", pcb),
    ("wood", wood),
    ("leather", leather),
    ("ceramic-tile", ceramic_tile),
    ("carpet", carpet),
    ("brick", photo_texture("brick", "Brick wall (scikit-image photo), tinted.")),
    ("gravel", photo_texture("gravel", "Gravel (scikit-image photo): optional, not a part.")),
    ("grass", photo_texture("grass", "Grass (scikit-image photo): optional, not a part.")),
)
for _name, _texture in _BUILT_IN:
    TEXTURES.register(_name, _texture)


def render_base(texture: str, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """float32 array (height, width, 3) in [0, 1]."""
    return checks.texture(texture, TEXTURES.get_entry(texture)(height, width, rng), height, width)
