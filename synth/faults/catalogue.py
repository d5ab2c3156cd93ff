"""The break catalogue: named transformations of a valid case into one that breaks known rules.

A case is one manifest line and the objects it references. Each fault declares the
RULES.md ids a correct validator must report for its case (`rules`), and the
warnings it may see (`warnings`); a near-miss declares no rules: it looks odd but is
valid, and catches validators that are too strict. Faults are pure: the same case,
generator state and fault give the same broken case.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from PIL import Image

from synth.format import CLASSIFICATION_TYPE
from synth.registry import Registry

Level = Literal["text", "field", "object"]
Applies = Literal["any", "anomaly", "normal"]


@dataclass(frozen=True, repr=False)
class Case:
    """One manifest line (as a dict until serialised) and the objects it references."""

    record: dict[str, Any]
    objects: dict[str, bytes]
    expected_rules: frozenset[str] = frozenset()
    expected_warnings: frozenset[str] = frozenset()
    faults: tuple[str, ...] = ()
    text: str | None = None  # set by text-level faults: the line exactly as written

    @property
    def line(self) -> str:
        if self.text is not None:
            return self.text
        return json.dumps(self.record, separators=(",", ":"), ensure_ascii=False)

    def __repr__(self) -> str:
        """Readable when Hypothesis prints a shrunk case: the line, and objects summarised."""
        objects = {uri: _describe(data) for uri, data in self.objects.items()}
        return (
            f"Case(line={self.line!r}, objects={objects!r}, "
            f"expected_rules={sorted(self.expected_rules)!r}, faults={self.faults!r})"
        )

    @property
    def label(self) -> str:
        return next(
            k.removesuffix("-metadata")
            for k, v in self.record.items()
            if k.endswith("-metadata")
            and isinstance(v, dict)
            and v.get("type") == CLASSIFICATION_TYPE
        )

    @property
    def mask(self) -> str:
        return next(k for k in self.record if k.endswith("-ref") and k != "source-ref")

    @property
    def anomalous(self) -> bool:
        return self.record[f"{self.label}-metadata"]["class-name"] == "anomaly"


Transform = Callable[[Case, np.random.Generator], Case]


def _describe(data: bytes) -> str:
    try:
        with Image.open(io.BytesIO(data)) as picture:
            shape = f"{picture.width}x{picture.height} {picture.mode}"
            return f"<{picture.format} {shape}, {len(data):,} bytes>"
    except (OSError, ValueError):
        return f"<{len(data):,} bytes: {data[:24]!r}>"


@dataclass(frozen=True)
class Fault:
    name: str
    level: Level
    rules: frozenset[str]
    doc: str
    transform: Transform = field(repr=False)
    applies: Applies = "any"
    warnings: frozenset[str] = frozenset()

    def apply(self, case: Case, rng: np.random.Generator) -> Case:
        broken = self.transform(case, rng)
        return replace(
            broken,
            expected_rules=case.expected_rules | self.rules,
            expected_warnings=case.expected_warnings | self.warnings,
            faults=(*case.faults, self.name),
        )

    def fits(self, case: Case) -> bool:
        return self.applies == "any" or (self.applies == "anomaly") == case.anomalous


CATALOGUE: Registry[Fault] = Registry("synth.faults", "fault")


def _fault(
    name: str,
    level: Level,
    rules: Iterable[str],
    doc: str,
    *,
    applies: Applies = "any",
    warnings: Iterable[str] = (),
) -> Callable[[Transform], Transform]:
    def register(transform: Transform) -> Transform:
        CATALOGUE.register(
            name, Fault(name, level, frozenset(rules), doc, transform, applies, frozenset(warnings))
        )
        return transform

    return register


def _edit(case: Case, change: Callable[[dict[str, Any]], object]) -> Case:
    record = copy.deepcopy(case.record)
    change(record)
    return replace(case, record=record)


def _field(
    name: str, rules: Iterable[str], doc: str, change: Callable[[Case, dict[str, Any]], object]
) -> None:
    _fault(name, "field", rules, doc)(lambda case, rng: _edit(case, lambda r: change(case, r)))


def _label_meta(case: Case, record: dict[str, Any]) -> dict[str, Any]:
    return record[f"{case.label}-metadata"]


def _mask_meta(case: Case, record: dict[str, Any]) -> dict[str, Any]:
    return record[f"{case.mask}-metadata"]


def _cmap(case: Case, record: dict[str, Any]) -> dict[str, Any]:
    return record[f"{case.mask}-metadata"]["internal-color-map"]


def _rename(record: dict[str, Any], old: str, new: str) -> None:
    """Rename a key in place, keeping its position."""
    items = [(new if k == old else k, v) for k, v in record.items()]
    record.clear()
    record.update(items)


def _text(case: Case, text: str) -> Case:
    return replace(case, text=text)


# ---- The manifest text ---------------------------------------------------------------

_fault(
    "truncated-line", "text", ["manifest.json"], "The line is cut short, as by a partial write."
)(lambda case, rng: _text(case, case.line[: int(len(case.line) * rng.uniform(0.3, 0.9))]))
_fault("trailing-garbage", "text", ["manifest.json"], "Text follows the JSON object on its line.")(
    lambda case, rng: _text(case, case.line + " ,")
)
_fault("byte-order-mark", "text", ["manifest.encoding"], "The line starts with a UTF-8 BOM.")(
    lambda case, rng: _text(case, "\ufeff" + case.line)
)
_fault("not-utf8", "text", ["manifest.encoding"], "A byte that is not UTF-8 (Latin-1 text).")(
    lambda case, rng: _text(case, case.line.replace('"yes"', '"y\udce9s"', 1))
)
_fault("blank-line", "text", ["manifest.blank-line"], "An empty line where a JSON line should be.")(
    lambda case, rng: _text(replace(case, objects={}), "")
)
_fault("json-array", "text", ["manifest.object"], "The line is a JSON array holding the object.")(
    lambda case, rng: _text(case, "[" + case.line + "]")
)
_fault("json-string", "text", ["manifest.object"], "The line is the object as a JSON string.")(
    lambda case, rng: _text(case, json.dumps(case.line))
)
_fault(
    "duplicate-key", "text", ["manifest.duplicate-key"], "source-ref appears twice in the object."
)(
    lambda case, rng: _text(
        case, case.line[:-1] + f',"source-ref":{json.dumps(case.record["source-ref"])}}}'
    )
)

# ---- source-ref and the bucket -------------------------------------------------------

_field(
    "source-ref-missing",
    ["source-ref.missing"],
    "No source-ref key.",
    lambda c, r: r.pop("source-ref"),
)
_field(
    "source-ref-https",
    ["source-ref.uri"],
    "source-ref is an https:// URL, not s3://.",
    lambda c, r: r.update({"source-ref": r["source-ref"].replace("s3://", "https://", 1)}),
)
_field(
    "source-ref-bad-bucket",
    ["source-ref.uri"],
    "source-ref names a bucket with upper case and underscores.",
    lambda c, r: r.update({"source-ref": "s3://My_Bucket/" + r["source-ref"].split("/", 3)[3]}),
)
_field(
    "source-ref-no-key",
    ["source-ref.uri"],
    "source-ref is a bucket with no object path.",
    lambda c, r: r.update({"source-ref": "s3://" + r["source-ref"].split("/")[2] + "/"}),
)


@_fault(
    "other-bucket", "field", ["dataset.bucket"], "The mask is in another bucket than the image."
)
def _other_bucket(case: Case, rng: np.random.Generator) -> Case:
    old = case.record[case.mask]
    bucket = old.split("/")[2]
    new = old.replace(f"s3://{bucket}/", f"s3://{bucket}-other/", 1)
    moved = {new if uri == old else uri: data for uri, data in case.objects.items()}
    return replace(_edit(case, lambda r: r.update({case.mask: new})), objects=moved)


# ---- The label attribute -------------------------------------------------------------

_field(
    "label-missing",
    ["label.missing"],
    "Neither the label attribute nor its metadata.",
    lambda c, r: [r.pop(c.label), r.pop(f"{c.label}-metadata")],
)
_field(
    "label-twice",
    ["label.missing"],
    "Two label attributes, each with classification metadata.",
    lambda c, r: r.update(
        {
            "second-label": r[c.label],
            "second-label-metadata": copy.deepcopy(r[f"{c.label}-metadata"]),
        }
    ),
)
_field(
    "label-value-string",
    ["label.value"],
    'The label value is the string "1", not an integer.',
    lambda c, r: r.update({c.label: str(r[c.label])}),
)
_field(
    "label-value-missing",
    ["label.value"],
    "The label attribute is absent; its metadata is there.",
    lambda c, r: r.pop(c.label),
)
_field(
    "label-metadata-missing",
    ["label.metadata-missing"],
    "The label attribute has no -metadata object.",
    lambda c, r: r.pop(f"{c.label}-metadata"),
)
_field(
    "label-metadata-suffix",
    ["label.metadata-missing"],
    "The label's metadata key is misspelled (-meta for -metadata).",
    lambda c, r: _rename(r, f"{c.label}-metadata", f"{c.label}-meta"),
)
_field(
    "class-name-missing",
    ["label.class-name"],
    "The label metadata has no class-name.",
    lambda c, r: _label_meta(c, r).pop("class-name"),
)
_field(
    "class-name-number",
    ["label.class-name"],
    "class-name is the number 1.",
    lambda c, r: _label_meta(c, r).update({"class-name": 1}),
)
_field(
    "label-human-annotated-bool",
    ["label.human-annotated"],
    "human-annotated is true, not 'yes'.",
    lambda c, r: _label_meta(c, r).update({"human-annotated": True}),
)
_field(
    "label-type-wrong",
    ["label.type"],
    "The label metadata's type is image-classification without groundtruth/.",
    lambda c, r: _label_meta(c, r).update({"type": "image-classification"}),
)
_field(
    "label-confidence-string",
    ["label.confidence"],
    'confidence is the string "1".',
    lambda c, r: _label_meta(c, r).update({"confidence": "1"}),
)
_field(
    "job-name-number",
    ["label.job-name"],
    "job-name is a number.",
    lambda c, r: _label_meta(c, r).update({"job-name": 42}),
)
_field(
    "label-date-offset",
    ["label.creation-date"],
    "creation-date has a +02:00 offset: not UTC.",
    lambda c, r: _label_meta(c, r).update({"creation-date": "2021-10-12T16:16:45.668+02:00"}),
)
_field(
    "label-date-words",
    ["label.creation-date"],
    "creation-date is not a date-time.",
    lambda c, r: _label_meta(c, r).update({"creation-date": "12 October 2021"}),
)

# ---- The mask attribute --------------------------------------------------------------

_field(
    "mask-ref-missing",
    ["mask.missing"],
    "The mask attribute is absent; its metadata is there.",
    lambda c, r: r.pop(c.mask),
)
_field(
    "mask-ref-not-s3",
    ["mask.uri"],
    "The mask attribute is a relative path.",
    lambda c, r: r.update({c.mask: r[c.mask].split("/", 3)[3]}),
)
_field(
    "mask-metadata-missing",
    ["mask.metadata-missing"],
    "The mask attribute has no -metadata object.",
    lambda c, r: r.pop(f"{c.mask}-metadata"),
)
_field(
    "mask-metadata-suffix",
    ["mask.metadata-missing"],
    "The mask's metadata key is misspelled (-meta for -metadata).",
    lambda c, r: _rename(r, f"{c.mask}-metadata", f"{c.mask}-meta"),
)
_field(
    "mask-type-wrong",
    ["mask.type"],
    "The mask metadata's type is semantic-segmentation without groundtruth/.",
    lambda c, r: _mask_meta(c, r).update({"type": "semantic-segmentation"}),
)
_field(
    "mask-human-annotated-case",
    ["mask.human-annotated"],
    "human-annotated is 'YES'.",
    lambda c, r: _mask_meta(c, r).update({"human-annotated": "YES"}),
)
_field(
    "mask-date-no-time",
    ["mask.creation-date"],
    "creation-date is a date without a time.",
    lambda c, r: _mask_meta(c, r).update({"creation-date": "2021-11-23"}),
)
_field(
    "color-map-missing",
    ["color-map.missing"],
    "The mask metadata has no internal-color-map.",
    lambda c, r: _mask_meta(c, r).pop("internal-color-map"),
)
_field(
    "color-map-empty",
    ["color-map.missing"],
    "internal-color-map is an empty object.",
    lambda c, r: _mask_meta(c, r).update({"internal-color-map": {}}),
)
_field(
    "background-missing",
    ["color-map.background"],
    'The color map has no entry "0" (BACKGROUND).',
    lambda c, r: _cmap(c, r).pop("0"),
)


def _swap_background(case: Case, record: dict[str, Any]) -> None:
    cmap = _cmap(case, record)
    cmap["0"], cmap["1"] = cmap["1"], cmap["0"]


_field(
    "background-on-other-key",
    ["color-map.background"],
    'BACKGROUND is entry "1"; entry "0" is a defect class.',
    _swap_background,
)
_field(
    "background-not-white",
    ["color-map.background"],
    "BACKGROUND's hex-color is #000000.",
    lambda c, r: _cmap(c, r)["0"].update({"hex-color": "#000000"}),
)
_field(
    "color-map-key-word",
    ["color-map.key"],
    'A color map key is "one", not an integer string.',
    lambda c, r: _rename(_cmap(c, r), "1", "one"),
)
_field(
    "color-map-class-name-empty",
    ["color-map.class-name"],
    "A color map entry's class-name is empty.",
    lambda c, r: _cmap(c, r)["1"].update({"class-name": ""}),
)
_field(
    "hex-color-short",
    ["color-map.hex-color"],
    "A hex-color has five digits.",
    lambda c, r: _cmap(c, r)["1"].update({"hex-color": _cmap(c, r)["1"]["hex-color"][:-1]}),
)
_field(
    "hex-color-name",
    ["color-map.hex-color"],
    "A hex-color is a color name.",
    lambda c, r: _cmap(c, r)["1"].update({"hex-color": "green"}),
)
_field(
    "confidence-integer",
    ["color-map.confidence"],
    "A color map confidence is the integer 0, not a float.",
    lambda c, r: _cmap(c, r)["1"].update({"confidence": 0}),
)
_field(
    "confidence-missing",
    ["color-map.confidence"],
    "A color map entry has no confidence.",
    lambda c, r: _cmap(c, r)["1"].pop("confidence"),
)
_field(
    "duplicate-color",
    ["color-map.duplicate-color"],
    "Two classes share one hex-color.",
    lambda c, r: _cmap(c, r).update(
        {"9": {"class-name": "twin", "hex-color": _cmap(c, r)["1"]["hex-color"], "confidence": 0.0}}
    ),
)
_field(
    "duplicate-class",
    ["color-map.duplicate-class"],
    "Two entries share one class-name.",
    lambda c, r: _cmap(c, r).update(
        {
            "9": {
                "class-name": _cmap(c, r)["1"]["class-name"],
                "hex-color": "#010203",
                "confidence": 0.0,
            }
        }
    ),
)

# ---- The objects ---------------------------------------------------------------------


def _decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as picture:
        return np.asarray(picture.convert("RGB"))


def _encode(array: np.ndarray, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt)
    return buffer.getvalue()


def _replace_object(case: Case, uri: str, data: bytes | None) -> Case:
    objects = dict(case.objects)
    if data is None:
        objects.pop(uri, None)
    else:
        objects[uri] = data
    return replace(case, objects=objects)


def _image_uri(case: Case) -> str:
    return case.record["source-ref"]


def _mask_uri(case: Case) -> str:
    return case.record[case.mask]


def _resize(data: bytes, size: tuple[int, int], resample: Image.Resampling) -> bytes:
    with Image.open(io.BytesIO(data)) as picture:
        return _encode(np.asarray(picture.convert("RGB").resize(size, resample)))


def _object(name: str, rules: Iterable[str], doc: str, *, applies: Applies = "any"):  # type: ignore[no-untyped-def]
    return _fault(name, "object", rules, doc, applies=applies)


_object("image-missing", ["image.missing"], "The image object does not exist.")(
    lambda case, rng: _replace_object(case, _image_uri(case), None)
)
_object("image-not-an-image", ["image.format"], "The image object is text, not an image.")(
    lambda case, rng: _replace_object(case, _image_uri(case), b"<html>Access Denied</html>\n")
)
_object("image-gif", ["image.format"], "The image is a GIF.")(
    lambda case, rng: _replace_object(
        case, _image_uri(case), _encode(_decode(case.objects[_image_uri(case)]), "GIF")
    )
)


def _too_small(case: Case, rng: np.random.Generator) -> Case:
    """48 rows of image and mask, around the first defect row so the labels survive."""
    image, mask = _image_uri(case), _mask_uri(case)
    mask_rgb = _decode(case.objects[mask])
    defect_rows = np.flatnonzero(np.any(mask_rgb != 255, axis=(1, 2)))
    top = max(0, min(int(defect_rows[0]) - 24, mask_rgb.shape[0] - 48)) if defect_rows.size else 0
    case = _replace_object(case, image, _encode(_decode(case.objects[image])[top : top + 48]))
    return _replace_object(case, mask, _encode(mask_rgb[top : top + 48]))


def _too_large(case: Case, rng: np.random.Generator) -> Case:
    """Image and mask padded to 4100 px wide: edge pixels for the image, background for the mask."""
    image, mask = _image_uri(case), _mask_uri(case)
    mask_rgb = _decode(case.objects[mask])
    pad = ((0, 0), (0, 4100 - mask_rgb.shape[1]), (0, 0))
    case = _replace_object(case, image, _encode(np.pad(_decode(case.objects[image]), pad, "edge")))
    return _replace_object(case, mask, _encode(np.pad(mask_rgb, pad, constant_values=255)))


_object(
    "image-too-small", ["image.size"], "Image and mask are 48 px high, under the 64 px minimum."
)(_too_small)
_object(
    "image-too-large", ["image.size"], "Image and mask are 4100 px wide, over the 4096 maximum."
)(_too_large)
_object("image-file-too-large", ["image.file-size"], "The image file is over 8 MB.")(
    lambda case, rng: _replace_object(
        case, _image_uri(case), case.objects[_image_uri(case)] + bytes(8 * 1024 * 1024 + 1)
    )
)
_object("mask-missing", ["mask-image.missing"], "The mask object does not exist.")(
    lambda case, rng: _replace_object(case, _mask_uri(case), None)
)
_object("mask-jpeg", ["mask-image.format"], "The mask is a JPEG (with JPEG's blurred colors).")(
    lambda case, rng: _replace_object(
        case, _mask_uri(case), _encode(_decode(case.objects[_mask_uri(case)]), "JPEG")
    )
)


def _mask_wrong_size(case: Case, rng: np.random.Generator) -> Case:
    with Image.open(io.BytesIO(case.objects[_mask_uri(case)])) as picture:
        size = (picture.width + 8, picture.height)
    return _replace_object(
        case,
        _mask_uri(case),
        _resize(case.objects[_mask_uri(case)], size, Image.Resampling.NEAREST),
    )


_object("mask-wrong-size", ["mask-image.size"], "The mask is 8 px wider than its image.")(
    _mask_wrong_size
)


def _recolor(case: Case, change: Callable[[np.ndarray], np.ndarray]) -> Case:
    mask = _decode(case.objects[_mask_uri(case)]).copy()
    return _replace_object(case, _mask_uri(case), _encode(change(mask)))


def _stray_color(mask: np.ndarray) -> np.ndarray:
    defect = np.any(mask != 255, axis=2)
    mask[defect] = mask[defect] ^ np.array([0, 0, 1], np.uint8)
    return mask


def _antialias(mask: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    blurred = ndimage.uniform_filter(mask.astype(np.float32), size=(3, 3, 1))
    return np.rint(blurred).astype(np.uint8)


def _paint_defect(case: Case, mask: np.ndarray) -> np.ndarray:
    cmap = case.record[f"{case.mask}-metadata"]["internal-color-map"]
    color = next(e["hex-color"] for k, e in sorted(cmap.items()) if k != "0")
    h, w = mask.shape[:2]
    mask[h // 3 : h // 2, w // 3 : w // 2] = np.frombuffer(bytes.fromhex(color[1:]), np.uint8)
    return mask


_object(
    "mask-stray-color",
    ["mask-image.color"],
    "The defect pixels are one step off the color map's color.",
    applies="anomaly",
)(lambda case, rng: _recolor(case, _stray_color))
_object(
    "mask-antialiased",
    ["mask-image.color"],
    "The mask's edges are anti-aliased: blends of defect and background colors.",
    applies="anomaly",
)(lambda case, rng: _recolor(case, _antialias))
_object(
    "normal-with-defect-pixels",
    ["mask-image.label-agreement"],
    "A normal image's mask has a block of defect color.",
    applies="normal",
)(lambda case, rng: _recolor(case, lambda m: _paint_defect(case, m)))
_object(
    "anomaly-empty-mask",
    ["mask-image.label-agreement"],
    "An anomaly image's mask is all background.",
    applies="anomaly",
)(lambda case, rng: _recolor(case, lambda m: np.full_like(m, 255)))

# ---- Near-misses: valid, however odd they look -----------------------------------------


def _custom_names(case: Case, rng: np.random.Generator) -> Case:
    def change(record: dict[str, Any]) -> None:
        for old, new in ((case.label, "defect-label"), (case.mask, "defect-mask-ref")):
            _rename(record, old, new)
            _rename(record, f"{old}-metadata", f"{new}-metadata")

    return _edit(case, change)


_fault("custom-attribute-names", "field", [], "Attributes named defect-label and defect-mask-ref.")(
    _custom_names
)
_fault("extra-fields", "field", [], "Unknown extra keys at the top and in the metadata.")(
    lambda case, rng: _edit(
        case,
        lambda r: (
            r.update({"reviewed-by": "qa-team", "batch": {"id": 7}}),
            r[f"{case.label}-metadata"].update({"notes": "second pass"}),
        ),
    )
)
_fault("keys-reordered", "field", [], "Keys in reverse order, at every level.")(
    lambda case, rng: replace(case, record=_reversed(case.record))
)
_fault("upper-case-hex", "field", [], "Hex colors in upper case (#FFFFFF, #2CA02C).")(
    lambda case, rng: _edit(
        case,
        lambda r: [
            e.update({"hex-color": e["hex-color"].upper()}) for e in _cmap(case, r).values()
        ],
    )
)
_fault("optional-fields-absent", "field", [], "No confidence, job-name or creation-date.")(
    lambda case, rng: _edit(
        case,
        lambda r: [
            meta.pop(key, None)
            for meta in (_label_meta(case, r), _mask_meta(case, r))
            for key in ("confidence", "job-name", "creation-date")
        ],
    )
)
_fault("utc-z-dates", "field", [], "creation-dates end in Z.")(
    lambda case, rng: _edit(
        case,
        lambda r: [
            meta.update({"creation-date": meta["creation-date"] + "Z"})
            for meta in (_label_meta(case, r), _mask_meta(case, r))
        ],
    )
)
_fault(
    "class-name-unlabeled",
    "field",
    [],
    "class-name 'needs-review': imported unlabeled, a warning only.",
    warnings=["label.class-name"],
)(
    lambda case, rng: _edit(
        case, lambda r: _label_meta(case, r).update({"class-name": "needs-review"})
    )
)
_fault("rgb-mask", "object", [], "The mask is an RGB PNG, not a palette PNG.")(
    lambda case, rng: _replace_object(
        case, _mask_uri(case), _encode(_decode(case.objects[_mask_uri(case)]))
    )
)


def _reversed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed(v) for k, v in reversed(value.items())}
    return value


def break_case(case: Case, faults: Iterable[Fault], rng: np.random.Generator) -> Case:
    """The case broken by one of `faults` that fits it, drawn by `rng`; unchanged if none fits."""
    fitting = [f for f in faults if f.fits(case)]
    if not fitting:
        return case
    return fitting[int(rng.integers(len(fitting)))].apply(case, rng)


def near_misses() -> list[Fault]:
    return [f for f in CATALOGUE.values() if not f.rules]


def breaking() -> list[Fault]:
    return [f for f in CATALOGUE.values() if f.rules]


def select(names_or_rules: Iterable[str]) -> list[Fault]:
    """Faults by name or by a rule id they break; an unknown word is a ValueError naming it."""
    chosen: dict[str, Fault] = {}
    for word in names_or_rules:
        matches = [f for f in CATALOGUE.values() if word == f.name or word in f.rules]
        if not matches:
            raise ValueError(
                f"{word!r} is neither a fault nor a rule any fault breaks (see `synth faults`)"
            )
        chosen.update((f.name, f) for f in matches)
    return list(chosen.values())


def compose(case: Case, faults: Iterable[Fault], rng: np.random.Generator) -> Case:
    """Apply several faults to one case: their rules add up.

    Text faults rewrite the whole line, so only one may come, and last.
    """
    ordered = sorted(faults, key=lambda f: f.level == "text")
    if sum(f.level == "text" for f in ordered) > 1:
        raise ValueError("at most one text-level fault can apply to a line")
    for fault in ordered:
        case = fault.apply(case, rng)
    return case


def markdown_table(catalogue: Mapping[str, Fault] = CATALOGUE) -> str:
    """The README's table of faults, generated so it cannot drift from the code."""
    rows = ["| fault | level | breaks | what it does |", "|---|---|---|---|"]
    for fault in catalogue.values():
        breaks = ", ".join(f"`{r}`" for r in sorted(fault.rules)) or "nothing (near-miss)"
        if fault.warnings:
            breaks += " (warning: " + ", ".join(f"`{w}`" for w in sorted(fault.warnings)) + ")"
        rows.append(f"| `{fault.name}` | {fault.level} | {breaks} | {fault.doc} |")
    return "\n".join(rows)
