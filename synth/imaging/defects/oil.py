"""Oil film: a thin, darkening smear with a faint rainbow where the film thins out."""

from __future__ import annotations

import math

import numpy as np

from synth.imaging.defects import base

# Oil soaks light and yellows a surface slightly.
_OIL = np.array([0.62, 0.56, 0.42], np.float32)


class Oil(base.Painter):
    """Contamination: an oil film, darker and amber where thick, iridescent where it thins."""

    name = "oil"
    surfaces = ("machined-metal", "ceramic-tile")
    params = base.declare(
        radius=base.ParamRange((0.05, 0.11), 0.01, 0.5, base.SHORT_SIDE, "film size"),
        opacity=base.ParamRange((0.5, 0.85), 0.1, 1.0, "0..1", "how much the film darkens"),
        iridescence=base.ParamRange((0.2, 0.6), 0.0, 1.0, "0..1", "rainbow at the thin edge"),
    )

    def apply(self, image: np.ndarray, params: base.Params, rng: base.Rng) -> base.Painted:
        opacity = params["opacity"]
        stretch = rng.uniform(1.0, 1.8)
        angle = rng.uniform(0, math.pi)
        at = base.site(rng, image, params["radius"], reach=1.3 * stretch, least=4.0)
        radius, box = at.radius, at.box
        u, v = at.ellipse(angle, stretch)
        lobes = base.box_noise(at.ys.shape, max(3.0, radius / 2), rng)
        thick = 1 - np.hypot(u, v) / radius + 0.3 * lobes  # film thickness, > 0 inside
        # The film darkens with thickness; at its edge a meniscus holds a thicker, darker rim.
        rim_line = np.exp(-(((thick - 0.06) / 0.05) ** 2))
        alpha = opacity * np.clip(np.sqrt(np.clip(thick / 0.35, 0.0, 1.0)) + 0.25 * rim_line, 0, 1)
        mask_patch = base.at_least_centre(alpha >= opacity / 2, -thick)
        patch = image[box]
        filmed = patch * (1 - alpha[..., None] * (1 - _OIL))
        # Thin-film interference: colour bands that follow the thickness, strongest at the rim.
        phase = 2 * np.pi * (4 * thick + 0.3 * lobes)
        rainbow = np.cos(phase[..., None] - np.array([0.0, 2.1, 4.2], np.float32))
        rim = np.clip(thick / 0.35, 0.0, 1.0) * np.clip(1 - thick / 0.6, 0.0, 1.0)
        filmed = filmed + (0.2 * params["iridescence"] * rim)[..., None] * rainbow
        return base.compose(
            image,
            box,
            np.clip(filmed, 0, 1).astype(np.float32),
            mask_patch,
            math.ceil(0.1 * radius) + 2,
        )
