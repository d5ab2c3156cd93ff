"""The gallery: one small PNG per defect kind, each on its two typical surfaces beside its mask.

Each defect is painted on a full-size base (`size` px, the presets' 512 by default) with
the painter's default parameters, then cropped around its mask, so the PNG shows the
detail a model sees. The mask tile shows the default mask (every pixel the defect
visibly changes) in light red and, within it, the painter's core (the optional
`mask_extent = "core"`) in red. `synth gallery` writes them; docs/defects.md shows them.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
from PIL import Image

from synth.format import BACKGROUND_COLOR
from synth.imaging.contact_sheet import contact_sheet
from synth.imaging.defects import PAINTERS, Painter, resolve_params
from synth.imaging.encode import mask_to_rgb
from synth.imaging.render import to_uint8
from synth.imaging.textures import render_base

MASK_COLOR = "#d62728"  # the core
VISIBLE_COLOR = "#f4a6a6"  # what the default mask adds to the core


def _crop(mask: np.ndarray, least: int) -> tuple[slice, slice]:
    """A square around the mask's bounding box (at least `least` px), inside the image."""
    ys, xs = np.nonzero(mask)
    side = min(min(mask.shape), max(least, int(max(np.ptp(ys), np.ptp(xs))) + 24))
    top = int(np.clip((ys.min() + ys.max() - side) // 2, 0, mask.shape[0] - side))
    left = int(np.clip((xs.min() + xs.max() - side) // 2, 0, mask.shape[1] - side))
    return slice(top, top + side), slice(left, left + side)


def _clear_of_edges(
    name: str, painter: Painter, surface: str, seed: list[int], size: int
) -> tuple[np.ndarray, np.ndarray]:
    """The first of a fixed sequence of draws whose defect does not touch the image edge:
    the painted image and its labels (1 the default mask, 2 the core within it)."""
    for attempt in range(20):
        rng = np.random.default_rng([*seed, attempt, zlib.crc32(name.encode())])
        base = render_base(surface, size, size, rng)
        core = painter(base, rng, resolve_params(painter, {}))
        painted = core.visible(base[core.box])
        mask = painted.full_mask(base.shape)
        if not (mask[[0, -1], :].any() or mask[:, [0, -1]].any()):
            break
    painted.paint(base)
    labels = mask.astype(np.uint8)
    labels[core.box][core.mask] = 2
    return base, labels


def gallery_row(name: str, painter: Painter, *, seed: int, size: int, tile: int) -> Image.Image:
    """`painter` on each of its surfaces, each crop beside its mask."""
    tiles = []
    for n, surface in enumerate(painter.surfaces):
        image, labels = _clear_of_edges(name, painter, surface, [seed, n], size)
        box = _crop(labels > 0, least=96)
        colors = [BACKGROUND_COLOR, VISIBLE_COLOR, MASK_COLOR]
        tiles.append((to_uint8(image[box]), mask_to_rgb(labels[box], colors)))
    return contact_sheet(tiles, columns=len(tiles), tile=tile)


def gallery(
    painters: Mapping[str, Painter] = PAINTERS, *, seed: int = 0, size: int = 512, tile: int = 160
) -> Iterator[tuple[str, Image.Image]]:
    for name, painter in painters.items():
        yield name, gallery_row(name, painter, seed=seed, size=size, tile=tile)


def write_gallery(out: Path, **options: int) -> list[Path]:
    """One PNG per painter in `out`, written with maximum compression."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, row in gallery(PAINTERS, **options):
        path = out / f"{name}.png"
        row.save(path, optimize=True)
        written.append(path)
    return written


def gallery_markdown(folder: str, painters: Mapping[str, Painter] = PAINTERS) -> str:
    """The docs' gallery table: each kind, its two surfaces, and its row image in `folder`."""
    rows = ["| defect | surfaces | image and mask, two surfaces |", "|---|---|---|"]
    for name, painter in painters.items():
        surfaces = ", ".join(painter.surfaces)
        rows.append(f"| `{name}` | {surfaces} | ![{name}]({folder}/{name}.png) |")
    return "\n".join(rows)
