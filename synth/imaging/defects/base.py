"""What every painter shares: declared parameters, the draw-then-apply split, light and compose.

A painter declares its parameters (`ParamRange`: a default [low, high], the allowed
bounds, a unit and a line of doc); `get_params` draws one value per parameter from the
preset's ranges, in declaration order, and `apply` paints with them. Relief is lit by
one shading function (a dark side, a lit side, a glint) and `compose` returns the
defect's box, changed only within `band` of the labeled set: the mask is
computed first, so it is exact by construction.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from synth.imaging.noise import smooth_noise

Ranges = Mapping[str, tuple[float, float]]  # a preset's [low, high] per parameter
Params = Mapping[str, float]  # one drawn value per parameter
Rng = np.random.Generator
SHORT_SIDE = "fraction of the shorter side"  # the unit of sizes that scale with the image


@dataclass(frozen=True, slots=True)
class ParamRange:
    """A preset parameter given as [low, high]; the painter draws a value uniformly from it."""

    default: tuple[float, float]
    minimum: float
    maximum: float
    unit: str
    doc: str


def declare(**params: ParamRange) -> Mapping[str, ParamRange]:
    """A painter's parameters, read-only, in the order `get_params` draws them."""
    return MappingProxyType(params)


@dataclass(frozen=True, slots=True)
class Painted:
    """A defect within its box only: a full-size copy per defect would cost 192 MiB at 4096 px,
    so render writes `patch` into its one image buffer and `mask` into its labels in place."""

    box: tuple[slice, slice]  # where the defect lies in the image
    patch: np.ndarray  # float32 (h, w, 3) in [0, 1]: the box's pixels once painted
    mask: np.ndarray  # bool (h, w): exactly the box pixels this defect labels, never empty
    band: int  # pixels farther than this from `mask` are unchanged

    def paint(self, image: np.ndarray) -> None:
        """Put the defect onto `image`, in place."""
        image[self.box] = self.patch

    def full_mask(self, shape: tuple[int, ...]) -> np.ndarray:
        """The labeled pixels as a bool (H, W) array for an image of `shape`."""
        mask = np.zeros(shape[:2], bool)
        mask[self.box] = self.mask
        return mask


class Painter(ABC):
    """One defect kind. Subclasses set `name` and `params` and implement `apply`.

    The class docstring's first line is the painter's description in `synth painters`
    and the README. `apply` gets the drawn parameter values and the image's generator,
    which it uses for placement and the defect's own noise.
    """

    name: ClassVar[str]
    params: ClassVar[Mapping[str, ParamRange]]
    # Where this kind is found: the gallery shows it on these two textures.
    surfaces: ClassVar[tuple[str, str]] = ("painted", "brushed-metal")

    def get_params(self, rng: Rng, ranges: Ranges) -> dict[str, float]:
        """One value per declared parameter, drawn uniformly from its range, in order."""
        return {name: float(rng.uniform(*ranges[name])) for name in self.params}

    @abstractmethod
    def apply(self, image: np.ndarray, params: Params, rng: Rng) -> Painted: ...

    def __call__(self, image: np.ndarray, rng: Rng, ranges: Ranges) -> Painted:
        return self.apply(image, self.get_params(rng, ranges), rng)

    def resolve_params(self, given: Mapping[str, object]) -> dict[str, tuple[float, float]]:
        """See `resolve_params`: a method, so a preset checks through the registry entry."""
        return resolve_params(self, given)


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


def box_noise(shape: tuple[int, ...], scale: float, rng: Rng) -> np.ndarray:
    """`smooth_noise` for a defect's box. Boxes come in every size, and smooth_noise builds
    an upsampling matrix per (size, grid) it has not seen: rounding the size up to 32 px and
    the scale to a quarter octave, then cropping, lets a few cached matrices serve all boxes."""
    padded = (-(-shape[0] // 32) * 32, -(-shape[1] // 32) * 32)
    rounded = 2.0 ** (round(math.log2(scale) * 4) / 4)
    return smooth_noise(padded, rounded, rng)[: shape[0], : shape[1]]


def span(fraction: float, image: np.ndarray, least: float = 2.0) -> float:
    """A size given as a fraction of the image's shorter side, in px, at least `least`."""
    return max(least, fraction * min(image.shape[:2]))


def centre(rng: Rng, image: np.ndarray) -> tuple[float, float]:
    """A point inside the image, so a defect centred there labels at least one pixel."""
    return rng.uniform(0, image.shape[0] - 1), rng.uniform(0, image.shape[1] - 1)


@dataclass(frozen=True, slots=True)
class Site:
    """Where a roundish defect lies: its centre and radius (px) and its box's pixel grid."""

    cy: float
    cx: float
    radius: float
    box: tuple[slice, slice]
    ys: np.ndarray
    xs: np.ndarray

    def rho(self) -> np.ndarray:
        """Each box pixel's distance from the centre, in radii."""
        return np.hypot(self.ys - self.cy, self.xs - self.cx) / self.radius

    def ellipse(self, angle: float, stretch: float) -> tuple[np.ndarray, np.ndarray]:
        """Each box pixel's coordinates (px) along and across an ellipse's long axis, which
        points at `angle` (radians) and is divided by `stretch`: a circle in (u, v) is the
        elongated defect in the image."""
        dy, dx = self.ys - self.cy, self.xs - self.cx
        u = (dx * math.cos(angle) + dy * math.sin(angle)) / stretch
        v = -dx * math.sin(angle) + dy * math.cos(angle)
        return u, v


def site(
    rng: Rng, image: np.ndarray, fraction: float, reach: float, least: float = 2.0, pad: float = 0
) -> Site:
    """A defect of radius `fraction` of the shorter side centred inside the image, with the
    box `reach` radii (plus `pad` px) around it: the placement most painters start with."""
    radius = span(fraction, image, least)
    cy, cx = centre(rng, image)
    box = bbox(cy, cx, reach * radius + pad, image.shape)
    ys, xs = np.mgrid[box]
    return Site(cy, cx, radius, box, ys, xs)


def light(rng: Rng) -> np.ndarray:
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


def bbox(
    cy: np.ndarray | float, cx: np.ndarray | float, margin: float, shape: tuple[int, ...]
) -> tuple[slice, slice]:
    """The box around points (cy, cx) grown by `margin`, clipped to the image."""
    top = max(0, math.floor(np.min(cy) - margin))
    left = max(0, math.floor(np.min(cx) - margin))
    bottom = min(shape[0], math.ceil(np.max(cy) + margin) + 1)
    right = min(shape[1], math.ceil(np.max(cx) + margin) + 1)
    return slice(top, bottom), slice(left, right)


def compose(
    image: np.ndarray,
    box: tuple[slice, slice],
    new_patch: np.ndarray,
    mask_patch: np.ndarray,
    band: int,
) -> Painted:
    """The painted patch, changed only within `band` px of the labeled pixels."""
    near = ndimage.distance_transform_edt(~mask_patch) <= band
    patch = np.where(near[..., None], new_patch, image[box]).astype(np.float32)
    return Painted(box=box, patch=patch, mask=mask_patch, band=band)


def at_least_centre(mask: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """A tiny defect still labels its centre pixel (where `rho` is least): never empty."""
    if not mask.any():
        mask[np.unravel_index(np.argmin(rho), rho.shape)] = True
    return mask


def walk(
    start: np.ndarray, angle: float, length: float, wander: float, jag: float, rng: Rng
) -> np.ndarray:
    """A path of points 0.5 px apart: a heading that drifts smoothly (`wander`, radians)
    and turns in sudden kinks every few px (`jag`, radians), as cracks and fibres do."""
    steps = max(2, math.ceil(length * 2))
    drift = ndimage.gaussian_filter1d(rng.standard_normal(steps), steps / 6 + 1, mode="nearest")
    drift *= wander / max(1e-6, float(np.abs(drift).max()))
    kinks = np.repeat(rng.normal(0.0, jag, steps // 8 + 1), 8)[:steps]
    heading = angle + drift + kinks
    moves = 0.5 * np.column_stack([np.sin(heading), np.cos(heading)])
    return start + np.vstack([np.zeros((1, 2)), np.cumsum(moves, axis=0)[:-1]])


def trace(
    path: np.ndarray, half: np.ndarray, image: np.ndarray, reach: float, pad: float = 0
) -> tuple[tuple[slice, slice], np.ndarray, np.ndarray]:
    """Where a line-like defect lies: the box `reach` (plus `pad`) px around its path, each
    box pixel's distance to the nearest path point (1e3 beyond `reach`), and the path's
    half-width there: what a stroke of varying width needs for coverage and relief. The
    counterpart of `site` for painters that draw along a path."""
    box = bbox(path[:, 0], path[:, 1], reach + pad, image.shape)
    ys, xs = np.mgrid[box]
    distance, nearest = cKDTree(path).query(
        np.column_stack([ys.ravel(), xs.ravel()]), distance_upper_bound=reach
    )
    distance = distance.reshape(ys.shape)
    width = half[np.minimum(nearest, len(path) - 1)].reshape(ys.shape)
    distance[~np.isfinite(distance)] = 1e3
    return box, distance, width
