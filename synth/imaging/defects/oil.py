"""Oil film: a thin, darkening smear with a faint rainbow where the film thins out."""

from __future__ import annotations

import math

import numpy as np

from synth.imaging.defects import base
from synth.registry import PAINTERS

# Oil soaks light and yellows a surface slightly.
_OIL = np.array([0.62, 0.56, 0.42], np.float32)
_PHASES = np.array([0.0, 2.1, 4.2], np.float32)  # red, green, blue bands a third apart


class Oil(base.Painter, name="oil", surfaces=("machined-metal", "ceramic-tile")):
    """Contamination: an oil film, darker and amber where thick, iridescent where it thins."""

    params = base.declare(
        radius=base.size((0.05, 0.11), within=(0.01, 0.5), doc="film size"),
        opacity=base.share((0.5, 0.85), within=(0.1, 1.0), doc="how much the film darkens"),
        iridescence=base.share((0.2, 0.6), doc="rainbow at the thin edge"),
    )

    def apply(self, image: np.ndarray, params: base.Params, rng: base.Rng) -> base.Painted:
        opacity = params["opacity"]
        iridescence = params["iridescence"]
        stretch = rng.uniform(1.0, 1.8)
        angle = rng.uniform(0, math.pi)
        at = base.site(rng, image, params["radius"], reach=1.3 * stretch, least=4.0)
        radius = at.radius
        lobes = base.box_noise_rows(at.shape, max(3.0, radius / 2), rng)

        def strip(top: int, bottom: int) -> base.Strip:
            u, v = at.ellipse(angle, stretch, top, bottom)
            lobed = 0.3 * lobes(top, bottom)
            thick = 1 - np.hypot(u, v) / radius + lobed  # film thickness, > 0 inside
            # The film darkens with thickness; at its edge a meniscus holds a darker rim.
            rim_line = np.exp(-(((thick - 0.06) / 0.05) ** 2))
            alpha = np.sqrt(np.clip(thick / 0.35, 0.0, 1.0)) + 0.25 * rim_line
            alpha = opacity * np.clip(alpha, 0.0, 1.0)
            filmed = base.outer(alpha, 1 - _OIL)
            np.subtract(1, filmed, out=filmed)
            np.multiply(image[at.box][top:bottom], filmed, out=filmed)
            # Thin-film interference: colour bands that follow the thickness, strongest
            # at the rim.
            phase = 2 * np.pi * (4 * thick + lobed)
            rainbow = np.cos(phase[..., None] - _PHASES)
            rim = np.clip(thick / 0.35, 0.0, 1.0) * np.clip(1 - thick / 0.6, 0.0, 1.0)
            base.each_channel(np.multiply, rainbow, 0.2 * iridescence * rim, out=rainbow)
            filmed += rainbow
            return base.Strip(np.clip(filmed, 0, 1, out=filmed), alpha >= opacity / 2, -thick)

        return base.paint_strips(image, at.box, strip, math.ceil(0.1 * radius) + 2)


PAINTERS.add(Oil())
