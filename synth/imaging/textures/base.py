"""What procedural textures share: the callable's shape and tinting a gray field."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# (height, width, rng) -> float32 (height, width, 3) in [0, 1]. The docstring's first
# line is the texture's description in `synth textures` and the README.
Texture = Callable[[int, int, np.random.Generator], np.ndarray]
_UNIT = np.float32(np.sqrt(12.0))  # uniform [0, 1) noise times this has variance 1


def grain(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """float32 noise of mean 0 and variance 1, uniform: several times cheaper than normal."""
    noise = rng.random(shape, np.float32)
    noise -= 0.5
    noise *= _UNIT
    return noise


def tint(gray: np.ndarray, color: np.ndarray) -> np.ndarray:
    """A gray field (about 1 = the color itself) times an RGB color, clipped to [0, 1]."""
    # One channel at a time: numpy broadcasting onto a last axis of 3 is several times slower.
    image = np.empty((*gray.shape, 3), np.float32)
    for channel, weight in enumerate(np.asarray(color, np.float32)):
        np.multiply(gray, weight, out=image[..., channel])
    return np.clip(image, 0.0, 1.0, out=image)
