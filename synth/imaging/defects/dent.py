"""Dent: a smooth depression with a soft raised rim."""

from __future__ import annotations

import math

import numpy as np

from synth.imaging.defects import base
from synth.imaging.noise import smooth_noise_rows
from synth.registry import PAINTERS


class Dent(base.Painter, name="dent", surfaces=("painted", "brushed-metal")):
    """A smooth depression with a soft raised rim, lit so one side is dark and the other bright."""

    params = base.declare(
        radius=base.size((0.04, 0.1), within=(0.01, 0.5), doc="dent radius"),
        depth=base.share((0.4, 1.0), within=(0.05, 1.0), doc="how deep the dent looks"),
        elongation=base.ratio((1.0, 1.6), within=(1.0, 4.0), doc="long axis over short axis"),
    )

    def apply(self, image: np.ndarray, params: base.Params, rng: base.Rng) -> base.Painted:
        depth = params["depth"]
        stretch = params["elongation"]
        angle = rng.uniform(0, math.pi)
        at = base.site(rng, image, params["radius"], reach=1.5 * stretch)
        radius = at.radius
        wobble = smooth_noise_rows(at.shape, max(4.0, radius / 2), rng)
        lit = base.light(rng)
        amplitude = 0.35 * depth * radius

        def strip(top: int, bottom: int) -> base.Strip:
            u, v = at.ellipse(angle, stretch, top, bottom)
            rho = np.hypot(u, v)
            rho /= radius * (1 + 0.08 * wobble(top, bottom))
            bowl = -amplitude * (np.cos(np.pi * np.minimum(rho, 1.0)) + 1) / 2
            rim = 0.12 * amplitude * np.exp(-(((rho - 1.05) / 0.12) ** 2))
            occlusion = 1 - 0.12 * depth * (bowl / -amplitude)
            patch = base.each_channel(np.multiply, image[at.box][top:bottom], occlusion)
            shaded = base.shade(patch, bowl + rim, lit, 1.6, 0.35 * depth)
            return base.Strip(shaded, rho <= 0.7, rho)

        band = math.ceil(0.8 * radius * stretch) + 2
        return base.paint_strips(image, at.box, strip, band, halo=1)


PAINTERS.add(Dent())
