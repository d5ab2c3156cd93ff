"""Dust: a drift of fine grey particles and a haze, thick at its middle, thinning out."""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from synth.imaging.defects import base

# Dust shows by contrast: pale on a dark surface, grey-brown grime on a bright one.
_PALE = np.array([0.8, 0.78, 0.74], np.float32)
_GRIME = np.array([0.4, 0.37, 0.33], np.float32)


class Dust(base.Painter):
    """Contamination: a patch of settled dust, a light haze strewn with specks of two sizes."""

    name = "dust"
    surfaces = ("pcb", "plastic")
    params = base.declare(
        radius=base.ParamRange((0.05, 0.12), 0.01, 0.5, base.SHORT_SIDE, "patch size"),
        density=base.ParamRange((0.4, 0.8), 0.05, 1.0, "0..1", "how thickly the dust lies"),
        grain=base.ParamRange((0.7, 1.4), 0.4, 4.0, "px", "speck size"),
    )

    def apply(self, image: np.ndarray, params: base.Params, rng: base.Rng) -> base.Painted:
        density = params["density"]
        grain = params["grain"]
        at = base.site(rng, image, params["radius"], reach=1.4, least=4.0)
        radius, box, ys = at.radius, at.box, at.ys
        lobes = base.box_noise(ys.shape, max(3.0, radius / 2.5), rng)
        field = 1 - at.rho() + 0.3 * lobes
        cover = np.clip(field / 0.6, 0.0, 1.0)
        mask_patch = base.at_least_centre(cover >= 0.5, -field)
        fine = rng.random(ys.shape) < 0.1 * density * cover
        coarse = rng.random(ys.shape) < 0.003 * density * cover
        specks = ndimage.gaussian_filter(fine * rng.uniform(0.5, 1.0, ys.shape), grain / 2)
        specks = specks * (2 * np.pi * (grain / 2) ** 2)
        clumps = ndimage.gaussian_filter(coarse.astype(np.float32), grain)
        specks = specks + clumps * (2 * np.pi * grain**2)
        haze = 0.35 * density * cover
        amount = np.clip(haze + 0.5 * np.clip(specks, 0.0, 1.0), 0.0, 0.9)
        patch = image[box]
        dust = _PALE if float(patch.mean()) < 0.55 else _GRIME
        dusted = patch + (dust * rng.uniform(0.9, 1.1) - patch) * amount[..., None]
        return base.compose(
            image, box, dusted.astype(np.float32), mask_patch, math.ceil(0.25 * radius) + 3
        )
