"""Pit: a small, deep hole with steep walls, its inside in shadow."""

from __future__ import annotations

import math

import numpy as np

from synth.imaging.defects import base
from synth.registry import PAINTERS


class Pit(base.Painter, name="pit", surfaces=("cast-metal", "plastic")):
    """A small deep hole: steep walls, a dark shadowed inside, a lit far wall and a thin lip."""

    params = base.declare(
        radius=base.size((0.005, 0.012), within=(0.002, 0.05), doc="hole radius"),
        depth=base.share((0.6, 1.0), within=(0.1, 1.0), doc="how deep and dark the hole is"),
    )

    def apply(self, image: np.ndarray, params: base.Params, rng: base.Rng) -> base.Painted:
        depth = params["depth"]
        at = base.site(rng, image, params["radius"], reach=1.6, least=1.5, pad=3)
        radius = at.radius
        noise = base.box_noise_rows(at.shape, max(2.0, radius / 2), rng)
        lit = base.light(rng)

        def strip(top: int, bottom: int) -> base.Strip:
            rho = at.rho(top, bottom) / (1 + 0.12 * noise(top, bottom))
            inside = np.clip(1 - rho, 0.0, 1.0)
            lip = 0.12 * radius * depth * np.exp(-(((rho - 1.1) / 0.2) ** 2))
            height = -2.0 * depth * radius * np.sqrt(inside) + lip
            # Little light reaches the bottom of a deep hole: darken toward its centre.
            occlusion = 1 - depth * 0.85 * np.clip(inside * 2.5, 0.0, 1.0) ** 0.7
            patch = base.each_channel(np.multiply, image[at.box][top:bottom], occlusion)
            shaded = base.shade(patch, height, lit, 1.5, 0.15)
            return base.Strip(shaded, rho <= 1.0, rho)

        return base.paint_strips(image, at.box, strip, math.ceil(0.6 * radius) + 2, halo=1)


PAINTERS.add(Pit())
