"""Scratch: a curved groove with tapered ends, dark or bright, with a lit burr."""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from synth.imaging.defects import base
from synth.registry import PAINTERS

_OF_LENGTH = base.Unit("fraction of the length", (0.0, 1.0))  # a bend, relative to its stroke


class Scratch(base.Painter, name="scratch", surfaces=("brushed-metal", "plastic")):
    """A curved groove with tapered ends: dark or bright, with a lit burr along its edge."""

    params = base.declare(
        length=base.size((0.15, 0.5), within=(0.02, 1.5), doc="stroke length"),
        width=base.px((1.5, 3.5), within=(1.5, 24.0), doc="widest point of the stroke"),
        depth=base.share((0.5, 1.0), within=(0.05, 1.0), doc="how strongly the groove shows"),
        curvature=_OF_LENGTH((0.0, 0.3), doc="bend of the stroke"),
    )

    def apply(self, image: np.ndarray, params: base.Params, rng: base.Rng) -> base.Painted:
        length = params["length"] * min(image.shape[:2])
        stroke = params["width"]
        depth = params["depth"]
        bend = params["curvature"] * length
        # The chord's middle lies inside the image; the curve may bow away from it and a
        # thin stroke may miss every pixel centre, so the nearest pixel is labeled then.
        mid = np.array(base.centre(rng, image))
        angle = rng.uniform(0, math.pi)
        along = np.array([math.sin(angle), math.cos(angle)])
        across = np.array([along[1], -along[0]])
        p0, p3 = mid - along * length / 2, mid + along * length / 2
        p1 = mid - along * length / 6 + across * bend * rng.uniform(-1, 1)
        p2 = mid + along * length / 6 + across * bend * rng.uniform(-1, 1)
        samples = max(16, int(length * 2))
        t = np.linspace(0.0, 1.0, samples)[:, None]
        path = (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3
        jitter = ndimage.gaussian_filter1d(
            rng.standard_normal(samples), samples / 12, mode="nearest"
        )
        jitter /= max(1e-6, float(np.abs(jitter).max()))
        half = stroke / 2 * np.sin(np.pi * t[:, 0]) ** 0.6 * (1 + 0.25 * jitter)
        band = math.ceil(stroke / 2 + 3)
        box, distances = base.trace(path, half, image, stroke + band, pad=2)
        dark = rng.random() < 0.6
        lit = base.light(rng)

        def strip(top: int, bottom: int) -> base.Strip:
            distance, hw = distances(top, bottom)
            coverage = np.clip(hw - distance + 0.5, 0.0, 1.0)
            groove = np.clip(1 - (distance / np.maximum(hw, 0.5)) ** 2, 0, 1) * (-1.2 * depth)
            burr = 0.35 * depth * np.exp(-(((distance - hw - 0.7) / 0.7) ** 2)) * (hw > 0.2)
            patch = image[box][top:bottom]
            tone = patch * 0.45 if dark else patch * 0.5 + 0.45
            step = tone - patch
            base.each_channel(np.multiply, step, coverage * depth * 0.8, out=step)
            toned = np.add(patch, step, out=step)
            relief = (groove + burr) * stroke
            shaded = base.shade(toned, relief, lit, strength=0.9, gloss=0.5 * depth)
            return base.Strip(shaded, coverage >= 0.5, distance)

        return base.paint_strips(image, box, strip, band, halo=1)


PAINTERS.add(Scratch())
