"""What a painter or a texture does, checked as it is used.

Plugins implement them (`synth.painters`, `synth.textures`): one that raises, returns
the wrong shape, `None`, NaN or an empty mask would otherwise end a run with a
traceback, or finish it with a dataset synth's own validator rejects (a defect without
a labeled pixel, an image of the wrong size, pixels cast from NaN). The check names the
entry and what it broke, as one line; it costs a few comparisons and two reductions an
image.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from synth.errors import PluginError, SynthError


def call(where: str, function: Callable[..., Any], *args: Any) -> Any:
    """What `function` (an entry's code) returns; whatever it raises, one line naming it.

    A plugin may raise anything (its own bug, a missing dependency, even SystemExit);
    synth's own errors and an interrupt pass as they are. The cause stays chained for a
    Python caller who debugs the plugin.
    """
    try:
        return function(*args)
    except (SynthError, KeyboardInterrupt):
        raise
    except (Exception, SystemExit) as exc:
        detail = str(exc)
        raise PluginError(
            f"{where}: raised {type(exc).__name__}" + (f" ({detail})" if detail else "")
        ) from exc


def painted(name: str, result: Any, shape: tuple[int, ...]) -> Any:
    """A painter's `apply` result, once it is a Painted that fits an image of `shape`."""
    from synth.imaging.defects.base import Painted

    where = f"painter {name!r}"
    if not isinstance(result, Painted):
        raise PluginError(f"{where}: apply returned {_what(result)}, not a base.Painted")
    size = _box(where, result.box, shape)
    _array(where, "patch", result.patch, (*size, 3), np.floating)
    _finite(where, "patch", result.patch)
    _array(where, "mask", result.mask, size, np.bool_)
    if not result.mask.any():
        raise PluginError(f"{where}: its mask is empty (a defect labels at least one pixel)")
    return result


def texture(name: str, image: Any, height: int, width: int) -> np.ndarray:
    """A texture's image, once it is a float (height, width, 3) array."""
    where = f"texture {name!r}"
    _array(where, "image", image, (height, width, 3), np.floating)
    _finite(where, "image", image)
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
        raise PluginError(f"{where}: its {what} is {value.dtype}, not {_KINDS[kind]}")


_KINDS = {np.floating: "a float type", np.bool_: "bool"}  # np.dtype(np.floating) is no dtype


def _finite(where: str, what: str, value: np.ndarray) -> None:
    """NaN or infinity would be cast to undefined 8-bit pixels: min and max tell, with no
    array the size of the image."""
    if value.size and not (np.isfinite(value.min()) and np.isfinite(value.max())):
        raise PluginError(f"{where}: its {what} holds NaN or infinite values")


def _what(value: Any) -> str:
    return "None" if value is None else f"a {type(value).__name__}"
