"""Crack: a thin, dark, branching fracture that runs both ways from where it started."""

from __future__ import annotations

import math

import numpy as np

from synth.imaging.defects import base
from synth.registry import PAINTERS


class Crack(base.Painter, name="crack", surfaces=("ceramic-tile", "cast-metal")):
    """A thin dark fracture along a kinked path, tapering to hairline tips, with side branches."""

    params = base.declare(
        length=base.size((0.2, 0.45), within=(0.03, 1.5), doc="tip to tip"),
        width=base.px((1.2, 2.4), within=(0.8, 8.0), doc="opening at the origin"),
        branching=base.share((0.2, 0.6), doc="side branches, 0 = none"),
        roughness=base.share((0.3, 0.7), doc="how much the path kinks"),
    )

    def apply(self, image: np.ndarray, params: base.Params, rng: base.Rng) -> base.Painted:
        arm = params["length"] * min(image.shape[:2]) / 2
        opening = params["width"]
        rough = params["roughness"]
        origin = np.array(base.centre(rng, image))
        angle = rng.uniform(0, 2 * math.pi)
        paths, halves = [], []
        for heading in (angle, angle + math.pi):
            path = base.walk(origin, heading, arm * rng.uniform(0.7, 1.0), 0.6, 0.35 * rough, rng)
            taper = np.linspace(1.0, 0.0, len(path)) ** 0.8
            pinch = 1 + 0.35 * base.box_noise((len(path), 1), 12.0, rng)[:, 0]
            paths.append(path)
            halves.append(opening / 2 * taper * pinch)
        for _ in range(rng.poisson(4 * params["branching"])):
            trunk = int(rng.integers(2))
            at = int(rng.integers(len(paths[trunk]) // 5, max(2, 4 * len(paths[trunk]) // 5)))
            step = paths[trunk][min(at + 1, len(paths[trunk]) - 1)] - paths[trunk][at - 1]
            heading = math.atan2(step[0], step[1]) + rng.choice((-1, 1)) * rng.uniform(0.4, 1.0)
            twig = base.walk(paths[trunk][at], heading, arm * rng.uniform(0.2, 0.5), 0.5, 0.3, rng)
            paths.append(twig)
            halves.append(halves[trunk][at] * 0.8 * np.linspace(1.0, 0.0, len(twig)) ** 0.8)
        path, half = np.vstack(paths), np.maximum(np.concatenate(halves), 0.5)
        band = math.ceil(opening / 2 + 3)
        box, distances = base.trace(path, half, image, band + 2)
        lit = base.light(rng)

        def strip(top: int, bottom: int) -> base.Strip:
            distance, hw = distances(top, bottom)
            coverage = np.clip(hw - distance + 0.5, 0.0, 1.0)
            # A hairline is fainter than a full pixel of gap: its darkness follows its width.
            darkness = coverage * np.clip(hw * 1.6, 0.55, 0.92)
            darkness += 0.18 * np.exp(-(((distance - hw) / 1.2) ** 2)) * (distance > hw)  # halo
            dark = base.each_channel(np.multiply, image[box][top:bottom], 1 - darkness)
            # The lips of the fracture: a narrow groove, one lip lit and the other in shade.
            relief = -1.5 * opening * np.clip(1 - distance / (hw + 1.0), 0.0, 1.0)
            shaded = base.shade(dark, relief, lit, strength=0.5, gloss=0.1)
            return base.Strip(shaded, distance <= hw, distance)

        return base.paint_strips(image, box, strip, band, halo=1)


PAINTERS.add(Crack())
