"""Seed derivation: every random draw of image i comes from (run seed, i, stream) alone.

That is what makes image i independent of how many images came before it, and a
dataset byte-identical whatever the worker count or shard layout.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    """Independent random streams of one image, so adding draws to one never shifts another."""

    RENDER = 0
    ANNOTATION = 1
    FAULT = 2
    STYLE = 3  # which style of a mix writes the image's line


def image_rng(seed: int, index: int, stream: Stream) -> np.random.Generator:
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index, stream)))
    )


def image_seed(seed: int, index: int, stream: Stream) -> int:
    """A 64-bit integer seed, for libraries with their own generator (Faker's random.Random)."""
    state = np.random.SeedSequence(seed, spawn_key=(index, stream)).generate_state(2, np.uint32)
    return int(state[0]) << 32 | int(state[1])
