"""Contact sheets: images beside their masks, in a grid a person can look over at a glance."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

GUTTER = 6
BACKDROP = (40, 40, 40)


def contact_sheet(
    tiles: Sequence[tuple[np.ndarray, np.ndarray]], *, columns: int = 4, tile: int = 192
) -> Image.Image:
    """Each (image, RGB mask) pair shown side by side, pairs laid out `columns` to a row."""
    columns = max(1, min(columns, len(tiles)))
    rows = -(-len(tiles) // columns)
    pair_width = 2 * tile + GUTTER // 2
    sheet = Image.new(
        "RGB",
        (columns * (pair_width + GUTTER) + GUTTER, rows * (tile + GUTTER) + GUTTER),
        BACKDROP,
    )
    for n, (image, mask) in enumerate(tiles):
        row, column = divmod(n, columns)
        x = GUTTER + column * (pair_width + GUTTER)
        y = GUTTER + row * (tile + GUTTER)
        sheet.paste(Image.fromarray(fitted(image, tile)), (x, y))
        sheet.paste(Image.fromarray(fitted(mask, tile, exact=True)), (x + tile + GUTTER // 2, y))
    return sheet


def fitted(array: np.ndarray, tile: int, *, exact: bool = False) -> np.ndarray:
    """An image (or a mask, `exact`) resized so its longer side is `tile`, as the sheet
    shows it; unchanged if it is that size already.

    A caller holding many images fits each as it comes, so a sheet of large images
    needs the memory of one of them, not of all. Masks are resized by nearest
    neighbour: their values (label indices or colors) stay exact.
    """
    scale = tile / max(array.shape[:2])
    size = (round(array.shape[1] * scale), round(array.shape[0] * scale))
    if size == (array.shape[1], array.shape[0]):
        return array
    resample = Image.Resampling.NEAREST if exact else Image.Resampling.LANCZOS
    return np.asarray(Image.fromarray(array).resize(size, resample))
