"""Previews: a contact sheet of a preset's images beside their masks, rendered in memory."""

from __future__ import annotations

from PIL import Image

from synth.config.preset import Preset, palette
from synth.imaging.contact_sheet import contact_sheet
from synth.imaging.encode import mask_to_rgb
from synth.imaging.render import render
from synth.plan import image_spec


def preview(
    preset: Preset, *, seed: int = 0, count: int = 8, columns: int = 4, tile: int = 192
) -> Image.Image:
    """The first `count` images a run with this seed would write, anomalies first."""
    specs = sorted(
        (image_spec(preset, seed, i) for i in range(count)), key=lambda s: not s.anomalous
    )
    colors = palette(preset)
    tiles = []
    for spec in specs:
        rendered = render(preset, spec, seed)
        tiles.append((rendered.image, mask_to_rgb(rendered.labels, colors)))
    return contact_sheet(tiles, columns=columns, tile=tile)
