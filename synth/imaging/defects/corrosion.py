"""Corrosion: an irregular crust of rust, granular and raised, pitted, bleeding at its edge."""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from synth.imaging.defects import base

# Rust from fresh (orange-brown hydrated oxide) to old (dark brown, near-black magnetite).
_FRESH = np.array([0.74, 0.38, 0.14], np.float32)
_OLD = np.array([0.28, 0.15, 0.08], np.float32)


class Corrosion(base.Painter):
    """A rust patch with a ragged edge: granular, raised, pitted, with an orange bleed around it."""

    name = "corrosion"
    surfaces = ("painted", "machined-metal")
    params = base.declare(
        radius=base.ParamRange((0.05, 0.12), 0.01, 0.5, base.SHORT_SIDE, "patch size"),
        oxidation=base.ParamRange(
            (0.0, 1.0), 0.0, 1.0, "0..1", "colour: 0 fresh orange rust, 1 dark old oxide"
        ),
        pitting=base.ParamRange((0.3, 0.7), 0.0, 1.0, "0..1", "density of pits in the crust"),
    )

    def apply(self, image: np.ndarray, params: base.Params, rng: base.Rng) -> base.Painted:
        at = base.site(rng, image, params["radius"], reach=1.5, least=4.0)
        radius, box, shape = at.radius, at.box, at.ys.shape
        coarse = base.box_noise(shape, max(3.0, radius / 3), rng)
        medium = base.box_noise(shape, max(2.0, radius / 10), rng)
        crust = base.box_noise(shape, 3.0, rng)
        grain = ndimage.uniform_filter(rng.standard_normal(shape).astype(np.float32), 2)
        # A ragged outline: a disc pushed in and out by noise; the finer noise leaves
        # satellite spots beyond the main edge, as rust creeping under a coating does.
        field = 1 - at.rho() + 0.3 * coarse + 0.22 * medium
        alpha = np.clip(field / 0.2, 0.0, 1.0)
        mask_patch = base.at_least_centre(field >= 0.1, -field)
        tint = _FRESH + (_OLD - _FRESH) * params["oxidation"]
        # Older, darker oxide in the thick middle; the growing edge is brighter.
        age = np.clip(field / 0.7, 0.0, 1.0)
        mottle = (1 + 0.25 * medium + 0.2 * crust + 0.15 * grain) * (1.1 - 0.3 * age)
        rust = tint * mottle[..., None] * rng.uniform(0.85, 1.1)
        # Pits: dark, steep dimples scattered over the thick part of the crust.
        seeds = (rng.random(shape) < 0.012 * params["pitting"]) & (alpha > 0.8)
        pits = ndimage.gaussian_filter(seeds.astype(np.float32), rng.uniform(0.7, 1.3)) * 6
        pits = np.clip(pits, 0.0, 1.0)
        rust = rust * (1 - 0.75 * pits)[..., None]
        patch = image[box]
        # Bleed: a thin orange stain just beyond the crust.
        bleed = 0.3 * np.clip((field + 0.08) / 0.08, 0.0, 1.0) * (1 - alpha)
        stained = patch * (1 - bleed[..., None]) + patch * tint * 1.6 * bleed[..., None]
        crusted = stained * (1 - alpha[..., None]) + rust * alpha[..., None]
        height = alpha * (1.2 + 1.0 * crust + 0.6 * grain) - 2.5 * pits
        shaded = base.shade(crusted, height, base.light(rng), strength=0.6, gloss=0.03)
        return base.compose(
            image, box, shaded.astype(np.float32), mask_patch, math.ceil(0.25 * radius) + 3
        )
