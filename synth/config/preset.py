"""Presets: TOML files describing a dataset, read into a validated, immutable `Preset`.

Every check names the file, the key and the reason, because a preset is user input.
"""

from __future__ import annotations

import colorsys
import dataclasses
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from synth.config.choices import MASK_EXTENTS as MASK_EXTENTS  # re-exported
from synth.config.choices import MAX_COUNT
from synth.config.choices import TASKS as TASKS
from synth.config.styles import DEFAULT_STYLE, mix_of
from synth.errors import ArgumentError, PresetError, option
from synth.format import (
    BACKGROUND_CLASS,
    BACKGROUND_COLOR,
    HEX_COLOR,
    MAX_IMAGE_SIDE,
    MIN_IMAGE_SIDE,
    is_bucket_name,
)
from synth.registry import LAYOUTS, PAINTERS, TEXTURES, Registry, RegistryError

ImageFormat = Literal["png", "jpeg"]

# The surfaces a preset naming no `textures` draws from: synth's surfaces of inspected parts
# as of 0.1. Frozen: a texture added later is not added here, so that it never changes the
# bytes of a preset that names none (image i draws its surface by index into this list).
DEFAULT_TEXTURES: tuple[str, ...] = (
    "brushed-metal",
    "painted",
    "fabric",
    "cast-metal",
    "machined-metal",
    "plastic",
    "pcb",
    "wood",
    "leather",
    "ceramic-tile",
    "carpet",
    "brick",
)
# `classes = "every-painter"`: one class per registered painter, named after it, colored in
# turn from matplotlib's tab20 (the tab10 colors first); golden-angle hues past 20 painters.
EVERY_PAINTER = "every-painter"
_TAB20 = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#ff9896",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#c7c7c7",
    "#dbdb8d",
    "#9edae5",
]

_ATTRIBUTE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# The [dataset] table's keys, each a Preset field of the same name.
_DATASET_KEYS = {
    "count": int,
    "anomaly_fraction": float,
    "test_fraction": float,
    "bucket": str,
    "label_attribute": str,
    "mask_attribute": str,
    "broken_fraction": float,
    "faults": list,
    "task": str,
    "style": str,
    "one_class_per_image": bool,
    "mask_extent": str,
    "clean_twins": bool,
    "layout": str,
}


@dataclass(frozen=True, slots=True)
class DefectClass:
    """One anomaly class: its color-map entry and how to paint it."""

    name: str
    color: str
    painter: str
    count: tuple[int, int]
    params: Mapping[str, tuple[float, float]]


@dataclass(frozen=True, slots=True)
class Preset:
    name: str
    description: str
    width: int
    height: int
    textures: tuple[str, ...]
    classes: tuple[DefectClass, ...]
    count: int = 100
    anomaly_fraction: float = 0.5
    test_fraction: float = 0.0
    image_format: ImageFormat = "png"
    bucket: str = "synth-dataset"
    label_attribute: str = "anomaly-label"
    mask_attribute: str = "anomaly-mask-ref"
    broken_fraction: float = 0.0
    faults: tuple[str, ...] = ()  # fault names or rule ids (the run checks them); empty: all
    task: str = "segmentation"  # or "classification": lines without masks, no masks/
    style: str = DEFAULT_STYLE  # how the lines are written (synth/config/styles.py)
    # Each anomaly image shows one class, the classes taking turns (plan.py): the service's
    # per-label training minimum counts only images holding one anomaly type.
    one_class_per_image: bool = False
    mask_extent: str = "visible"  # one of MASK_EXTENTS
    # Each anomalous image is also written without its defects (same texture, same seed).
    clean_twins: bool = False
    layout: str = "lfv"  # how the output is laid out: a name of synth.registry.LAYOUTS

    def __post_init__(self) -> None:
        _check_preset(self)

    def with_overrides(self, **changes: Any) -> Preset:
        """A copy with CLI/API overrides applied (None means keep), validated like the file.

        A value the caller gave is named as the caller gave it (`width=`, `--bucket`),
        not by the preset key it lands in, which the caller never typed.
        """
        given = {k: v for k, v in changes.items() if v is not None}
        try:
            changed = dataclasses.replace(self, **given)
            unheld = _unheld(changed, given)
            if unheld is not None:
                raise PresetError(f"{unheld[0]}: {unheld[1]}", key=unheld[0])
            return changed
        except PresetError as exc:
            key = exc.key or ""
            name = _FIELD_OF_KEY.get(key, key.rpartition(".")[2])
            if name not in given and key in _LAYOUT_BOUND and "layout" in given:
                name = "layout"  # the preset's value the layout asked for cannot honour
            if name not in given:
                raise
            why = str(exc).removeprefix(f"{key}: ")
            raise ArgumentError(f"{option(name)}: {why}") from None

    @property
    def splits(self) -> tuple[str, ...]:
        return ("train", "test") if self.test_fraction > 0 else ("train",)

    def to_dict(self) -> dict[str, Any]:
        """The preset as TOML-shaped data, recorded in dataset.json and accepted by `from_dict`."""
        return {
            "description": self.description,
            "image": {
                "width": self.width,
                "height": self.height,
                "textures": list(self.textures),
                "format": self.image_format,
            },
            "dataset": {
                "count": self.count,
                "anomaly_fraction": self.anomaly_fraction,
                "test_fraction": self.test_fraction,
                "bucket": self.bucket,
                "label_attribute": self.label_attribute,
                "mask_attribute": self.mask_attribute,
                "broken_fraction": self.broken_fraction,
                "faults": list(self.faults),
                "task": self.task,
                "style": self.style,
                "one_class_per_image": self.one_class_per_image,
                "mask_extent": self.mask_extent,
                "clean_twins": self.clean_twins,
                # Only when not the default: the lfv dataset.json stays as it was.
                **({} if self.layout == "lfv" else {"layout": self.layout}),
            },
            "classes": [
                {
                    "name": c.name,
                    "color": c.color,
                    "painter": c.painter,
                    "count": list(c.count),
                    "params": {k: list(v) for k, v in c.params.items()},
                }
                for c in self.classes
            ],
        }


def palette(preset: Preset) -> list[str]:
    """Mask palette: index 0 is background, index i the color of class i.

    Here, with the classes, because both the renderer's previews and the manifest's
    masks are drawn with it.
    """
    return [BACKGROUND_COLOR] + [c.color for c in preset.classes]


def builtin_presets() -> dict[str, Path]:
    """Name -> file of every preset shipped with the package."""
    folder = resources.files("synth.presets")
    return {
        Path(entry.name).stem: Path(str(entry))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".toml")
    }


# A preset is a page of TOML; the largest built-in is a few KiB.
MAX_PRESET_BYTES = 1 << 20


def load_preset(name_or_path: str | Path) -> Preset:
    """A built-in preset by name, or a user's TOML file by path."""
    builtin = builtin_presets()
    if isinstance(name_or_path, str) and name_or_path in builtin:
        path = builtin[name_or_path]
    else:
        path = Path(name_or_path)
        if path.is_dir():
            raise PresetError(f"{path}: is a folder; give a preset's TOML file")
        if not path.exists():  # not is_file(): `-p <(make-preset)` reads a pipe
            if isinstance(name_or_path, Path) or path.suffix or "/" in str(name_or_path):
                raise PresetError(f"{path}: no such preset file")  # meant as a path
            known = ", ".join(builtin)
            raise PresetError(
                f"unknown preset {str(name_or_path)!r}: not a built-in preset ({known}) "
                "nor a TOML file"
            )
    try:
        # utf-8-sig: an editor's byte-order mark (Notepad writes one) is not TOML's to see.
        with path.open("rb") as file:
            raw = file.read(MAX_PRESET_BYTES + 1)
        if len(raw) > MAX_PRESET_BYTES:  # /dev/zero, a log named .toml: not read whole
            raise PresetError(f"{path}: over {MAX_PRESET_BYTES:,} bytes: not a preset")
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PresetError(f"{path}: cannot read the preset: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses once per nested array or table
        raise PresetError(f"{path}: not a preset: arrays or tables nested too deep") from None
    return from_dict(data, name=path.stem, source=str(path))


def from_dict(data: Mapping[str, Any], *, name: str = "custom", source: str = "preset") -> Preset:
    """A preset from TOML-shaped data (a parsed file, or a dict in a user's test)."""
    reader = _Reader(source)
    reader.only(data, "", {"description", "image", "dataset", "classes"})
    image = reader.table(data, "image")
    dataset = reader.table(data, "dataset")
    reader.only(image, "image.", {"width", "height", "textures", "format"})
    reader.only(dataset, "dataset.", set(_DATASET_KEYS))
    classes_data = data.get("classes", [])
    if classes_data == EVERY_PAINTER:
        classes_data = [
            {"name": painter, "color": _class_color(n), "painter": painter}
            for n, painter in enumerate(PAINTERS)
        ]
    if not isinstance(classes_data, list):
        raise reader.error(
            "classes", f"must be an array of tables ([[classes]]) or {EVERY_PAINTER!r}"
        )
    kwargs: dict[str, Any] = {
        "description": reader.get(data, "description", str, ""),
        "width": reader.get(image, "image.width", int),
        "height": reader.get(image, "image.height", int),
        "textures": tuple(reader.get(image, "image.textures", list, list(DEFAULT_TEXTURES))),
        "image_format": reader.get(image, "image.format", str, "png"),
        "classes": tuple(
            _defect_class(reader, entry, f"classes[{i}]") for i, entry in enumerate(classes_data)
        ),
    }
    # A preset without classes is normal-only unless it says otherwise.
    kwargs["anomaly_fraction"] = 0.5 if kwargs["classes"] else 0.0
    for key in dataset:
        kwargs[key] = reader.get(dataset, f"dataset.{key}", _DATASET_KEYS[key])
    kwargs["faults"] = tuple(kwargs.get("faults", ()))
    try:
        return Preset(name=name, **kwargs)
    except PresetError as exc:
        raise PresetError(f"{source}: {exc}") from None


MAX_DEFECTS = 100  # of one class in one image: keeps one image's work reasonable


def _class_color(n: int) -> str:
    """The n-th class color of `classes = "every-painter"`: distinct, never white."""
    if n < len(_TAB20):
        return _TAB20[n]
    red, green, blue = colorsys.hsv_to_rgb((n * 0.381966) % 1.0, 0.75, 0.8)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def _unusable(registry: Registry[Any], name: str) -> str | None:
    """Why `name` cannot be used: unknown (the known ones listed), or a plugin that failed
    to load (its own error, not "unknown": the user named it rightly)."""
    try:
        registry.get_entry(name)
    except RegistryError as error:
        return str(error)
    return None


def _defect_class(reader: _Reader, data: Any, where: str) -> DefectClass:
    if not isinstance(data, Mapping):
        raise reader.error(where, "must be a table")
    reader.only(data, f"{where}.", {"name", "color", "painter", "count", "params"})
    painter = reader.get(data, f"{where}.painter", str)
    if (problem := _unusable(PAINTERS, painter)) is not None:
        raise reader.error(f"{where}.painter", problem)
    count = reader.get(data, f"{where}.count", list, [1, 1])
    if not (
        len(count) == 2
        and all(type(n) is int for n in count)
        and 1 <= count[0] <= count[1] <= MAX_DEFECTS
    ):
        raise reader.error(
            f"{where}.count",
            f"must be [min, max] with 1 <= min <= max <= {MAX_DEFECTS}, got {count!r}",
        )
    params = reader.get(data, f"{where}.params", dict, {})
    try:
        resolved = PAINTERS[painter].resolve_params(params)
    except ValueError as exc:
        raise reader.error(f"{where}.params", str(exc)) from None
    return DefectClass(
        name=reader.get(data, f"{where}.name", str),
        color=reader.get(data, f"{where}.color", str).lower(),
        painter=painter,
        count=(count[0], count[1]),
        params=resolved,
    )


_FIELD_OF_KEY = {"image.format": "image_format"}  # the others: the key's last part


def _check_preset(preset: Preset) -> None:
    def fail(key: str, why: str) -> PresetError:
        return PresetError(f"{key}: {why}", key=key)

    for key, side in (("image.width", preset.width), ("image.height", preset.height)):
        if not MIN_IMAGE_SIDE <= side <= MAX_IMAGE_SIDE:
            raise fail(
                key, f"must be between {MIN_IMAGE_SIDE} and {MAX_IMAGE_SIDE} pixels, got {side}"
            )
    if not preset.textures:
        raise fail("image.textures", "must name at least one texture")
    for texture in preset.textures:
        if (problem := _unusable(TEXTURES, texture)) is not None:
            raise fail("image.textures", problem)
    if preset.image_format not in ("png", "jpeg"):
        raise fail("image.format", f"must be 'png' or 'jpeg', got {preset.image_format!r}")
    if preset.task not in TASKS:
        raise fail("dataset.task", f"must be one of {', '.join(TASKS)}, got {preset.task!r}")
    if preset.mask_extent not in MASK_EXTENTS:
        raise fail(
            "dataset.mask_extent",
            f"must be one of {', '.join(MASK_EXTENTS)}, got {preset.mask_extent!r}",
        )
    try:
        styles = mix_of(preset.style)
    except ArgumentError as exc:
        raise fail("dataset.style", str(exc)) from None
    for style in styles:
        if preset.task == "segmentation" and not style.segmentation:
            raise fail(
                "dataset.style",
                f"{style.name!r} writes classification lines only (the AWS tool it copies "
                "writes no segmentation): use task classification, or style console or "
                "ground-truth",
            )
    if preset.count < 1:
        raise fail("dataset.count", f"must be at least 1, got {preset.count}")
    if preset.count > MAX_COUNT:
        raise fail("dataset.count", f"must be at most {MAX_COUNT:,}, got {preset.count}")
    for key, value in (
        ("dataset.anomaly_fraction", preset.anomaly_fraction),
        ("dataset.test_fraction", preset.test_fraction),
        ("dataset.broken_fraction", preset.broken_fraction),
    ):
        if not 0.0 <= value <= 1.0:
            raise fail(key, f"must be between 0 and 1, got {value}")
    if preset.test_fraction >= 1.0:
        raise fail("dataset.test_fraction", "must leave images for training (below 1)")
    if not all(isinstance(word, str) for word in preset.faults):
        raise fail("dataset.faults", f"must be names or rule ids, got {list(preset.faults)!r}")
    if preset.anomaly_fraction > 0 and not preset.classes:
        raise fail("dataset.anomaly_fraction", "is above 0 but the preset defines no [[classes]]")
    if not is_bucket_name(preset.bucket):
        raise fail("dataset.bucket", f"{preset.bucket!r} is not a valid S3 bucket name")
    if not _ATTRIBUTE.fullmatch(preset.label_attribute) or preset.label_attribute.endswith("-ref"):
        raise fail(
            "dataset.label_attribute",
            f"{preset.label_attribute!r} must be a plain key that does not end in '-ref'",
        )
    if not _ATTRIBUTE.fullmatch(preset.mask_attribute) or not preset.mask_attribute.endswith(
        "-ref"
    ):
        raise fail(
            "dataset.mask_attribute", f"{preset.mask_attribute!r} must be a key ending in '-ref'"
        )
    if "source-ref" in (preset.label_attribute, preset.mask_attribute):
        raise fail("dataset", "'source-ref' is reserved for the image's location")
    seen_names, seen_colors = {BACKGROUND_CLASS}, {BACKGROUND_COLOR}
    for i, cls in enumerate(preset.classes):
        if not cls.name or cls.name in seen_names:
            raise fail(f"classes[{i}].name", f"{cls.name!r} is empty, BACKGROUND, or used twice")
        if (
            not HEX_COLOR.fullmatch(cls.color)
            or cls.color != cls.color.lower()
            or cls.color in seen_colors
        ):
            raise fail(
                f"classes[{i}].color",
                f"{cls.color!r} must be #rrggbb, not white and not used by another class",
            )
        seen_names.add(cls.name)
        seen_colors.add(cls.color)
    if len(preset.classes) > 254:
        raise fail("classes", "at most 254 classes fit in a mask")
    if (problem := _unusable(LAYOUTS, preset.layout)) is not None:
        raise fail("dataset.layout", problem)
    refused = LAYOUTS[preset.layout].check(preset)
    if refused is not None:
        raise fail("dataset.layout", refused)
    if (unheld := _unheld(preset)) is not None:
        raise fail(*unheld)


# What only manifest lines hold, and what only a broken copy uses: a layout without
# them refuses a value other than the default rather than ignore it.
_IN_MANIFESTS = ("task", "style", "bucket", "label_attribute", "mask_attribute")
_IN_BROKEN = ("broken_fraction", "faults")
_LAYOUT_BOUND = {f"dataset.{name}" for name in (*_IN_MANIFESTS, *_IN_BROKEN)}


def _unheld(preset: Preset, given: Mapping[str, Any] | None = None) -> tuple[str, str] | None:
    """The key the preset's layout cannot honour, and why; None when it honours them all.

    A preset's value other than the default, or any value in `given` (the caller's
    overrides: `--style` is ignored by a layout without lines whatever style it names).
    """
    layout = LAYOUTS[preset.layout]
    defaults = {f.name: f.default for f in dataclasses.fields(Preset)}
    for names, held, what in (
        (_IN_MANIFESTS, layout.manifests, "writes no manifest lines"),
        (_IN_BROKEN, layout.broken, "writes no broken copy"),
    ):
        for name in names:
            value = getattr(preset, name)
            asked = name in given if given is not None else value != defaults[name]
            if not held and asked:
                said = ",".join(value) if isinstance(value, tuple) else value
                return f"dataset.{name}", (
                    f"layout {preset.layout!r} {what}, so {said!r} would be ignored; drop it, "
                    "or choose a layout that holds it (see `synth layouts`)"
                )
    return None


class _Reader:
    """Typed access to TOML data with errors that say file, key and why."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, key: str, why: str) -> PresetError:
        return PresetError(f"{self.source}: {key}: {why}")

    def only(self, data: Mapping[str, Any], prefix: str, allowed: set[str]) -> None:
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.error(
                prefix + unknown[0], f"unknown key; expected one of {', '.join(sorted(allowed))}"
            )

    def table(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, Mapping):
            raise self.error(key, "must be a table")
        return value

    def get(self, data: Mapping[str, Any], path: str, kind: type, default: Any = ...) -> Any:
        key = path.rsplit(".", 1)[-1]
        if key not in data:
            if default is ...:
                raise self.error(path, "is required")
            return default
        value = data[key]
        if kind is float and type(value) is int:
            value = float(value)
        if type(value) is not kind:
            raise self.error(path, f"must be {kind.__name__}, got {value!r}")
        return value
