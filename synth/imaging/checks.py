"""What a painter or a texture hands back, checked before it is used.

Plugins implement them (`synth.painters`, `synth.textures`): one that returns the wrong
shape, `None` or an empty mask would otherwise end a run with a
traceback, or finish it with a dataset synth's own validator rejects (a defect without
a labeled pixel, an image of the wrong size). The check names the entry and what it
broke, as one line; it costs a few comparisons an image.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.errors import PluginError


def painted(name: str, result: Any, shape: tuple[int, ...]) -> Any:
    """A painter's `apply` result, once it is a Painted that fits an image of `shape`."""
    from synth.imaging.defects.base import Painted

    where = f"painter {name!r}"
    if not isinstance(result, Painted):
        raise PluginError(f"{where}: apply returned {_what(result)}, not a base.Painted")
    size = _box(where, result.box, shape)
    _array(where, "patch", result.patch, (*size, 3), np.floating)
    _array(where, "mask", result.mask, size, np.bool_)
    if not result.mask.any():
        raise PluginError(f"{where}: its mask is empty (a defect labels at least one pixel)")
    return result


def texture(name: str, image: Any, height: int, width: int) -> np.ndarray:
    """A texture's image, once it is a float (height, width, 3) array."""
    where = f"texture {name!r}"
    _array(where, "image", image, (height, width, 3), np.floating)
    return image


def _box(where: str, box: Any, shape: tuple[int, ...]) -> tuple[int, int]:
    """The (rows, columns) of a box, once it is two plain slices inside the image."""
    if isinstance(box, tuple) and len(box) == 2 and all(isinstance(s, slice) for s in box):
        sides = [(s.start, s.stop, s.step, n) for s, n in zip(box, shape[:2], strict=True)]
        if all(
            isinstance(a, int) and isinstance(b, int) and step in (None, 1) and 0 <= a < b <= n
            for a, b, step, n in sides
        ):
            return (box[0].stop - box[0].start, box[1].stop - box[1].start)
    raise PluginError(
        f"{where}: its box is {box!r}, not two slices (rows, columns) of whole numbers "
        f"inside the {shape[1]}x{shape[0]} image"
    )


def _array(where: str, what: str, value: Any, shape: tuple[int, ...], kind: type) -> None:
    if not isinstance(value, np.ndarray):
        raise PluginError(f"{where}: its {what} is {_what(value)}, not a numpy array")
    if value.shape != shape:
        raise PluginError(f"{where}: its {what} has shape {value.shape}, not {shape}")
    if not np.issubdtype(value.dtype, kind):
        raise PluginError(f"{where}: its {what} is {value.dtype}, not {np.dtype(kind).name}")


def _what(value: Any) -> str:
    return "None" if value is None else f"a {type(value).__name__}"
