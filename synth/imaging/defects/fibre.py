"""Fibre: a loose hair or thread lying on the surface, casting a faint shadow."""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from synth.imaging.defects import base
from synth.registry import PAINTERS

# Dark hair, pale lint, a dyed thread.
_COLORS = np.array([[0.1, 0.08, 0.07], [0.88, 0.87, 0.84], [0.2, 0.3, 0.55]], np.float32)


class Fibre(base.Painter, name="fibre", surfaces=("pcb", "fabric")):
    """Contamination: a loose curling fibre (hair, lint, thread) with a soft shadow beside it."""

    params = base.declare(
        length=base.size((0.08, 0.25), within=(0.02, 1.0), doc="fibre length"),
        width=base.px((0.8, 1.6), within=(0.5, 4.0), doc="thickness"),
        curl=base.radians((0.3, 1.2), within=(0.0, 3.0), doc="how far the fibre turns"),
    )

    def apply(self, image: np.ndarray, params: base.Params, rng: base.Rng) -> base.Painted:
        length = params["length"] * min(image.shape[:2])
        half_width = params["width"] / 2
        start = np.array(base.centre(rng, image))
        path = base.walk(start, rng.uniform(0, 2 * math.pi), length, params["curl"], 0.04, rng)
        band = math.ceil(half_width + 4)
        box, distances = base.trace(path, np.full(len(path), half_width), image, band + 2)
        drawn = max(half_width, 0.5)
        lit = base.light(rng)
        # The shadow falls away from the light, offset by the fibre's height above the surface.
        offset = (lit[1] * 1.5, -lit[0] * 1.5)
        # Any fibre can land anywhere, but one the colour of the surface is not a defect
        # anyone could label: draw among the colours that stand out from this surface.
        contrast = np.abs(_COLORS.mean(axis=1) - float(image[box].mean()))
        showing = np.flatnonzero(contrast >= 0.2)
        choice = showing[rng.integers(len(showing))] if showing.size else np.argmax(contrast)
        color = _COLORS[choice] * rng.uniform(0.85, 1.15)

        def strip(top: int, bottom: int) -> base.Strip:
            distance, _ = distances(top, bottom)
            coverage = np.clip(drawn - distance + 0.5, 0.0, 1.0) * min(1.0, 2 * half_width)
            shadow = ndimage.gaussian_filter(ndimage.shift(coverage, offset, order=1), 0.8)
            shaded = color * (1 - 0.5 * shadow * (1 - coverage))[..., None]
            patch = image[box][top:bottom]
            step = shaded - patch
            base.each_channel(np.multiply, step, 0.9 * coverage, out=step)
            fibred = np.add(patch, step, out=step)
            return base.Strip(np.clip(fibred, 0, 1, out=fibred), distance <= drawn, distance)

        # The shadow is shifted by up to 2 rows and blurred over 4 more.
        return base.paint_strips(image, box, strip, band, halo=7)


PAINTERS.add(Fibre())
