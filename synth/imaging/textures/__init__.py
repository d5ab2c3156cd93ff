"""Base images: the surfaces defects are painted on, one module per family.

Procedural textures are drawn from noise blurred at low resolution and upsampled
(a large blur at full size would cost more than the PNG encode). Each module registers its
textures in `TEXTURES` (declared in `synth.registry`, which imports this package on first
use) with `TEXTURES.add(Texture(name, render))`: nothing else lists them. Another package
adds a texture with an entry point in the group `synth.textures` naming a `Texture`.
"""

from __future__ import annotations

import numpy as np

from synth.imaging import checks
from synth.imaging.base_images import check_image, check_roi, load_base, load_part, roi_of
from synth.imaging.textures.base import Texture
from synth.registry import TEXTURES, import_submodules

__all__ = [
    "TEXTURES",
    "Texture",
    "check_image",
    "check_roi",
    "load_base",
    "load_part",
    "render_base",
    "roi_of",
]

import_submodules(__name__)


def render_base(texture: str, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """float32 array (height, width, 3) in [0, 1]."""
    made = checks.call(f"texture {texture!r}", TEXTURES.get_entry(texture), height, width, rng)
    return checks.texture(texture, made, height, width)
