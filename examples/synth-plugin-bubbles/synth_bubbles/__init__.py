"""A synth plugin: the `bubble` painter, registered by the entry point in pyproject.toml."""

from __future__ import annotations

import numpy as np

from synth.imaging.defects import base


class Bubble(base.Painter, name="bubble"):
    """A blister: a round dome of coating lifted by trapped air, with a glint on top."""

    params = base.declare(
        radius=base.size((0.02, 0.05), within=(0.005, 0.3), doc="size"),
        height=base.share((0.3, 0.8), within=(0.05, 1.0), doc="how far the coating is lifted"),
    )

    def apply(self, image: np.ndarray, params: base.Params, rng: base.Rng) -> base.Painted:
        at = base.site(rng, image, params["radius"], reach=1.0, pad=3)
        rho = at.rho()
        dome = params["height"] * at.radius * 0.6 * np.clip(1 - rho * rho, 0, 1) ** 1.5
        mask = base.at_least_centre(rho <= 1.0, rho)
        shaded = base.shade(image[at.box], dome, base.light(rng), strength=1.4, gloss=0.6)
        return base.compose(image, at.box, shaded.astype(np.float32), mask, 2)
