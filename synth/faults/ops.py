"""Generic operations faults are made of: drop, set, rename a field; replace an object.

A place in the record is a `Path`: a function from the case to the keys leading to a
dict (so it follows the case's own attribute names). Values may be functions of the
case, so a fault's values are derived from the case it breaks, not fixed literals.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from synth.faults.model import Case, FaultError, Transform
from synth.format import BACKGROUND_CLASS

Path = Callable[[Case], tuple[str, ...]]
Value = Any | Callable[[Case], Any]

WHITE = "#ffffff"


def top(case: Case) -> tuple[str, ...]:
    return ()


def label_meta(case: Case) -> tuple[str, ...]:
    return (f"{case.label}-metadata",)


def mask_meta(case: Case) -> tuple[str, ...]:
    return (f"{case.mask}-metadata",)


def cmap(case: Case) -> tuple[str, ...]:
    return (*mask_meta(case), "internal-color-map")


def entry(key: str) -> Path:
    """A color map entry by key."""
    return lambda case: (*cmap(case), key)


def at(record: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    for key in path:
        record = record[key]
    return record


def read(case: Case, path: Path) -> dict[str, Any]:
    return at(case.record, path(case))


def edit(case: Case, change: Callable[[dict[str, Any]], object]) -> Case:
    """A copy of the case whose record `change` has edited in place."""
    record = copy.deepcopy(case.record)
    change(record)
    return replace(case, record=record)


def _value(value: Value, case: Case) -> Any:
    return value(case) if callable(value) else value


def drop(path: Path, *keys: Value) -> Transform:
    """Remove keys (missing ones are no error: a fault may drop optional fields)."""

    def transform(case: Case, rng: np.random.Generator) -> Case:
        names = [_value(k, case) for k in keys]
        return edit(case, lambda r: [at(r, path(case)).pop(n, None) for n in names])

    return transform


def drop_attribute(name: Callable[[Case], str]) -> Transform:
    """Remove a top-level attribute (the case's label or mask) together with its metadata."""
    return drop(top, name, lambda case: f"{name(case)}-metadata")


def set_(path: Path, key: Value, value: Value) -> Transform:
    def transform(case: Case, rng: np.random.Generator) -> Case:
        name, new = _value(key, case), _value(value, case)
        return edit(case, lambda r: at(r, path(case)).update({name: new}))

    return transform


def rename_key(mapping: dict[str, Any], old: str, new: str) -> None:
    """Rename a key in place, keeping its position."""
    items = [(new if k == old else k, v) for k, v in mapping.items()]
    mapping.clear()
    mapping.update(items)


def rename(path: Path, old: Value, new: Value) -> Transform:
    def transform(case: Case, rng: np.random.Generator) -> Case:
        before, after = _value(old, case), _value(new, case)
        return edit(case, lambda r: rename_key(at(r, path(case)), before, after))

    return transform


def text(case: Case, line: str) -> Case:
    return replace(case, text=line)


# ---- Values derived from the case ------------------------------------------------------


def colors_of(case: Case) -> set[str]:
    """The map's hex colors, lower case (the validator compares them case-insensitively)."""
    return {
        e["hex-color"].lower()
        for e in read(case, cmap).values()
        if isinstance(e, dict) and isinstance(e.get("hex-color"), str)
    }


@dataclass(frozen=True)
class Pool:
    """The colors one fault gives the classes it adds, and their names, made from the colors.

    Each pool is a block of its own inside FAULT_COLORS, a block no built-in preset and no
    drawn palette uses, and a class's name is the pool's prefix and the color's offset: so
    across the lines of one dataset, whatever faults each line carries, a class name has one
    color and a color one name (no `dataset.color-consistency` a fault did not mean).
    """

    prefix: str
    start: int
    size: int

    def name(self, color: str) -> str:
        return f"{self.prefix}{int(color[1:], 16) - self.start}"

    def free(self, case: Case, count: int = 1, first: int = 0) -> list[str]:
        """`count` colors from offset `first` on (wrapping round), skipping those whose color
        or name the line's map holds already (a user's preset may use one)."""
        taken, names = colors_of(case), class_names(case)
        found: list[str] = []
        for step in range(self.size):
            color = f"#{self.start + (first + step) % self.size:06x}"
            if color not in taken and self.name(color) not in names:
                found.append(color)
                if len(found) == count:
                    return found
        raise FaultError(f"the color map holds all but {len(found)} of the {self.size} colors")


FAULT_COLORS = range(0xA70000, 0xA80000)  # every pool's block lies in it (#a7xxxx)
PIN_HOLES = Pool("pin-hole-", 0xA70000, 0x8000)  # class-name-hyphen: a hyphen in each name
EXTRA = Pool("extra", 0xA78000, 0x1000)  # mask-too-many-classes
MANY = Pool("x", 0xA79000, 0x1000)  # too-many-classes: short names keep lines short
TWINS = Pool("twin", 0xA7A000, 0x1000)  # duplicate-color's new name, duplicate-class's color
RECOLORED = Pool("", 0xA7B000, 0x1000)  # class-recolored, background-not-white (colors only)
STRAY = Pool("", 0xA7C000, 0x1000)  # mask-stray-color when no neighbour color is free
HEXES = Pool("hex", 0xA7D000, 0x1000)  # the hex-color faults' new class, its color miswritten


def new_entry(case: Case, name: str, color: str) -> dict[str, Any]:
    """A color map entry shaped like the line's own: in their key order, with their
    confidence (Ground Truth's per-image one), or with none when they carry none (the
    console's maps)."""
    template = next(
        (e for e in read(case, cmap).values() if isinstance(e, dict) and "confidence" in e),
        None,
    )
    if template is None:
        return {"class-name": name, "hex-color": color}
    confidence = template["confidence"] if type(template["confidence"]) is float else 0.0
    values = {"class-name": name, "hex-color": color, "confidence": confidence}
    return {key: values[key] for key in template if key in values} | values


def class_names(case: Case) -> set[Any]:
    """The color map's class-name values (whatever their type: a fault may have changed one)."""
    return {e.get("class-name") for e in read(case, cmap).values() if isinstance(e, dict)}


def next_key(case: Case) -> str:
    keys = [int(k) for k in read(case, cmap) if k.isdigit()]
    return str(max(keys, default=0) + 1)


def has_entry(key: str) -> Callable[[Case], bool]:
    return lambda case: isinstance(read(case, cmap).get(key), dict)


def has_field(path: Path, key: str) -> Callable[[Case], bool]:
    """Whether the dict at `path` holds `key`: removing an absent field changes nothing."""
    return lambda case: key in read(case, path)


def has_background(case: Case) -> bool:
    """Whether entry "0" is BACKGROUND in white: the console's maps have none (their "0" is
    a defect class), so a fault about BACKGROUND does not fit them."""
    first = read(case, cmap).get("0")
    return (
        isinstance(first, dict)
        and first.get("class-name") == BACKGROUND_CLASS
        and str(first.get("hex-color")).lower() == WHITE
    )


def both(*checks: Callable[[Case], bool] | None) -> Callable[[Case], bool]:
    """A precondition holding when every given one does (None holds always)."""
    given = [check for check in checks if check is not None]
    return lambda case: all(check(case) for check in given)


# ---- Objects ---------------------------------------------------------------------------


def image_uri(case: Case) -> str:
    return case.record["source-ref"]


def mask_uri(case: Case) -> str:
    return case.record[case.mask]


def decode(data: bytes) -> np.ndarray:
    """An image or mask as RGB; a mask's fully transparent pixels (the console's
    background) as white, the background they are to the service."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as picture:
        if "transparency" not in picture.info and picture.mode not in ("RGBA", "LA", "PA"):
            return np.asarray(picture.convert("RGB"))
        rgba = np.asarray(picture.convert("RGBA"))
    rgb = rgba[..., :3].copy()
    rgb[rgba[..., 3] == 0] = 255
    return rgb


def encode(array: np.ndarray, fmt: str = "PNG", **options: Any) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt, **options)
    return buffer.getvalue()


def encode_like(original: bytes, array: np.ndarray) -> bytes:
    """`array` encoded as `original` was: a palette PNG stays one, so a fault that is not
    about the encoding does not also change it (a client reading only palette masks must
    fail the fault for its own reason). New colors take the palette's spare entries; past
    256 colors the mask can only be RGB."""
    from PIL import Image

    with Image.open(io.BytesIO(original)) as source:
        if source.mode != "P":
            return encode(array)
        palette = list(source.getpalette() or [])
    palette += [255] * (768 - len(palette))
    slots: dict[int, int] = {}
    for i in range(256):
        slots.setdefault((palette[3 * i] << 16) | (palette[3 * i + 1] << 8) | palette[3 * i + 2], i)
    spare = iter(sorted(set(range(256)) - set(slots.values())))
    colors, labels = np.unique(packed(array), return_inverse=True)
    for color in (int(c) for c in colors if int(c) not in slots):
        slot = next(spare, None)
        if slot is None:
            return encode(array)
        slots[color] = slot
        palette[3 * slot : 3 * slot + 3] = [(color >> 16) & 255, (color >> 8) & 255, color & 255]
    lut = np.array([slots[int(c)] for c in colors], np.uint8)
    picture = Image.fromarray(lut[labels.reshape(array.shape[:2])], "P")
    picture.putpalette(palette)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def replace_object(case: Case, uri: str, data: bytes | None) -> Case:
    """The case with the object at `uri` replaced, or removed when `data` is None."""
    objects = dict(case.objects)
    if data is None:
        objects.pop(uri, None)
    else:
        objects[uri] = data
    return replace(case, objects=objects)


def mask_pixels(case: Case) -> np.ndarray:
    return decode(case.objects[mask_uri(case)])


def packed(rgb: np.ndarray) -> np.ndarray:
    """RGB pixels as 0xRRGGBB integers."""
    rgb = rgb.astype(np.uint32)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def rgb(hex_color: str) -> np.ndarray:
    """A #rrggbb color as the three uint8 channels a pixel holds."""
    return np.frombuffer(bytes.fromhex(hex_color[1:]), np.uint8)


def with_mask(case: Case, pixels: np.ndarray) -> Case:
    """The case with its mask object redrawn as `pixels`, in the mask's own encoding."""
    uri = mask_uri(case)
    return replace_object(case, uri, encode_like(case.objects[uri], pixels))


def recolor(change: Callable[[Case, np.ndarray], np.ndarray]) -> Transform:
    """Redraw the mask's pixels, in the mask's own encoding."""

    def transform(case: Case, rng: np.random.Generator) -> Case:
        return with_mask(case, change(case, mask_pixels(case).copy()))

    return transform


def has_defect_pixels(case: Case) -> bool:
    return bool((packed(mask_pixels(case)) != 0xFFFFFF).any())
