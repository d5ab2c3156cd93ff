"""Previews: a contact sheet of a preset's images beside their masks, rendered in memory."""

from __future__ import annotations

from itertools import count as indices

from PIL import Image

from synth.config.preset import Preset, palette
from synth.errors import InputError
from synth.imaging.contact_sheet import contact_sheet, fitted
from synth.imaging.encode import mask_to_rgb
from synth.imaging.render import render
from synth.plan import ImageSpec, image_spec


def each_class(preset: Preset, seed: int) -> list[ImageSpec]:
    """The first image of each class, in color-map order: a tour of what the preset paints.

    Only for presets with one class per image, where an image's class is known unrendered.
    """
    if not preset.one_class_per_image:
        raise InputError(f"preset {preset.name!r}: one image per class needs one_class_per_image")
    first: dict[int, ImageSpec] = {}
    for index in indices():
        spec = image_spec(preset, seed, index)
        if spec.only_class is not None:
            first.setdefault(spec.only_class, spec)
        if len(first) == len(preset.classes):
            return [first[n] for n in sorted(first)]
    raise AssertionError("unreachable: itertools.count does not end")


def preview(
    preset: Preset,
    *,
    seed: int = 0,
    count: int = 8,
    columns: int = 4,
    tile: int = 192,
    one_per_class: bool = False,
) -> Image.Image:
    """The first `count` images a run with this seed would write, anomalies first; or, with
    `one_per_class`, the first image of each class."""
    specs = (
        each_class(preset, seed)
        if one_per_class
        else sorted(
            (image_spec(preset, seed, i) for i in range(count)), key=lambda s: not s.anomalous
        )
    )
    colors = palette(preset)
    tiles = []
    for spec in specs:  # each fitted to its tile as it comes: memory is one image's, any count
        rendered = render(preset, spec, seed)
        labels = fitted(rendered.labels, tile, exact=True)
        tiles.append((fitted(rendered.image, tile), mask_to_rgb(labels, colors)))
    return contact_sheet(tiles, columns=columns, tile=tile)
