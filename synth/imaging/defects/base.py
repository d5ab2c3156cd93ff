"""What every painter shares: declared parameters, the draw-then-apply split, light and compose.

A painter declares its parameters (`ParamRange`: a default [low, high], the allowed
bounds, a unit and a line of doc, written through a `Unit` such as `size` or `share`);
`get_params` draws one value per parameter from the preset's ranges, in declaration
order, and `apply` paints with them. Relief is lit by one shading function (a dark
side, a lit side, a glint) and `compose` returns the defect's box, changed only within
`band` of the labeled set: the mask is computed first, so it is exact by construction.
`paint_strips` does the same a strip of the box's rows at a time, so a large defect
never costs more than a few float planes of a strip (the built-in painters use it).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from synth.errors import ArgumentError
from synth.imaging.noise import Rows, smooth_noise_rows

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
class Unit:
    """What a parameter's numbers mean. Calling a unit declares a parameter in it, its
    default range first: `size((0.04, 0.1), within=(0.01, 0.5), doc="dent radius")`."""

    name: str
    within: tuple[float, float] | None = None  # the bounds the unit itself implies, if any

    def __call__(
        self, default: tuple[float, float], *, doc: str, within: tuple[float, float] | None = None
    ) -> ParamRange:
        bounds = self.within if within is None else within
        if bounds is None:
            raise TypeError(f"a parameter in {self.name!r} needs its bounds: within=(low, high)")
        return ParamRange(default, *bounds, self.name, doc)


size = Unit(SHORT_SIDE)  # a length that scales with the image
px = Unit("px")  # a length that does not: strokes, specks, steps
share = Unit("0..1", (0.0, 1.0))  # an amount from none to full: a strength, a density, a chance
ratio = Unit("ratio")
radians = Unit("radians")


# A defect's default mask holds every pixel it changes by at least this many of 255
# levels in some channel of the written 8-bit image (`Painted.visible`). Fainter changes
# beyond them are dropped from the image: a step of up to 3 levels at the mask's edge
# does not show, where one of 7 (a threshold of 8) shows as a hard contour on a flat surface.
VISIBLE_LEVELS = 4


def _levels(pixels: np.ndarray) -> np.ndarray:
    """float [0, 1] pixels as the 8-bit levels the image is written with (float32; see
    `synth.imaging.render.to_uint8`, which rounds the same way)."""
    scaled = np.multiply(pixels, 255.0, dtype=np.float32)
    np.clip(scaled, 0.0, 255.0, out=scaled)
    return np.rint(scaled, out=scaled)


def each_channel(
    op: np.ufunc, planes: np.ndarray, plane: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """`op(planes, plane[..., None])`: an (n, w) array applied to each channel of an
    (n, w, c) one, a channel at a time, the same values as numpy's broadcast, which is
    2-3x slower onto a last axis of 3 (it was a fifth of a 512 px defect's painting).
    `out` may be `planes` itself."""
    if out is None:
        out = np.empty(planes.shape, np.result_type(planes, plane))
    for channel in range(planes.shape[-1]):
        op(planes[..., channel], plane, out=out[..., channel])
    return out


def outer(plane: np.ndarray, color: np.ndarray) -> np.ndarray:
    """`plane[..., None] * color`: an (n, w) array times each entry of a colour (c,), into
    an (n, w, c) one a channel at a time (see `each_channel`)."""
    out = np.empty((*plane.shape, len(color)), np.result_type(plane, color))
    for channel, value in enumerate(color):
        np.multiply(plane, value, out=out[..., channel])
    return out


def revert(patch: np.ndarray, old: np.ndarray, where: np.ndarray) -> None:
    """Set `patch` (n, w, c) back to `old` wherever `where` (bool (n, w)) holds, in place.
    Pixels of one dtype, their channels contiguous, are copied whole (each pixel's bytes as
    one value, 2.5x faster than a condition broadcast over the channels); others through the
    condition repeated per channel."""
    size = patch.itemsize
    if patch.dtype == old.dtype and patch.strides[-1] == old.strides[-1] == size:
        pixel = np.dtype((np.void, size * patch.shape[-1]))
        np.copyto(patch.view(pixel)[..., 0], old.view(pixel)[..., 0], where=where)
    else:
        np.copyto(patch, old, where=np.repeat(where, patch.shape[-1]).reshape(patch.shape))


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

    def visible(self, old: np.ndarray, levels: int = VISIBLE_LEVELS) -> Painted:
        """The defect labeling every pixel it changes: its core (`mask`), each pixel of the
        box whose 8-bit value it moves by at least `levels` in some channel, and the holes
        they enclose. What it would change by less beyond them is set back to `old` (the
        box's pixels before painting): a step of under `levels` that nobody sees, and the
        defect changes its mask's pixels and no others, so a detector flagging exactly the
        changed pixels agrees with the mask. The patch is taken over."""
        mask = self.mask.copy()
        step = _strip_rows(mask.shape[1])
        for top in range(0, mask.shape[0], step):
            rows = slice(top, top + step)
            change = _levels(self.patch[rows])
            change -= _levels(old[rows])
            np.abs(change, out=change)
            # The largest of the three channels, pairwise: a max over the last axis of 3
            # is a strided reduction, 15x slower (it was a fifth of a 512 px image's render).
            most = np.maximum(change[..., 0], change[..., 1])
            np.maximum(most, change[..., 2], out=most)
            mask[rows] |= most >= levels
        mask = fill_holes(mask)
        for top in range(0, mask.shape[0], step):
            rows = slice(top, top + step)
            revert(self.patch[rows], old[rows], ~mask[rows])
        return Painted(box=self.box, patch=self.patch, mask=mask, band=0)

    def inside(self, region: np.ndarray, old: np.ndarray) -> Painted | None:
        """The defect kept to `region` (bool, the box's shape): its mask there only and its
        patch set back to `old` beyond it, as a defect stops at the edge of the part it is
        on. None if none of its mask lies in the region."""
        mask = self.mask & region
        if not mask.any():
            return None
        revert(self.patch, old, ~region)
        return Painted(box=self.box, patch=self.patch, mask=mask, band=self.band)


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """`ndimage.binary_fill_holes(mask)`: every pixel but the unlabeled ones connected to
    the box's edge (4-connected, as it connects them), found in one labeling pass where
    it dilates from the edge until nothing changes (3-4x slower on a defect's box)."""
    background, count = ndimage.label(~mask)
    outside = np.zeros(count + 1, bool)
    for edge in (background[0], background[-1], background[:, 0], background[:, -1]):
        outside[edge] = True
    outside[0] = False  # label 0 is the mask itself
    filled: np.ndarray = ~np.take(outside, background)  # a table lookup, 2x fancy indexing
    return filled


class Painter(ABC):
    """One defect kind. A subclass names itself (and the two surfaces the gallery shows it
    on) in its class line, declares `params` and implements `apply`:

        class Blister(base.Painter, name="blister", surfaces=("painted", "plastic")):
            params = base.declare(
                radius=base.size((0.02, 0.05), within=(0.005, 0.3), doc="size"),
                height=base.share((0.3, 0.8), doc="how far the coating is lifted"),
            )

            def apply(self, image, params, rng): ...

    The class docstring's first line is the painter's description in `synth painters`
    and the docs. `apply` gets the drawn parameter values and the image's generator,
    which it uses for placement and the defect's own noise.
    """

    name: ClassVar[str]
    params: ClassVar[Mapping[str, ParamRange]]
    # Where this kind is found: the gallery shows it on these two textures.
    surfaces: ClassVar[tuple[str, str]] = ("painted", "brushed-metal")

    def __init_subclass__(
        cls, name: str | None = None, surfaces: tuple[str, str] | None = None, **kwargs: object
    ) -> None:
        """Take the class line's `name` and `surfaces`, and refuse a painter (a class with
        its own `apply`) that ends up without a name or params: the mistake shows where the
        class is written, not when a worker first asks the registry for it."""
        super().__init_subclass__(**kwargs)
        if name is not None:
            cls.name = name
        if surfaces is not None:
            cls.surfaces = surfaces
        missing = [part for part in ("name", "params") if not hasattr(cls, part)]
        if "apply" in vars(cls) and missing:
            raise TypeError(
                f"painter {cls.__name__} has no {' and no '.join(missing)}: write "
                f'`class {cls.__name__}(base.Painter, name="...")` and `params = base.declare(...)`'
            )

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
            raise ArgumentError(
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
            raise ArgumentError(f"{name}: must be [low, high], got {value!r}")
        low, high = float(value[0]), float(value[1])
        if math.isnan(low) or math.isnan(high):  # nan compares false to every bound below
            raise ArgumentError(f"{name}: [{low}, {high}] holds nan, not a number")
        if low > high:
            raise ArgumentError(f"{name}: low {low} is above high {high}")
        if low < spec.minimum or high > spec.maximum:
            raise ArgumentError(
                f"{name}: [{low}, {high}] is outside [{spec.minimum}, {spec.maximum}] ({spec.unit})"
            )
        resolved[name] = (low, high)
    return resolved


def box_noise_rows(shape: tuple[int, int], scale: float, rng: Rng) -> Rows:
    """`smooth_noise_rows` for a defect's box. Boxes come in every size, and smooth_noise
    builds an upsampling matrix per (size, grid) it has not seen: rounding the size up to
    32 px and the scale to a quarter octave, then cropping, lets a few cached matrices serve
    all boxes. The grid is drawn now, the rows when asked: a painter working a strip of its
    box at a time never holds a whole plane of noise."""
    padded = (-(-shape[0] // 32) * 32, -(-shape[1] // 32) * 32)
    rounded = 2.0 ** (round(math.log2(scale) * 4) / 4)
    rows = smooth_noise_rows(padded, rounded, rng)
    return lambda top, bottom: rows(top, bottom)[:, : shape[1]]


def box_noise(shape: tuple[int, int], scale: float, rng: Rng) -> np.ndarray:
    """`box_noise_rows`, every row of the box at once."""
    return box_noise_rows(shape, scale, rng)(0, shape[0])


def draw_rows(
    shape: tuple[int, int], draw: Callable[[tuple[int, int]], np.ndarray], dtype: type
) -> np.ndarray:
    """A whole box of random values, drawn a strip of rows at a time and stored as `dtype`:
    the same values as one draw of `shape`, without its float64 plane."""
    values: np.ndarray = np.empty(shape, dtype)
    step = _strip_rows(shape[1])
    for top in range(0, shape[0], step):
        values[top : top + step] = draw((min(step, shape[0] - top), shape[1]))
    return values


def span(fraction: float, image: np.ndarray, least: float = 2.0) -> float:
    """A size given as a fraction of the image's shorter side, in px, at least `least`."""
    return max(least, fraction * min(image.shape[:2]))


@dataclass(frozen=True, slots=True)
class Region:
    """Where on the image defects may lie (a region of interest: the part, not its
    background), with each row's running count of its pixels, to draw one uniformly."""

    mask: np.ndarray  # bool (H, W)
    counts: np.ndarray  # int64 (H,): the region's pixels in this row and the ones above

    @classmethod
    def of(cls, mask: np.ndarray) -> Region:
        return cls(mask, np.cumsum(np.count_nonzero(mask, axis=1)))

    def point(self, rng: Rng) -> tuple[float, float]:
        """A point of a pixel of the region, uniformly, within half a pixel of its centre."""
        nth = int(rng.integers(int(self.counts[-1])))
        row = int(np.searchsorted(self.counts, nth, side="right"))
        before = int(self.counts[row - 1]) if row else 0
        column = int(np.flatnonzero(self.mask[row])[nth - before])
        height, width = self.mask.shape
        dy, dx = rng.uniform(-0.5, 0.5, 2)
        return min(max(row + dy, 0.0), height - 1.0), min(max(column + dx, 0.0), width - 1.0)


_REGION: ContextVar[Region | None] = ContextVar("synth_region", default=None)


@contextmanager
def within(region: Region | None) -> Iterator[None]:
    """Painters place their defects (`centre`, `site`) inside `region` while this lasts;
    None: anywhere, as without it."""
    token = _REGION.set(region)
    try:
        yield
    finally:
        _REGION.reset(token)


def centre(rng: Rng, image: np.ndarray) -> tuple[float, float]:
    """A point inside the image, so a defect centred there labels at least one pixel;
    inside the region of interest when one is set (`within`)."""
    region = _REGION.get()
    if region is not None:
        return region.point(rng)
    return rng.uniform(0, image.shape[0] - 1), rng.uniform(0, image.shape[1] - 1)


@dataclass(frozen=True, slots=True)
class Site:
    """Where a roundish defect lies: its centre and radius (px) and its box. Its fields
    are computed for a strip of the box's rows [top, bottom) at a time (all rows if
    `bottom` is None), from open grids: a whole box of float64 coordinates would cost
    16 bytes per pixel before any painting."""

    cy: float
    cx: float
    radius: float
    box: tuple[slice, slice]

    @property
    def shape(self) -> tuple[int, int]:
        return self.box[0].stop - self.box[0].start, self.box[1].stop - self.box[1].start

    def offsets(self, top: int = 0, bottom: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """float32 (n, 1) and (1, w): each strip row's and box column's offset (px) from
        the centre, to broadcast against each other."""
        first = self.box[0].start + top
        last = self.box[0].start + (self.shape[0] if bottom is None else bottom)
        dy = (np.arange(first, last) - self.cy).astype(np.float32)
        dx = (np.arange(self.box[1].start, self.box[1].stop) - self.cx).astype(np.float32)
        return dy[:, None], dx[None, :]

    def rho(self, top: int = 0, bottom: int | None = None) -> np.ndarray:
        """Each pixel's distance from the centre, in radii."""
        dy, dx = self.offsets(top, bottom)
        rho = np.hypot(dy, dx)
        rho /= np.float32(self.radius)
        return rho

    def ellipse(
        self, angle: float, stretch: float, top: int = 0, bottom: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each pixel's coordinates (px) along and across an ellipse's long axis, which
        points at `angle` (radians) and is divided by `stretch`: a circle in (u, v) is the
        elongated defect in the image."""
        dy, dx = self.offsets(top, bottom)
        cos, sin = np.float32(math.cos(angle)), np.float32(math.sin(angle))
        u = dx * (cos / np.float32(stretch)) + dy * (sin / np.float32(stretch))
        v = dy * cos - dx * sin
        return u, v


def site(
    rng: Rng, image: np.ndarray, fraction: float, reach: float, least: float = 2.0, pad: float = 0
) -> Site:
    """A defect of radius `fraction` of the shorter side centred inside the image, with the
    box `reach` radii (plus `pad` px) around it: the placement most painters start with."""
    radius = span(fraction, image, least)
    cy, cx = centre(rng, image)
    return Site(cy, cx, radius, bbox(cy, cx, reach * radius + pad, image.shape))


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
    """Light a height field (in px) over an image patch: Lambert relative to flat, and a glint.
    float32 throughout, a plane at a time. Along the rows the slope takes one row on each
    side: a strip shaded with one more row at each end than it keeps is shaded as the
    whole box would be."""
    slopes: list[np.ndarray] = list(np.gradient(np.asarray(height, np.float32)))
    gy, gx = slopes
    norm = gx * gx
    norm += gy * gy
    norm += 1.0
    np.sqrt(norm, out=norm)
    half = light + np.array([0.0, 0.0, 1.0], np.float32)
    half /= np.linalg.norm(half)
    glint = _glint(_facing(gx, gy, norm, half), half[2], gloss)
    # Lambert relative to flat: 1 + (lambert - light_z) * strength multiplies the colour.
    relief = _facing(gx, gy, norm, light)
    relief -= light[2]
    relief *= np.float32(strength)
    relief += 1.0
    lit = each_channel(np.multiply, patch, relief)
    each_channel(np.add, lit, glint, out=lit)
    return np.clip(lit, 0.0, 1.0, out=lit)


def _glint(facing: np.ndarray, flat: np.float32, gloss: float) -> np.ndarray:
    """Blinn-Phong relative to a flat surface's: gloss * max(x**40 - flat**40, 0) of the
    cosine x, clipped to [0, 1]. The power (as costly as 50 multiplications) is taken only
    where x is above `flat`: it rises with x, so elsewhere the glint is 0, and most of a
    box is flat (x == flat exactly) or faces away."""
    np.clip(facing, 0.0, 1.0, out=facing)
    floor = flat**40
    # A flat pixel's own power would match its floor; were it above, it would glint too.
    facing_up = facing >= flat if np.power(np.array([flat]), 40)[0] > floor else facing > flat
    raised = facing[facing_up]
    raised **= 40
    raised -= floor
    np.clip(raised, 0.0, None, out=raised)
    raised *= np.float32(gloss)
    glint = np.zeros_like(facing)
    glint[facing_up] = raised
    return glint


def _facing(gx: np.ndarray, gy: np.ndarray, norm: np.ndarray, toward: np.ndarray) -> np.ndarray:
    """The cosine between each pixel's surface normal (-gx, -gy, 1) / norm and `toward`."""
    facing = gx * -toward[0]
    facing -= gy * toward[1]
    facing += toward[2]
    facing /= norm
    return facing


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
    """The painted patch, changed only within `band` px of the labeled pixels. A float32
    `new_patch` is taken over: its pixels beyond the band are set back in place."""
    patch = np.asarray(new_patch, np.float32)
    keep_far(patch, image[box], mask_patch, band)
    return Painted(box=box, patch=patch, mask=mask_patch, band=band)


def keep_far(patch: np.ndarray, old: np.ndarray, mask: np.ndarray, band: int) -> None:
    """Set `patch` back to `old` (in place) wherever it lies farther than `band` px (Euclidean)
    from every labeled pixel: the pixels `distance_transform_edt(~mask) > band` picks, found
    a strip of rows at a time in a few bytes per pixel (the transform takes 33).

    A pixel is within the band if some pixel (y, x') of its row has a labeled pixel g rows
    away in its column, with (x - x')² + g² <= band²: each x' covers the columns
    x' ± isqrt(band² - g²) of its row, and a row's union of such intervals is two running
    extremes, one from each side."""
    gaps = _column_gaps(mask, band)
    width = mask.shape[1]
    # Each gap's isqrt(band² - gap²), -1 past the band: a table of band + 2 entries, looked
    # up per pixel in int32 (the square root per pixel in float64 cost twice the lookup).
    gap = np.arange(band + 1, dtype=np.int64)
    reaches = np.full(band + 2, -1, np.int32)
    reaches[: band + 1] = np.floor(np.sqrt(band * band - gap * gap))  # exact below 2**52
    columns = np.arange(width, dtype=np.int32)
    step = _strip_rows(width)
    for top in range(0, mask.shape[0], step):
        reach = reaches[gaps[top : top + step]]
        valid = reach >= 0
        right = np.where(valid, columns + reach, -1)
        left = np.where(valid, columns - reach, width)
        near = np.maximum.accumulate(right, axis=1) >= columns
        near |= np.minimum.accumulate(left[:, ::-1], axis=1)[:, ::-1] <= columns
        rows = slice(top, top + len(reach))
        revert(patch[rows], old[rows], ~near)


def _column_gaps(mask: np.ndarray, band: int) -> np.ndarray:
    """Each pixel's distance in rows to the nearest labeled pixel of its column, capped at
    band + 1 (farther ones do not matter), in the smallest integer type that holds it."""
    height, width = mask.shape
    cap = band + 1
    gaps = np.empty(mask.shape, np.min_scalar_type(cap))
    rows = np.arange(height, dtype=np.int32)[:, None]  # int32: half the bytes of int64
    for left in range(0, width, 256):
        labeled = mask[:, left : left + 256]
        above = np.maximum.accumulate(np.where(labeled, rows, np.int32(-cap)), axis=0)
        below = np.where(labeled, rows, np.int32(height + cap))[::-1]
        below = np.minimum.accumulate(below, axis=0)[::-1]
        np.subtract(rows, above, out=above)
        np.subtract(below, rows, out=below)
        np.minimum(above, below, out=above)
        gaps[:, left : left + 256] = np.minimum(above, cap, out=above)
    return gaps


STRIP_PIXELS = 1 << 17  # pixels a painter works on at once: about 20 MiB of temporaries


def _strip_rows(width: int) -> int:
    return max(8, STRIP_PIXELS // max(width, 1))


@dataclass(frozen=True, slots=True)
class Strip:
    """A painter's rows [top, bottom) of its box: what `paint_strips` asks for."""

    painted: np.ndarray  # float32 (n, w, 3): the rows once painted
    labeled: np.ndarray  # bool (n, w): the rows' labeled pixels
    key: np.ndarray  # (n, w): if no pixel is labeled, the one where this is least is


def paint_strips(
    image: np.ndarray,
    box: tuple[slice, slice],
    strip: Callable[[int, int], Strip],
    band: int,
    halo: int = 0,
) -> Painted:
    """A defect painted a strip of rows at a time: at 4096 px a box holds millions of pixels,
    and a painter's dozen float planes over all of them would cost hundreds of MiB.

    `strip(top, bottom)` paints rows [top, bottom) of the box from what the painter drew
    beforehand (it draws nothing itself, so any strip height gives the same defect).
    Each strip is asked for `halo` more rows at each end than it keeps, for the
    neighbours its filters and slopes read. As `compose` does, the patch is kept to
    `band` px around the labeled pixels, and a tiny defect still labels one pixel."""
    height, width = box[0].stop - box[0].start, box[1].stop - box[1].start
    patch = np.empty((height, width, 3), np.float32)
    mask = np.empty((height, width), bool)
    least, where = math.inf, (0, 0)
    step = _strip_rows(width)
    for top in range(0, height, step):
        bottom = min(height, top + step)
        first = max(0, top - halo)
        rows = strip(first, min(height, bottom + halo))
        kept = slice(top - first, bottom - first)
        patch[top:bottom] = rows.painted[kept]
        mask[top:bottom] = rows.labeled[kept]
        key = rows.key[kept]
        at = int(np.argmin(key))
        if key.flat[at] < least:
            least, where = float(key.flat[at]), (top + at // width, at % width)
    if not mask.any():
        mask[where] = True
    keep_far(patch, image[box], mask, band)
    return Painted(box=box, patch=patch, mask=mask, band=band)


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
) -> tuple[tuple[slice, slice], Callable[[int, int], tuple[np.ndarray, np.ndarray]]]:
    """Where a line-like defect lies: the box `reach` (plus `pad`) px around its path, and
    for rows [top, bottom) of it each pixel's distance to the nearest path point (1e3
    beyond `reach`) and the path's half-width there, float32: what a stroke of varying
    width needs for coverage and relief. The counterpart of `site` for painters that draw
    along a path.

    Only the pixels near the path are looked up: each path point's pixel, grown by a
    square of `reach` + 1/2 px (a superset of the disc of `reach` around the point,
    separable and cheap), a small share of a long stroke's box. Every other pixel is
    farther than `reach` from the path, and gets what a lookup there would give."""
    box = bbox(path[:, 0], path[:, 1], reach + pad, image.shape)
    tree = cKDTree(path)
    height, width = box[0].stop - box[0].start, box[1].stop - box[1].start
    grow = math.ceil(reach + 0.5)
    # The path's pixels on a grid `grow` px wider than the box on each side, grown.
    near = np.zeros((height + 2 * grow, width + 2 * grow), bool)
    at = np.rint(path).astype(np.int64) - (box[0].start - grow, box[1].start - grow)
    inside = ((at >= 0) & (at < near.shape)).all(axis=1)
    near[at[inside, 0], at[inside, 1]] = True
    near = ndimage.maximum_filter(near, size=2 * grow + 1)
    near = near[grow : grow + height, grow : grow + width]
    far_width = np.float32(half[len(path) - 1])

    def rows(top: int, bottom: int) -> tuple[np.ndarray, np.ndarray]:
        shape = (bottom - top, width)
        distance = np.full(shape, 1e3, np.float32)
        widths = np.full(shape, far_width, np.float32)
        looked = near[top:bottom]
        ys, xs = np.nonzero(looked)
        if ys.size:
            points = np.column_stack([ys + (box[0].start + top), xs + box[1].start])
            found, nearest = tree.query(points.astype(np.float64), distance_upper_bound=reach)
            found[~np.isfinite(found)] = 1e3
            # Set through the boolean mask, in nonzero's order (row by row): indexing by
            # (ys, xs) costs 6x more.
            distance[looked] = found.astype(np.float32)
            widths[looked] = half.take(np.minimum(nearest, len(path) - 1)).astype(np.float32)
        return distance, widths

    return box, rows
