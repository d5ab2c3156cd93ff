"""Chip: a flake of coating broken off to the primer or the bare metal, with a hard stepped edge."""

from __future__ import annotations

import math

import numpy as np

from synth.imaging.defects import base
from synth.registry import PAINTERS

# Primer: light grey, red oxide, off-white.
_PRIMERS = np.array([[0.62, 0.62, 0.6], [0.55, 0.26, 0.18], [0.8, 0.78, 0.72]], np.float32)


class Chip(base.Painter, name="chip", surfaces=("painted", "ceramic-tile")):
    """Paint flaked off to primer or bare metal: an angular hard edge, stepped and lit."""

    params = base.declare(
        radius=base.size((0.025, 0.06), within=(0.005, 0.3), doc="flake size"),
        bare=base.share((0.0, 1.0), doc="chance the flake goes through the primer to metal"),
        thickness=base.px((0.6, 1.2), within=(0.2, 3.0), doc="height of the coating's step"),
    )

    def apply(self, image: np.ndarray, params: base.Params, rng: base.Rng) -> base.Painted:
        step = params["thickness"]
        at = base.site(rng, image, params["radius"], reach=1.6, least=3.0, pad=2)
        radius = at.radius
        to_metal = rng.random() < params["bare"]
        # An angular flake: the intersection of a few half-planes (straight fractures
        # around the centre), its edges bitten by fine noise. `inset`: px inside the edge.
        sides = int(rng.integers(5, 9))
        normals = np.linspace(0, 2 * math.pi, sides, endpoint=False) + rng.uniform(0, math.pi)
        normals += rng.uniform(-0.3, 0.3, sides) * 2 * math.pi / sides
        reach = radius * rng.uniform(0.55, 1.0, sides)
        bite = base.box_noise_rows(at.shape, max(1.5, radius / 6), rng)
        primer = _PRIMERS[rng.integers(len(_PRIMERS))] * rng.uniform(0.9, 1.05)
        grain = base.box_noise_rows(at.shape, 2.0, rng)
        if to_metal:
            ring = rng.uniform(1.5, 3.5)  # the primer shows as a rim around the metal
            steel = rng.uniform(0.55, 0.72)
        lit = base.light(rng)

        def strip(top: int, bottom: int) -> base.Strip:
            dy, dx = at.offsets(top, bottom)
            inset = 0.06 * radius * bite(top, bottom)
            inset += np.min(
                [
                    r - (np.float32(math.cos(a)) * dx + np.float32(math.sin(a)) * dy)
                    for a, r in zip(normals, reach, strict=True)
                ],
                axis=0,
            )
            coverage = np.clip(inset + 0.5, 0.0, 1.0)
            grains = grain(top, bottom)
            floor = base.outer(1 + 0.04 * grains, primer)
            depth = step * coverage
            if to_metal:
                metal = np.clip(inset - ring + 0.5, 0.0, 1.0)
                base.each_channel(np.multiply, floor, 1 - metal, out=floor)
                base.each_channel(np.add, floor, (steel * (1 + 0.06 * grains)) * metal, out=floor)
                depth += 0.6 * step * metal
            # Under the step the floor gets less light: a dark fringe just inside the edge.
            fringe = 1 - 0.25 * np.exp(-np.maximum(inset, 0.0) / 1.5) * coverage
            patch = image[at.box][top:bottom]
            chipped = base.each_channel(np.multiply, patch, 1 - coverage)
            base.each_channel(np.multiply, floor, coverage * fringe, out=floor)
            np.add(chipped, floor, out=chipped)
            shaded = base.shade(chipped, -depth, lit, strength=1.2, gloss=0.25)
            return base.Strip(shaded, coverage >= 0.5, -inset)

        return base.paint_strips(image, at.box, strip, 3, halo=1)


PAINTERS.add(Chip())
