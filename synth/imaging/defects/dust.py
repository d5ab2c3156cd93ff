"""Dust: a drift of fine grey particles and a haze, thick at its middle, thinning out."""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from synth.imaging.defects import base
from synth.registry import PAINTERS

# Dust shows by contrast: pale on a dark surface, grey-brown grime on a bright one.
_PALE = np.array([0.8, 0.78, 0.74], np.float32)
_GRIME = np.array([0.4, 0.37, 0.33], np.float32)


class Dust(base.Painter, name="dust", surfaces=("pcb", "plastic")):
    """Contamination: a patch of settled dust, a light haze strewn with specks of two sizes."""

    params = base.declare(
        radius=base.size((0.05, 0.12), within=(0.01, 0.5), doc="patch size"),
        density=base.share((0.4, 0.8), within=(0.05, 1.0), doc="how thickly the dust lies"),
        grain=base.px((0.7, 1.4), within=(0.4, 4.0), doc="speck size"),
    )

    def apply(self, image: np.ndarray, params: base.Params, rng: base.Rng) -> base.Painted:
        density = params["density"]
        grain = params["grain"]
        at = base.site(rng, image, params["radius"], reach=1.4, least=4.0)
        radius, shape = at.radius, at.shape
        lobes = base.box_noise_rows(shape, max(3.0, radius / 2.5), rng)
        fine = base.draw_rows(shape, rng.random, np.float32)  # each below a threshold is a speck
        coarse = base.draw_rows(shape, rng.random, np.float32)
        shades = base.draw_rows(shape, lambda size: rng.uniform(0.5, 1.0, size), np.float32)
        # Dust shows by contrast: pale on a dark surface, grey-brown grime on a bright one.
        dust = _PALE if float(image[at.box].mean()) < 0.55 else _GRIME
        dust = dust * rng.uniform(0.9, 1.1)

        def strip(top: int, bottom: int) -> base.Strip:
            field = 1 - at.rho(top, bottom) + 0.3 * lobes(top, bottom)
            cover = np.clip(field / 0.6, 0.0, 1.0)
            specks = (fine[top:bottom] < 0.1 * density * cover) * shades[top:bottom]
            specks = ndimage.gaussian_filter(specks, grain / 2) * (2 * np.pi * (grain / 2) ** 2)
            clumps = (coarse[top:bottom] < 0.003 * density * cover).astype(np.float32)
            specks += ndimage.gaussian_filter(clumps, grain) * (2 * np.pi * grain**2)
            amount = np.clip(0.35 * density * cover + 0.5 * np.clip(specks, 0.0, 1.0), 0.0, 0.9)
            patch = image[at.box][top:bottom]
            step = dust - patch
            base.each_channel(np.multiply, step, amount, out=step)
            dusted = np.add(patch, step, out=step)
            return base.Strip(dusted, cover >= 0.5, -field)

        halo = math.ceil(4 * grain) + 1  # the clumps' blur reaches 4 sigma
        return base.paint_strips(image, at.box, strip, math.ceil(0.25 * radius) + 3, halo)


PAINTERS.add(Dust())
