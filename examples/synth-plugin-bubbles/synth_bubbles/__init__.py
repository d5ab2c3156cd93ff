"""A synth plugin: the `bubble` painter, registered by the entry point in pyproject.toml."""

from __future__ import annotations

import numpy as np

from synth.imaging.defects import base


class Bubble(base.Painter, name="bubble", surfaces=("painted", "plastic")):
    """A blister: a round dome of coating lifted by trapped air, with a glint on top."""

    params = base.declare(
        radius=base.size((0.02, 0.05), within=(0.005, 0.3), doc="size"),
        height=base.share((0.3, 0.8), within=(0.05, 1.0), doc="how far the coating is lifted"),
    )

    def apply(self, image: np.ndarray, params: base.Params, rng: base.Rng) -> base.Painted:
        # Draw everything random first: each strip below only computes, so the defect is
        # the same whatever the strip height.
        at = base.site(rng, image, params["radius"], reach=1.0, pad=3)
        lit = base.light(rng)
        lift = params["height"] * at.radius * 0.6

        def strip(top: int, bottom: int) -> base.Strip:
            rho = at.rho(top, bottom)
            dome = lift * np.clip(1 - rho * rho, 0, 1) ** 1.5
            shaded = base.shade(image[at.box][top:bottom], dome, lit, strength=1.4, gloss=0.6)
            return base.Strip(shaded, rho <= 1.0, rho)

        # The patch changes only within 2 px of the blister; shading reads one row each side.
        return base.paint_strips(image, at.box, strip, band=2, halo=1)
