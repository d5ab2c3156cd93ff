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
        scale = tile / max(image.shape[:2])
        size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
        sheet.paste(Image.fromarray(image).resize(size, Image.Resampling.LANCZOS), (x, y))
        # Masks are resized by nearest neighbour: their colors stay exact.
        sheet.paste(
            Image.fromarray(mask).resize(size, Image.Resampling.NEAREST),
            (x + tile + GUTTER // 2, y),
        )
    return sheet
