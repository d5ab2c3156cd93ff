"""What procedural textures share: the callable's shape and tinting a gray field."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# (height, width, rng) -> float32 (height, width, 3) in [0, 1]. The docstring's first
# line is the texture's description in `synth textures` and the README.
Texture = Callable[[int, int, np.random.Generator], np.ndarray]


def tint(gray: np.ndarray, color: np.ndarray) -> np.ndarray:
    """A gray field (about 1 = the color itself) times an RGB color, clipped to [0, 1]."""
    return np.clip(gray[..., None] * color[None, None, :], 0.0, 1.0).astype(np.float32)
