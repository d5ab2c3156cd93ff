"""Printed circuit board: green solder mask over copper traces, tinned pads and vias."""

from __future__ import annotations

import numpy as np

from synth.imaging.noise import smooth_noise_rows
from synth.imaging.textures.base import Texture, bands, zoom
from synth.registry import TEXTURES

_MASK = np.array([0.1, 0.36, 0.17], np.float32)  # the classic green solder mask
_COPPER_UNDER_MASK = np.array([0.2, 0.48, 0.2], np.float32)  # traces show lighter through it
_LIFT = _COPPER_UNDER_MASK - _MASK
_TIN = np.array([0.78, 0.78, 0.74], np.float32)  # hot-air levelled solder on the pads


def pcb(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A green circuit board: traces on a routing grid under the solder mask, tinned pads, vias."""
    scale = zoom((height, width))
    # Sizes in px at up to DETAIL_SIDE; a larger image is a closer look, the board the same.
    pitch = round(int(rng.integers(10, 18)) * scale)
    trace = np.zeros((height, width), np.int8)  # 1 on copper
    pads = np.zeros((height, width), np.int8)  # 1 on tin, -1 in a via's hole
    half = round(int(rng.integers(1, 3)) * scale)
    area = round(scale * scale)  # the board area a pixel of a small image covers, in px
    for _ in range(max(6, height * width // (6000 * area))):
        y, x = int(rng.integers(height)) // pitch * pitch, int(rng.integers(width)) // pitch * pitch
        for _ in range(int(rng.integers(2, 5))):  # a Manhattan route of a few legs
            # (-1, 1)[integers(2)] is choice((-1, 1)), the same draw, 6x cheaper.
            span = int(rng.integers(2, 12)) * pitch * (-1, 1)[int(rng.integers(0, 2))]
            if rng.random() < 0.5:
                y0, y1 = sorted((y, min(max(y + span, 0), height - 1)))
                trace[y0 : y1 + half + 1, max(0, x - half) : x + half + 1] = 1
                y = y1 if span > 0 else y0
            else:
                x0, x1 = sorted((x, min(max(x + span, 0), width - 1)))
                trace[max(0, y - half) : y + half + 1, x0 : x1 + half + 1] = 1
                x = x1 if span > 0 else x0
            pad = half + round(2 * scale)
            pads[max(0, y - pad) : y + pad + 1, max(0, x - pad) : x + pad + 1] = 1
    reach = round(5 * scale)
    for _ in range(max(2, height * width // (20000 * area))):  # vias: a tinned ring round a hole
        cy, cx = int(rng.integers(height)), int(rng.integers(width))
        window = (
            slice(max(0, cy - reach), min(height, cy + reach + 1)),
            slice(max(0, cx - reach), min(width, cx + reach + 1)),
        )
        ys, xs = np.mgrid[window]
        r = np.hypot(ys - cy, xs - cx) / scale
        pads[window] = np.where(r < 1.8, -1.0, np.maximum(pads[window], r < 4.0))
    mottle = smooth_noise_rows((height, width), 24.0 * scale, rng)
    image = np.empty((height, width, 3), np.float32)
    for top, bottom in bands(height, width):
        shade = 1 + 0.06 * mottle(top, bottom)
        copper, tin = trace[top:bottom], pads[top:bottom]
        for channel in range(3):  # one channel at a time: cheaper than broadcasting onto 3
            board = (_MASK[channel] + _LIFT[channel] * copper) * shade
            board = np.where(tin > 0, _TIN[channel] * shade, board)
            board[tin < 0] = 0.08
            image[top:bottom, :, channel] = board
    return np.clip(image, 0.0, 1.0, out=image)


TEXTURES.add(Texture("pcb", pcb))
