"""Stain: an irregular discoloration with a soft edge and no relief."""

from __future__ import annotations

import math

import numpy as np

from synth.imaging.defects import base
from synth.imaging.noise import smooth_noise_rows
from synth.registry import PAINTERS

# Rust-brown, near-black grime, and a yellowed residue, as multipliers of the surface.
_COLORS = np.array([[0.45, 0.22, 0.08], [0.12, 0.11, 0.09], [0.55, 0.5, 0.3]], np.float32)


class Stain(base.Painter, name="stain", surfaces=("wood", "ceramic-tile")):
    """An irregular discoloration (rust, oil) with a soft edge: a defect with no relief."""

    params = base.declare(
        radius=base.size((0.04, 0.12), within=(0.01, 0.5), doc="stain size"),
        opacity=base.share((0.35, 0.7), within=(0.1, 1.0), doc="strength of the discoloration"),
    )

    def apply(self, image: np.ndarray, params: base.Params, rng: base.Rng) -> base.Painted:
        opacity = params["opacity"]
        at = base.site(rng, image, params["radius"], reach=1.6)
        radius = at.radius
        noise = smooth_noise_rows(at.shape, max(3.0, radius / 3), rng)
        tint = _COLORS[rng.integers(len(_COLORS))] * 1.2 - 1  # the change per unit of alpha

        def strip(top: int, bottom: int) -> base.Strip:
            rho = at.rho(top, bottom) * (1 + 0.35 * noise(top, bottom))
            alpha = opacity * np.clip((1.2 - rho) / 0.4, 0.0, 1.0)
            factor = base.outer(alpha, tint)
            factor += 1
            stained = np.multiply(image[at.box][top:bottom], factor, out=factor)
            return base.Strip(stained, alpha >= opacity / 2, rho)

        return base.paint_strips(image, at.box, strip, math.ceil(0.6 * radius) + 2)


PAINTERS.add(Stain())
