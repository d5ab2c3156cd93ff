"""Corrosion: an irregular crust of rust, granular and raised, pitted, bleeding at its edge."""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from synth.imaging.defects import base
from synth.registry import PAINTERS

# Rust from fresh (orange-brown hydrated oxide) to old (dark brown, near-black magnetite).
_FRESH = np.array([0.74, 0.38, 0.14], np.float32)
_OLD = np.array([0.28, 0.15, 0.08], np.float32)


class Corrosion(base.Painter, name="corrosion", surfaces=("painted", "machined-metal")):
    """A rust patch with a ragged edge: granular, raised, pitted, with an orange bleed around it."""

    params = base.declare(
        radius=base.size((0.05, 0.12), within=(0.01, 0.5), doc="patch size"),
        oxidation=base.share((0.0, 1.0), doc="colour: 0 fresh orange rust, 1 dark old oxide"),
        pitting=base.share((0.3, 0.7), doc="density of pits in the crust"),
    )

    def apply(self, image: np.ndarray, params: base.Params, rng: base.Rng) -> base.Painted:
        at = base.site(rng, image, params["radius"], reach=1.5, least=4.0)
        radius, shape = at.radius, at.shape
        coarse = base.box_noise_rows(shape, max(3.0, radius / 3), rng)
        medium = base.box_noise_rows(shape, max(2.0, radius / 10), rng)
        crust = base.box_noise_rows(shape, 3.0, rng)
        speckle = base.draw_rows(shape, rng.standard_normal, np.float32)
        tint = _FRESH + (_OLD - _FRESH) * params["oxidation"]
        shine = rng.uniform(0.85, 1.1)
        pitting = 0.012 * params["pitting"]
        seeds = base.draw_rows(shape, lambda size: rng.random(size) < pitting, bool)
        spread = rng.uniform(0.7, 1.3)
        lit = base.light(rng)

        def strip(top: int, bottom: int) -> base.Strip:
            fine = medium(top, bottom)
            layered = crust(top, bottom)
            grain = ndimage.uniform_filter(speckle[top:bottom], 2)
            # A ragged outline: a disc pushed in and out by noise; the finer noise leaves
            # satellite spots beyond the main edge, as rust creeping under a coating does.
            field = 1 - at.rho(top, bottom) + 0.3 * coarse(top, bottom) + 0.22 * fine
            alpha = np.clip(field / 0.2, 0.0, 1.0)
            # Older, darker oxide in the thick middle; the growing edge is brighter.
            age = np.clip(field / 0.7, 0.0, 1.0)
            mottle = (1 + 0.25 * fine + 0.2 * layered + 0.15 * grain) * (1.1 - 0.3 * age)
            # Pits: dark, steep dimples scattered over the thick part of the crust.
            pitted = (seeds[top:bottom] & (alpha > 0.8)).astype(np.float32)
            pits = np.clip(ndimage.gaussian_filter(pitted, spread) * 6, 0.0, 1.0)
            rust = base.outer(mottle * (1 - 0.75 * pits) * shine, tint)
            # Bleed: a thin orange stain just beyond the crust.
            bleed = 0.3 * np.clip((field + 0.08) / 0.08, 0.0, 1.0) * (1 - alpha)
            stained = base.outer(bleed, tint * 1.6 - 1)
            stained += 1
            np.multiply(image[at.box][top:bottom], stained, out=stained)
            base.each_channel(np.multiply, stained, 1 - alpha, out=stained)
            base.each_channel(np.multiply, rust, alpha, out=rust)
            crusted = np.add(stained, rust, out=stained)
            height = alpha * (1.2 + 1.0 * layered + 0.6 * grain) - 2.5 * pits
            shaded = base.shade(crusted, height, lit, strength=0.6, gloss=0.03)
            return base.Strip(shaded, field >= 0.1, -field)

        # The pits' blur reaches 4 sigma, the grain's box one row, the slope one more.
        halo = math.ceil(4 * spread) + 3
        return base.paint_strips(image, at.box, strip, math.ceil(0.25 * radius) + 3, halo)


PAINTERS.add(Corrosion())
