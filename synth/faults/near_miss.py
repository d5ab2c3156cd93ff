"""Near-misses: valid lines that look odd. They break no rule, so a validator that is too
strict (fixed attribute names, lower-case hex only, no Z dates...) fails on them."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from synth.faults.model import Case, Fault, fault
from synth.faults.ops import (
    decode,
    drop_attribute,
    edit,
    encode,
    has_background,
    label_meta,
    mask_meta,
    mask_pixels,
    mask_uri,
    packed,
    rename_key,
    replace_object,
    set_,
    top,
)
from synth.faults.registry import CATALOGUE

if TYPE_CHECKING:
    from PIL import Image

_OPTIONAL = ("confidence", "job-name", "creation-date")
_JS_DATE = "Mon Aug 22 2022 13:52:52 GMT-0700 (Pacific Daylight Time)"


def _custom_names(case: Case, rng: np.random.Generator) -> Case:
    names = {case.label: "defect-label", case.mask: "defect-mask-ref"}

    def change(record: dict[str, Any]) -> None:
        for old, new in names.items():
            rename_key(record, old, new)
            rename_key(record, f"{old}-metadata", f"{new}-metadata")

    return replace(edit(case, change), label=names[case.label], mask=names[case.mask])


def _extra_fields(case: Case, rng: np.random.Generator) -> Case:
    def change(record: dict[str, Any]) -> None:
        record.update({"reviewed-by": "qa-team", "batch": {"id": 7}})
        record[f"{case.label}-metadata"]["notes"] = "second pass"

    return edit(case, change)


def _reversed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed(v) for k, v in reversed(value.items())}
    return value


def _upper_case_hex(case: Case, rng: np.random.Generator) -> Case:
    def change(record: dict[str, Any]) -> None:
        for entry in record[f"{case.mask}-metadata"]["internal-color-map"].values():
            if isinstance(entry, dict) and isinstance(entry.get("hex-color"), str):
                entry["hex-color"] = entry["hex-color"].upper()

    return edit(case, change)


def _metas(case: Case, record: dict[str, Any]) -> list[dict[str, Any]]:
    return [record[f"{case.label}-metadata"], record[f"{case.mask}-metadata"]]


def _without_optional(case: Case, rng: np.random.Generator) -> Case:
    return edit(case, lambda r: [m.pop(k, None) for m in _metas(case, r) for k in _OPTIONAL])


def _z_dates(case: Case, rng: np.random.Generator) -> Case:
    def change(record: dict[str, Any]) -> None:
        for meta in _metas(case, record):
            if _without_z(meta):
                meta["creation-date"] += "Z"

    return edit(case, change)


def _without_z(meta: dict[str, Any]) -> bool:
    """A creation-date to end in Z: not one that already does (the console's), which a
    second Z would make no date at all."""
    date = meta.get("creation-date")
    return isinstance(date, str) and not date.endswith("Z")


def _has_optional(case: Case) -> bool:
    return any(k in m for m in _metas(case, case.record) for k in _OPTIONAL)


def _has_dates_without_z(case: Case) -> bool:
    return any(_without_z(m) for m in _metas(case, case.record))


def _flipped(case: Case, rng: np.random.Generator) -> Case:
    """The label value the other class's: 1 <-> 0, in its own form (integer or digits)."""
    value = case.record[case.label]
    other = 1 - int(value)
    return edit(
        case, lambda r: r.update({case.label: str(other) if isinstance(value, str) else other})
    )


def _value_agrees(case: Case) -> bool:
    """Whether the label value says what class-name says (1 anomaly, 0 normal): the SDK's
    inverted lines already disagree."""
    value = case.record.get(case.label)
    if isinstance(value, bool) or not isinstance(value, int | str) or str(value) not in "01":
        return False
    return int(value) == int(case.anomalous)


def _background_only(case: Case, rng: np.random.Generator) -> Case:
    def change(record: dict[str, Any]) -> None:
        mapping = record[f"{case.mask}-metadata"]["internal-color-map"]
        for key in [k for k in mapping if k != "0"]:
            del mapping[key]

    return edit(case, change)


def _plain_palette_mask(case: Case) -> bool:
    """The mask is a palette PNG with no transparency (synth's and Ground Truth's form),
    of at most 256 colors: one a near-miss can re-encode, pixel for pixel."""
    from PIL import Image

    with Image.open(io.BytesIO(case.objects[mask_uri(case)])) as mask:
        plain = mask.mode == "P" and "transparency" not in mask.info
    return plain and np.unique(packed(mask_pixels(case))).size <= 256


def _reencoded(
    make: Callable[[np.ndarray], Image.Image],
) -> Callable[[Case, np.random.Generator], Case]:
    def transform(case: Case, rng: np.random.Generator) -> Case:
        buffer = io.BytesIO()
        make(mask_pixels(case)).save(buffer, "PNG")
        return replace_object(case, mask_uri(case), buffer.getvalue())

    return transform


def _short_palette(pixels: np.ndarray) -> Image.Image:
    """A palette as long as the mask's colors (no padding to 256 entries)."""
    from PIL import Image

    colors, labels = np.unique(packed(pixels), return_inverse=True)
    picture = Image.fromarray(labels.reshape(pixels.shape[:2]).astype(np.uint8), "P")
    picture.putpalette(b"".join(int(c).to_bytes(3, "big") for c in colors))
    return picture


def _rgba(pixels: np.ndarray, alpha: np.ndarray) -> Image.Image:
    from PIL import Image

    return Image.fromarray(np.dstack([pixels, alpha.astype(np.uint8)]), "RGBA")


def _opaque(pixels: np.ndarray) -> Image.Image:
    return _rgba(pixels, np.full(pixels.shape[:2], 255))


def _edges(pixels: np.ndarray) -> np.ndarray:
    """The mask's border and the pixels with a 4-neighbour of another color: where a
    brush's alpha fades."""
    flat = packed(pixels)
    edge = np.ones(flat.shape, bool)
    edge[1:-1, 1:-1] = False
    edge[1:] |= flat[1:] != flat[:-1]
    edge[:-1] |= flat[:-1] != flat[1:]
    edge[:, 1:] |= flat[:, 1:] != flat[:, :-1]
    edge[:, :-1] |= flat[:, :-1] != flat[:, 1:]
    return edge


def _faded(pixels: np.ndarray) -> Image.Image:
    """Alpha 96 on the border and every region's edge, 255 inside: never 0, so every pixel
    is its RGB."""
    return _rgba(pixels, np.where(_edges(pixels), 96, 255))


def _encoding(name: str, doc: str, make: Callable[[np.ndarray], Image.Image]) -> Fault:
    """A near-miss writing the same mask pixels in another PNG encoding."""
    return fault(
        name,
        "object",
        [],
        doc,
        _reencoded(make),
        touches=["mask-image.palette"],
        needs=["mask.ref"],
        precondition=_plain_palette_mask,
    )


_BOTH_METAS = ["label.meta.object", "mask.meta.object"]
_DATES = ["label.meta.creation-date", "mask.meta.creation-date"]

CATALOGUE.add(
    fault(
        "custom-attribute-names",
        "field",
        [],
        "Attributes named defect-label and defect-mask-ref.",
        _custom_names,
        touches=["names"],
        needs=["label.key", "mask.key"],
        alone=True,  # in a manifest: the label-attribute-renamed dataset fault
    ),
    fault(
        "extra-fields",
        "field",
        [],
        "Unknown extra keys at the top and in the metadata.",
        _extra_fields,
        touches=["extra"],
        needs=["label.meta.object"],
    ),
    fault(
        "keys-reordered",
        "field",
        [],
        "Keys in reverse order, at every level.",
        lambda case, rng: replace(case, record=_reversed(case.record)),
        touches=["order"],
    ),
    fault(
        "upper-case-hex",
        "field",
        [],
        "Hex colors in upper case (#FFFFFF, #2CA02C).",
        _upper_case_hex,
        touches=["hex-case"],
        needs=["mask.meta.color-map.object"],
    ),
    fault(
        "optional-fields-absent",
        "field",
        [],
        "No confidence, job-name or creation-date.",
        _without_optional,
        touches=[f"{m}.{k}" for m in ("label.meta", "mask.meta") for k in _OPTIONAL],
        needs=_BOTH_METAS,
        precondition=_has_optional,
    ),
    fault(
        "utc-z-dates",
        "field",
        [],
        "creation-dates end in Z.",
        _z_dates,
        touches=_DATES,
        needs=_BOTH_METAS,
        precondition=_has_dates_without_z,
    ),
    fault(
        "class-name-unlabeled",
        "field",
        [],
        "class-name 'needs-review': imported unlabeled, a warning only.",
        set_(label_meta, "class-name", "needs-review"),
        touches=["label.meta.class-name"],
        warnings=["label.class-name"],
    ),
    fault(
        "label-value-string",
        "field",
        [],
        'The label value is a string of digits ("1"), as AWS\'s csv_to_manifest.py writes it.',
        set_(top, lambda c: c.label, lambda c: str(c.record.get(c.label, 1))),
        touches=["label.value"],
    ),
    fault(
        "javascript-date",
        "field",
        [],
        "The mask's creation-date is a JavaScript Date string, as in AWS's cookie dataset: "
        "a warning only.",
        set_(mask_meta, "creation-date", _JS_DATE),
        touches=["mask.meta.creation-date"],
        needs=["mask.meta.object"],
        warnings=["mask.creation-date"],
    ),
    fault(
        "normal-without-mask",
        "field",
        [],
        "A normal line without mask or mask metadata, as the Lookout for Vision console writes.",
        drop_attribute(lambda c: c.mask),
        touches=["mask"],
        needs=["label.meta.class-name"],
        applies="normal",
    ),
    fault(
        "line-too-long",
        "field",
        [],
        "An extra field makes the line 9,000 characters: over the API's 8,192, a warning only.",
        lambda case, rng: edit(case, lambda r: r.update({"notes": "x" * 9000})),
        touches=["extra.notes"],
        warnings=["manifest.line-length"],
    ),
    fault(
        "rgb-mask",
        "object",
        [],
        "The mask is an RGB PNG, not a palette PNG.",
        lambda case, rng: replace_object(
            case, mask_uri(case), encode(decode(case.objects[mask_uri(case)]))
        ),
        touches=["mask-image.palette"],
        needs=["mask.ref"],
    ),
    fault(
        "label-value-flipped",
        "field",
        [],
        "The label value is the other class's (0 on an anomaly line, 1 on a normal one): "
        "required but unused, class-name labels the image (the SDK's Manifest writes every "
        "value so).",
        _flipped,
        touches=["label.value"],
        needs=["label.meta.class-name"],
        precondition=_value_agrees,
    ),
    fault(
        "background-only-map",
        "field",
        [],
        "A normal line's color map holds only BACKGROUND, as DefectDetectionApplication "
        "writes its normal lines.",
        _background_only,
        touches=["mask.meta.color-map"],
        needs=["mask.ref", "mask-image.pixels"],
        applies="normal",
        precondition=has_background,
    ),
    _encoding(
        "mask-palette-short",
        "The mask's palette is as long as its colors, not padded to 256 entries (valid PNG, "
        "as the console writes it; imageio 2.9 with recent Pillow crashes on it).",
        _short_palette,
    ),
    _encoding("mask-rgba-opaque", "The mask is an RGBA PNG, alpha 255 everywhere.", _opaque),
    _encoding(
        "mask-rgba-alpha",
        "The mask is an RGBA PNG whose alpha fades to 96 along its border and every "
        "region's edge, as a brush paints; never 0, and alpha is ignored, so every pixel "
        "is its map color.",
        _faded,
    ),
)
