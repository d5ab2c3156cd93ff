"""Defect painters: each draws one defect and returns the new image and the pixels it labels.

A painter builds a small height field on the defect's bounding box, lights it with
one shared shading function (a dark side, a lit side, a glint), and changes only
pixels within `band` of the labeled set: the anti-aliased edge, burr or rim. The
mask is exact by construction: it is computed first, and the change is confined to
its neighbourhood with a distance transform.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from synth.imaging.noise import smooth_noise
from synth.registry import Registry


@dataclass(frozen=True, slots=True)
class ParamRange:
    """A preset parameter given as [low, high]; the painter draws a value uniformly from it."""

    default: tuple[float, float]
    minimum: float
    maximum: float
    unit: str
    doc: str


@dataclass(frozen=True, slots=True)
class Painted:
    image: np.ndarray  # float32 (H, W, 3) in [0, 1], a new array
    mask: np.ndarray  # bool (H, W): exactly the pixels this defect labels, never empty
    band: int  # pixels farther than this from `mask` are unchanged


class Painter(Protocol):
    name: str
    params: Mapping[str, ParamRange]

    def __call__(
        self, image: np.ndarray, rng: np.random.Generator, params: Mapping[str, tuple[float, float]]
    ) -> Painted: ...


def resolve_params(painter: Painter, given: Mapping[str, object]) -> dict[str, tuple[float, float]]:
    """The painter's full parameter set: the preset's ranges, checked, over the defaults."""
    resolved: dict[str, tuple[float, float]] = {}
    for name in given:
        if name not in painter.params:
            raise ValueError(
                f"unknown parameter {name!r} for painter {painter.name!r}; "
                f"known: {', '.join(painter.params)}"
            )
    for name, spec in painter.params.items():
        value = given.get(name, spec.default)
        if not (
            isinstance(value, list | tuple)
            and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        ):
            raise ValueError(f"{name}: must be [low, high], got {value!r}")
        low, high = float(value[0]), float(value[1])
        if low > high:
            raise ValueError(f"{name}: low {low} is above high {high}")
        if low < spec.minimum or high > spec.maximum:
            raise ValueError(
                f"{name}: [{low}, {high}] is outside [{spec.minimum}, {spec.maximum}] ({spec.unit})"
            )
        resolved[name] = (low, high)
    return resolved


def _draw(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


def _light(rng: np.random.Generator) -> np.ndarray:
    """Light from the upper left, as people expect surface relief to be lit."""
    azimuth = math.radians(rng.uniform(110.0, 160.0))
    elevation = math.radians(rng.uniform(35.0, 55.0))
    return np.array(
        [
            math.cos(elevation) * math.cos(azimuth),
            -math.cos(elevation) * math.sin(azimuth),
            math.sin(elevation),
        ],
        np.float32,
    )


def shade(
    patch: np.ndarray, height: np.ndarray, light: np.ndarray, strength: float, gloss: float
) -> np.ndarray:
    """Light a height field (in px) over an image patch: Lambert relative to flat, and a glint."""
    gy, gx = np.gradient(height.astype(np.float32))
    norm = np.sqrt(gx * gx + gy * gy + 1.0)
    lambert = (-gx * light[0] - gy * light[1] + light[2]) / norm
    relief = (lambert - light[2]) * strength
    half = light + np.array([0.0, 0.0, 1.0], np.float32)
    half /= np.linalg.norm(half)
    specular = np.clip((-gx * half[0] - gy * half[1] + half[2]) / norm, 0.0, 1.0) ** 40
    flat_specular = float(half[2]) ** 40
    glint = gloss * np.clip(specular - flat_specular, 0.0, None)
    return np.clip(patch * (1.0 + relief[..., None]) + glint[..., None], 0.0, 1.0)


def _bbox(
    cy: np.ndarray | float, cx: np.ndarray | float, margin: float, shape: tuple[int, ...]
) -> tuple[slice, slice]:
    top = max(0, math.floor(np.min(cy) - margin))
    left = max(0, math.floor(np.min(cx) - margin))
    bottom = min(shape[0], math.ceil(np.max(cy) + margin) + 1)
    right = min(shape[1], math.ceil(np.max(cx) + margin) + 1)
    return slice(top, bottom), slice(left, right)


def _compose(
    image: np.ndarray,
    box: tuple[slice, slice],
    new_patch: np.ndarray,
    mask_patch: np.ndarray,
    band: int,
) -> Painted:
    """Put the painted patch back, changed only within `band` px of the labeled pixels."""
    near = ndimage.distance_transform_edt(~mask_patch) <= band
    out = image.copy()
    out[box] = np.where(near[..., None], new_patch, image[box]).astype(np.float32)
    mask = np.zeros(image.shape[:2], bool)
    mask[box] = mask_patch
    return Painted(image=out, mask=mask, band=band)


def _at_least_centre(mask: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """A tiny defect still labels its centre pixel: a mask is never empty."""
    if not mask.any():
        mask[np.unravel_index(np.argmin(rho), rho.shape)] = True
    return mask


class Scratch:
    """A curved groove with tapered ends: dark or bright, with a lit burr along its edge."""

    name = "scratch"
    params: Mapping[str, ParamRange] = {
        "length": ParamRange(
            (0.15, 0.5), 0.02, 1.5, "fraction of the shorter side", "stroke length"
        ),
        "width": ParamRange((1.5, 3.5), 1.5, 24.0, "px", "widest point of the stroke"),
        "depth": ParamRange((0.5, 1.0), 0.05, 1.0, "0..1", "how strongly the groove shows"),
        "curvature": ParamRange(
            (0.0, 0.3), 0.0, 1.0, "fraction of the length", "bend of the stroke"
        ),
    }

    def __call__(
        self, image: np.ndarray, rng: np.random.Generator, params: Mapping[str, tuple[float, float]]
    ) -> Painted:
        height, width = image.shape[:2]
        length = _draw(rng, params["length"]) * min(height, width)
        stroke = _draw(rng, params["width"])
        depth = _draw(rng, params["depth"])
        bend = _draw(rng, params["curvature"]) * length
        # The widest point (the middle) lies inside the image, so the mask is never empty.
        mid = np.array([rng.uniform(0, height - 1), rng.uniform(0, width - 1)])
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
        box = _bbox(path[:, 0], path[:, 1], stroke + band + 2, image.shape)
        ys, xs = np.mgrid[box]
        distance, nearest = cKDTree(path).query(
            np.column_stack([ys.ravel(), xs.ravel()]), distance_upper_bound=stroke + band
        )
        distance = distance.reshape(ys.shape)
        far = ~np.isfinite(distance)
        hw = half[np.minimum(nearest, samples - 1)].reshape(ys.shape)
        distance[far] = 1e3
        coverage = np.clip(hw - distance + 0.5, 0.0, 1.0)
        mask_patch = coverage >= 0.5
        groove = -1.2 * depth * stroke * np.clip(1 - (distance / np.maximum(hw, 0.5)) ** 2, 0, 1)
        burr = 0.35 * depth * stroke * np.exp(-(((distance - hw - 0.7) / 0.7) ** 2))
        relief = groove + burr * (hw > 0.2)
        patch = image[box]
        tone = patch * 0.45 if rng.random() < 0.6 else patch * 0.5 + 0.45
        toned = patch + (tone - patch) * (coverage * depth * 0.8)[..., None]
        shaded = shade(toned, relief, _light(rng), strength=0.9, gloss=0.5 * depth)
        return _compose(image, box, shaded.astype(np.float32), mask_patch, band)


class Dent:
    """A smooth depression with a soft raised rim, lit so one side is dark and the other bright."""

    name = "dent"
    params: Mapping[str, ParamRange] = {
        "radius": ParamRange((0.04, 0.1), 0.01, 0.5, "fraction of the shorter side", "dent radius"),
        "depth": ParamRange((0.4, 1.0), 0.05, 1.0, "0..1", "how deep the dent looks"),
        "elongation": ParamRange((1.0, 1.6), 1.0, 4.0, "ratio", "long axis over short axis"),
    }

    def __call__(
        self, image: np.ndarray, rng: np.random.Generator, params: Mapping[str, tuple[float, float]]
    ) -> Painted:
        height, width = image.shape[:2]
        radius = max(2.0, _draw(rng, params["radius"]) * min(height, width))
        depth = _draw(rng, params["depth"])
        stretch = _draw(rng, params["elongation"])
        angle = rng.uniform(0, math.pi)
        cy, cx = rng.uniform(0, height - 1), rng.uniform(0, width - 1)
        reach = 1.5 * radius * stretch
        box = _bbox(cy, cx, reach, image.shape)
        ys, xs = np.mgrid[box]
        dy, dx = ys - cy, xs - cx
        u = (dx * math.cos(angle) + dy * math.sin(angle)) / stretch
        v = -dx * math.sin(angle) + dy * math.cos(angle)
        wobble = 1 + 0.08 * smooth_noise(ys.shape, max(4.0, radius / 2), rng)
        rho = np.sqrt(u * u + v * v) / (radius * wobble)
        amplitude = 0.35 * depth * radius
        bowl = -amplitude * (np.cos(np.pi * np.minimum(rho, 1.0)) + 1) / 2
        rim = 0.12 * amplitude * np.exp(-(((rho - 1.05) / 0.12) ** 2))
        mask_patch = _at_least_centre(rho <= 0.7, rho)
        band = math.ceil(0.8 * radius * stretch) + 2
        occlusion = 1 - 0.12 * depth * (bowl / -amplitude)
        shaded = shade(
            image[box] * occlusion[..., None], bowl + rim, _light(rng), 1.6, 0.35 * depth
        )
        return _compose(image, box, shaded.astype(np.float32), mask_patch, band)


class Stain:
    """An irregular discoloration (rust, oil) with a soft edge: a defect with no relief."""

    name = "stain"
    params: Mapping[str, ParamRange] = {
        "radius": ParamRange((0.04, 0.12), 0.01, 0.5, "fraction of the shorter side", "stain size"),
        "opacity": ParamRange((0.35, 0.7), 0.1, 1.0, "0..1", "strength of the discoloration"),
    }

    def __call__(
        self, image: np.ndarray, rng: np.random.Generator, params: Mapping[str, tuple[float, float]]
    ) -> Painted:
        height, width = image.shape[:2]
        radius = max(2.0, _draw(rng, params["radius"]) * min(height, width))
        opacity = _draw(rng, params["opacity"])
        cy, cx = rng.uniform(0, height - 1), rng.uniform(0, width - 1)
        box = _bbox(cy, cx, 1.6 * radius, image.shape)
        ys, xs = np.mgrid[box]
        rho = np.hypot(ys - cy, xs - cx) / radius
        rho = rho * (1 + 0.35 * smooth_noise(ys.shape, max(3.0, radius / 3), rng))
        alpha = opacity * np.clip((1.2 - rho) / 0.4, 0.0, 1.0)
        mask_patch = _at_least_centre(alpha >= opacity / 2, rho)
        colors = np.array([[0.45, 0.22, 0.08], [0.12, 0.11, 0.09], [0.55, 0.5, 0.3]], np.float32)
        color = colors[rng.integers(len(colors))]
        patch = image[box]
        stained = patch + (patch * color * 1.2 - patch) * alpha[..., None]
        return _compose(
            image, box, stained.astype(np.float32), mask_patch, math.ceil(0.6 * radius) + 2
        )


PAINTERS: Registry[Painter] = Registry(
    "synth.painters",
    "painter",
    coerce=lambda loaded: loaded() if isinstance(loaded, type) else loaded,
)
for _painter in (Scratch(), Dent(), Stain()):
    PAINTERS.register(_painter.name, _painter)
