"""Mask files as each producer writes them: Ground Truth's padded palette, or the console's.

The labels are the same; only the encoding changes. A console mask is what the Lookout
for Vision console's annotation tool saved for AWS's getting-started cookie dataset: an
8-bit palette PNG whose index 0 is black with alpha 0 (the background), then one entry
per class and alpha level, the class color at each level (a tRNS chunk), the palette no
longer than its entries. Its alpha fades along each region's inner edge as a canvas
brush anti-aliases: every pixel of a class keeps some alpha, so the mask read as the
service reads it (alpha 0 background, anything else its RGB) is exactly the labels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.ndimage import gaussian_filter

from synth.imaging.encode import _FILTER_NONE, _PALETTE, _chunk, _png, encode_mask

# A pixel's alpha is the region's share of a Gaussian window around it (sigma in pixels):
# a continuous coverage, as a canvas brush's anti-aliasing gives, quantized to at most
# the 245 levels the cookie dataset's one-class masks hold (a palette of 246 entries).
EDGE = 2.5
FLOOR = 0.25  # the share that fades to the lowest alpha (a corner pixel's)
MAX_LEVELS = 245


def console_mask(labels: np.ndarray, palette: Sequence[str], compress_level: int) -> bytes:
    """The console's form of `labels` (0 background, i the class of palette entry i)."""
    labels = np.ascontiguousarray(labels, np.uint8)
    classes = len(palette) - 1
    levels = max(1, min(MAX_LEVELS, 255 // max(classes, 1)))
    index = np.zeros(labels.shape, np.uint8)
    for label in np.unique(labels[labels > 0]):
        own = labels == label
        share = gaussian_filter(own.astype(np.float32), sigma=EDGE, mode="nearest")[own]
        fade = (share - FLOOR) / (1 - FLOOR)  # a region's edge pixel is about half covered
        level = np.clip(np.ceil(fade * levels - 1e-4), 1, levels).astype(np.uint8)
        index[own] = 1 + (int(label) - 1) * levels + (level - 1)
    alphas = [round(255 * (j + 1) / levels) for j in range(levels)]
    colors = b"\x00\x00\x00" + b"".join(bytes.fromhex(c[1:]) * levels for c in palette[1:])
    rows = np.empty((labels.shape[0], labels.shape[1] + 1), np.uint8)
    rows[:, 0] = _FILTER_NONE
    rows[:, 1:] = index
    chunks = (_chunk(b"PLTE", colors), _chunk(b"tRNS", bytes([0, *alphas * classes])))
    return _png(rows, labels.shape[1], _PALETTE, compress_level, *chunks)


def mask_bytes(form: str, labels: np.ndarray, palette: Sequence[str], compress_level: int) -> bytes:
    """The mask file of a style's `mask_form`: "palette" (Ground Truth's) or "console"."""
    if form == "console":
        return console_mask(labels, palette, compress_level)
    return encode_mask(labels, palette, compress_level)
