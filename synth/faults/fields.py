"""Faults in a line's fields, one table row each: which field, what change, which rule.

Parts a fault touches or needs are dotted paths (`label.meta.type`, `mask.meta.color-map.1`):
faults on different paths compose, and their rules add up.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np

from synth.faults.model import Applies, Case, Fault, Precondition, Transform, rule_row
from synth.faults.ops import (
    HEXES,
    RECOLORED,
    TWINS,
    Path,
    Value,
    both,
    cmap,
    decode,
    drop,
    drop_attribute,
    edit,
    entry,
    has_background,
    has_defect_pixels,
    has_entry,
    has_field,
    label_meta,
    mask_meta,
    mask_uri,
    new_entry,
    next_key,
    packed,
    read,
    rename,
    rgb,
    set_,
    top,
    with_mask,
)
from synth.faults.registry import CATALOGUE
from synth.format import S3Uri, is_bucket_name

CMAP = "mask.meta.color-map"
ONE = f"{CMAP}.1"
FIRST_CLASS = has_entry("1")


row = partial(rule_row, "field")

# The places a field row names by their dotted part, and what a case needs to have each:
# a row then writes its field's path once, for both the edit and the part it touches.
_PLACES: dict[str, tuple[Path, Precondition | None]] = {
    "label.meta": (label_meta, None),
    "mask.meta": (mask_meta, None),
    f"{CMAP}.0": (entry("0"), has_background),
    ONE: (entry("1"), FIRST_CLASS),
}


def set_row(
    name: str,
    rule: str,
    doc: str,
    part: str,
    value: Value,
    applies: Applies = "any",
    *,
    present: bool = False,
) -> Fault:
    """A row setting the field at dotted `part` (a place, then the field's key) to `value`;
    with `present`, only where the line has the field."""
    change = lambda path, key: set_(path, key, value)  # noqa: E731
    return _field_row(name, rule, doc, part, change, present=present, applies=applies)


def drop_row(name: str, rule: str, doc: str, part: str, applies: Applies = "any") -> Fault:
    """A row removing the field at dotted `part`; it fits only a line that has the field
    (the console's color maps have no confidence to remove)."""
    return _field_row(name, rule, doc, part, drop, present=True, applies=applies)


def _field_row(
    name: str,
    rule: str,
    doc: str,
    part: str,
    change: Callable[[Path, str], Transform],
    *,
    present: bool = False,
    applies: Applies = "any",
) -> Fault:
    place, key = part.rsplit(".", 1)
    path, precondition = _PLACES[place]
    if present:
        precondition = both(precondition, has_field(path, key))
    transform = change(path, key)
    return row(name, rule, doc, transform, [part], precondition=precondition, applies=applies)


def _uri(key: str | Callable[[Case], str], change: Callable[[S3Uri], str]) -> Transform:
    """Rewrite the s3:// URI at top-level `key` (a function of the case naming it)."""
    return set_(top, key, lambda case: change(S3Uri.parse(case.record[_resolve(key, case)])))


def _resolve(key: Any, case: Case) -> str:
    return key(case) if callable(key) else key


def _mask_key(case: Case) -> str:
    return case.mask


def _other_bucket(bucket: str) -> str:
    """A valid bucket name other than `bucket`, 3..63 characters however long `bucket` is."""
    for suffix in ("-other", "-other2"):
        other = bucket[: 63 - len(suffix)] + suffix
        if other != bucket and is_bucket_name(other):
            return other
    raise AssertionError(f"no other bucket name for {bucket!r}")


def _moved(key: str | Callable[[Case], str], change: Callable[[S3Uri], str]) -> Transform:
    """`_uri`, its object moved along: the case's store holds it where the line now names
    it, so a reader of the store that skips the broken condition finds the object and
    sees nothing else wrong. (S3 holds no object in a bucket it refuses, nor under an
    empty key: `synth check` on S3 and `synth suite` leave those out, and the validator
    finds them missing, as any reader of S3 would.)"""
    rewrite = _uri(key, change)

    def transform(case: Case, rng: np.random.Generator) -> Case:
        old = case.record[_resolve(key, case)]
        broken = rewrite(case, rng)
        new = broken.record[_resolve(key, case)]
        moved = {new if uri == old else uri: data for uri, data in broken.objects.items()}
        return replace(broken, objects=moved)

    return transform


_move_mask = _moved(_mask_key, lambda u: str(S3Uri(_other_bucket(u.bucket), u.key)))


def _second_label(case: Case, rng: np.random.Generator) -> Case:
    def change(record: dict[str, Any]) -> None:
        record["second-label"] = record.get(case.label, 1)
        record["second-label-metadata"] = copy.deepcopy(record[f"{case.label}-metadata"])

    return edit(case, change)


def _swap_background(case: Case, rng: np.random.Generator) -> Case:
    def change(record: dict[str, Any]) -> None:
        colors = record[f"{case.mask}-metadata"]["internal-color-map"]
        colors["0"], colors["1"] = colors["1"], colors["0"]

    return edit(case, change)


def _keys_from_one(case: Case, rng: np.random.Generator) -> Case:
    def change(record: dict[str, Any]) -> None:
        meta = record[f"{case.mask}-metadata"]
        entries = list(meta["internal-color-map"].values())
        meta["internal-color-map"] = {str(i + 1): e for i, e in enumerate(entries)}

    return edit(case, change)


def _twin_row(name: str, rule: str, doc: str, same: str) -> Fault:
    """A row adding a color map entry that shares entry 1's `same` field; its other field
    is unused in the map."""

    def twin(case: Case) -> dict[str, Any]:
        first = read(case, entry("1"))
        [color] = TWINS.free(case)
        return new_entry(
            case,
            first["class-name"] if same == "class-name" else TWINS.name(color),
            first["hex-color"] if same == "hex-color" else color,
        )

    return row(
        name,
        rule,
        doc,
        set_(cmap, next_key, twin),
        [f"{CMAP}.new"],
        needs=[f"{ONE}.{same}"],
        precondition=FIRST_CLASS,
    )


def _one_bucket(case: Case) -> bool:
    """A line naming one bucket once: no mask, or a normal line whose mask can go."""
    return not case.mask or not case.anomalous


def _rebucket(change: Callable[[str], str]) -> Transform:
    """source-ref in a bucket whose name breaks one condition; a normal line loses its mask
    first (valid: the console's normal lines have none), so no second bucket is named and
    a reader that skips the condition sees one bucket, and the image there (`_moved`)."""
    move = _moved("source-ref", lambda u: str(S3Uri(change(u.bucket), u.key)))

    def transform(case: Case, rng: np.random.Generator) -> Case:
        if case.mask:
            uri = mask_uri(case)
            case = drop_attribute(lambda c: c.mask)(case, rng)
            case = replace(
                case, objects={k: v for k, v in case.objects.items() if k != uri}, mask=""
            )
        return move(case, rng)

    return transform


def _upper(bucket: str) -> str:
    """The first letter in upper case (a letter put first when there is none)."""
    at = next((i for i, c in enumerate(bucket) if c.isalpha()), None)
    if at is None:
        return "B" + bucket[1:]
    return bucket[:at] + bucket[at].upper() + bucket[at + 1 :]


def _short(bucket: str) -> str:
    """Two characters, both letters or digits."""
    ends = [c for c in bucket if c.isalnum()]
    return "".join(ends[:2]) if len(ends) >= 2 else "ab"


def _background_recolored(case: Case, rng: np.random.Generator) -> Case:
    [color] = RECOLORED.free(case)
    case = set_(entry("0"), "hex-color", color)(case, rng)
    uri = mask_uri(case)
    if uri not in case.objects:
        return case
    pixels = decode(case.objects[uri]).copy()
    pixels[packed(pixels) == 0xFFFFFF] = rgb(color)
    return with_mask(case, pixels)


# The hex-color faults add a class of their own (unpainted), its name from its pool color
# and its hex-color that color written wrong: a reader that takes the value for a color
# finds a new class no pixel and no other line contradicts, so only the form is wrong.
_HEX_FAULTS: tuple[tuple[str, str, Callable[[str], object]], ...] = (
    ("hex-color-short", "has five digits", lambda color: color[:-1]),
    ("hex-color-shorthand", "is CSS shorthand, three digits (#ad0)", lambda c: "#" + c[1::2]),
    ("hex-color-name", "is a color name after # (#purple: not hex digits)", lambda c: "#purple"),
    ("hex-color-no-hash", "has no #", lambda color: color[1:]),
    ("hex-color-number", "is the color as a number, not a string", lambda c: int(c[1:], 16)),
    ("hex-color-missing", "is absent", lambda color: None),
)


def _bad_hex(write: Callable[[str], object]) -> Transform:
    def transform(case: Case, rng: np.random.Generator) -> Case:
        [color] = HEXES.free(case)
        added = new_entry(case, HEXES.name(color), color)
        value = write(color)
        if value is None:
            del added["hex-color"]
        else:
            added["hex-color"] = value
        return set_(cmap, next_key, added)(case, rng)

    return transform


# One condition of a creation-date each: its form, its time, its zone, each part in range.
_DATE_FAULTS: tuple[tuple[str, str, Value], ...] = (
    ("offset", "has a +02:00 offset: not UTC", "2021-10-12T16:16:45.668+02:00"),
    ("words", "is not a date-time", "12 October 2021"),
    ("no-time", "is a date without a time", "2021-11-23"),
    ("month", "has month 13", "2021-13-12T14:16:45.668"),
    ("day", "is 30 February", "2021-02-30T14:16:45.668"),
    ("hour", "has hour 24", "2021-10-12T24:16:45.668"),
    ("minute", "has minute 60", "2021-10-12T14:60:45.668"),
    ("second", "has second 61 (60 is a leap second)", "2021-10-12T14:16:61.668"),
    ("number", "is a number (milliseconds since 1970), not a string", 1634048205668),
)


# name, what the bucket is, how it is made from the valid one: one condition each.
_BUCKET_FAULTS: tuple[tuple[str, str, Callable[[str], str]], ...] = (
    ("upper-case", "with an upper-case letter", _upper),
    ("underscore", "with an underscore", lambda b: b[0] + "_" + b[2:]),
    ("short", "of two characters", _short),
    ("long", "of 64 characters", lambda b: b + "x" * (64 - len(b))),
    ("leading-dot", "starting with a dot", lambda b: "." + b[:62]),
)


CATALOGUE.add(
    # ---- source-ref and the bucket ---------------------------------------------------
    row(
        "source-ref-missing",
        "source-ref.missing",
        "No source-ref key.",
        drop(top, "source-ref"),
        ["source"],
    ),
    row(
        "source-ref-https",
        "source-ref.uri",
        "source-ref is an https:// URL, not s3://.",
        _uri("source-ref", lambda u: f"https://{u.bucket}/{u.key}"),
        ["source"],
    ),
    *(
        row(
            f"source-ref-bucket-{name}",
            "source-ref.uri",
            f"source-ref names a bucket {doc} (a line without a mask: a normal line's is "
            "dropped, as the console writes them, so no other bucket is named).",
            _rebucket(change),
            ["source", "mask"],
            precondition=_one_bucket,
            across="dataset.bucket",
        )
        for name, doc, change in _BUCKET_FAULTS
    ),
    row(
        "source-ref-list",
        "source-ref.uri",
        "source-ref is a list holding the URI, not a string.",
        set_(top, "source-ref", lambda c: [c.record["source-ref"]]),
        ["source"],
    ),
    row(
        "source-ref-no-key",
        "source-ref.uri",
        "source-ref is a bucket with no object path.",
        _moved("source-ref", lambda u: str(S3Uri(u.bucket, ""))),
        ["source"],
    ),
    row(
        "other-bucket",
        "dataset.bucket",
        "The mask is in another (valid) bucket than the image.",
        _move_mask,
        ["mask.ref"],
        needs=["source"],
    ),
    # ---- The label attribute ---------------------------------------------------------
    row(
        "label-missing",
        "label.missing",
        "Neither the label attribute nor its metadata.",
        drop_attribute(lambda c: c.label),
        ["label"],
    ),
    row(
        "label-twice",
        "label.duplicate",
        "Two label attributes, each with classification metadata.",
        _second_label,
        ["label"],
    ),
    row(
        "label-value-word",
        "label.value",
        'The label value is the word "one": neither an integer nor a string of digits.',
        set_(top, lambda c: c.label, "one"),
        ["label.value"],
    ),
    row(
        "label-value-missing",
        "label.value",
        "The label attribute is absent; its metadata is there.",
        drop(top, lambda c: c.label),
        ["label.value"],
    ),
    row(
        "label-metadata-missing",
        "label.metadata-missing",
        "The label attribute has no -metadata object.",
        drop(top, lambda c: f"{c.label}-metadata"),
        ["label"],
        needs=["label.value"],
    ),
    row(
        "label-metadata-suffix",
        "label.metadata-missing",
        "The label's metadata key is misspelled (-meta for -metadata).",
        rename(top, lambda c: f"{c.label}-metadata", lambda c: f"{c.label}-meta"),
        ["label"],
        needs=["label.value"],
    ),
    drop_row(
        "class-name-missing",
        "label.class-name",
        "The label metadata has no class-name.",
        "label.meta.class-name",
    ),
    set_row(
        "class-name-number",
        "label.class-name",
        "class-name is the number 1.",
        "label.meta.class-name",
        1,
    ),
    set_row(
        "label-human-annotated-bool",
        "label.human-annotated",
        "human-annotated is true, not 'yes'.",
        "label.meta.human-annotated",
        True,
    ),
    set_row(
        "label-type-wrong",
        "label.type",
        "The label metadata's type is image-classification without groundtruth/.",
        "label.meta.type",
        "image-classification",
    ),
    set_row(
        "label-confidence-string",
        "label.confidence",
        'confidence is the string "1".',
        "label.meta.confidence",
        "1",
    ),
    set_row(
        "job-name-number",
        "label.job-name",
        "job-name is a number.",
        "label.meta.job-name",
        42,
    ),
    *(
        set_row(
            f"{kind}-date-{name}",
            f"{kind}.creation-date",
            f"The {kind} metadata's creation-date {doc}.",
            f"{kind}.meta.creation-date",
            value,
        )
        for kind in ("label", "mask")
        for name, doc, value in _DATE_FAULTS
    ),
    # ---- The mask attribute ----------------------------------------------------------
    row(
        "mask-ref-missing",
        "mask.missing",
        "A normal line's mask attribute is absent; its metadata is there (an anomaly line "
        "without a mask would break dataset.mask-missing too).",
        drop(top, _mask_key),
        ["mask"],
        applies="normal",
    ),
    row(
        "mask-ref-not-s3",
        "mask.uri",
        "The mask attribute is BUCKET/KEY without s3:// (a reader that adds it finds the mask).",
        _uri(_mask_key, lambda u: f"{u.bucket}/{u.key}"),
        ["mask.ref"],
    ),
    row(
        "mask-ref-no-key",
        "mask.uri",
        "The mask attribute is a bucket with no object path.",
        _moved(_mask_key, lambda u: str(S3Uri(u.bucket, ""))),
        ["mask.ref"],
        # source-ref-no-key would move the image to the same bucket-only URI.
        needs=["source"],
    ),
    row(
        "mask-ref-list",
        "mask.uri",
        "The mask attribute is a list holding the URI, not a string.",
        set_(top, _mask_key, lambda c: [c.record[c.mask]]),
        ["mask.ref"],
    ),
    row(
        "mask-metadata-missing",
        "mask.metadata-missing",
        "The mask attribute has no -metadata object.",
        drop(top, lambda c: f"{c.mask}-metadata"),
        ["mask.meta"],
    ),
    row(
        "mask-metadata-suffix",
        "mask.metadata-missing",
        "The mask's metadata key is misspelled (-meta for -metadata).",
        rename(top, lambda c: f"{c.mask}-metadata", lambda c: f"{c.mask}-meta"),
        ["mask.meta"],
    ),
    set_row(
        "mask-type-wrong",
        "mask.type",
        "The mask metadata's type is semantic-segmentation without groundtruth/.",
        "mask.meta.type",
        "semantic-segmentation",
    ),
    set_row(
        "mask-human-annotated-case",
        "mask.human-annotated",
        "human-annotated is 'YES'.",
        "mask.meta.human-annotated",
        "YES",
    ),
    # ---- The color map ---------------------------------------------------------------
    row(
        "color-map-missing",
        "color-map.missing",
        "A normal line's mask metadata has no internal-color-map (its mask is all white).",
        drop(mask_meta, "internal-color-map"),
        [CMAP],
        applies="normal",
    ),
    row(
        "color-map-empty",
        "color-map.missing",
        "A normal line's internal-color-map is an empty object (its mask is all white).",
        set_(mask_meta, "internal-color-map", {}),
        [CMAP],
        applies="normal",
    ),
    row(
        "color-map-array",
        "color-map.missing",
        "A normal line's internal-color-map is a JSON array of its entries, not an object.",
        set_(mask_meta, "internal-color-map", lambda c: list(read(c, cmap).values())),
        [CMAP],
        applies="normal",
    ),
    row(
        "background-missing",
        "color-map.background",
        'The color map has no entry "0" (BACKGROUND).',
        drop(cmap, "0"),
        [f"{CMAP}.0"],
        precondition=has_background,
    ),
    row(
        "background-lower-case",
        "color-map.background",
        'Entry "0" is class-name "background" (in white), not BACKGROUND.',
        set_(entry("0"), "class-name", "background"),
        [f"{CMAP}.0.class-name"],
        needs=[f"{CMAP}.0.hex-color"],  # has_background reads it
        precondition=has_background,
    ),
    row(
        "background-not-white",
        "color-map.background",
        "BACKGROUND's hex-color is a color no class uses, not #ffffff; the anomaly mask's "
        "background pixels take it too, so map and mask agree (read with white or with entry "
        '"0" as the background, the mask still has defect pixels).',
        _background_recolored,
        [f"{CMAP}.0.hex-color", "mask-image.pixels"],
        needs=["mask.ref", f"{CMAP}.0.class-name"],
        applies="anomaly",
        precondition=both(has_background, has_defect_pixels),
    ),
    row(
        "color-map-keys-from-one",
        "color-map.background",
        'The color map is keyed from "1": BACKGROUND is entry "1", and no entry is "0" '
        "(an error under both profiles: the service's leniency is for a map without "
        "BACKGROUND, not for BACKGROUND elsewhere).",
        _keys_from_one,
        [CMAP],
        precondition=has_background,
    ),
    row(
        "color-map-key-negative",
        "color-map.key",
        'A color map key is "-1": an integer, but negative.',
        rename(cmap, "1", "-1"),
        [ONE],
        precondition=FIRST_CLASS,
    ),
    row(
        "color-map-key-word",
        "color-map.key",
        'A color map key is "one", not an integer string.',
        rename(cmap, "1", "one"),
        [ONE],
        precondition=FIRST_CLASS,
    ),
    drop_row(
        "color-map-class-name-missing",
        "color-map.class-name",
        "A color map entry has no class-name.",
        f"{ONE}.class-name",
    ),
    set_row(
        "color-map-class-name-number",
        "color-map.class-name",
        "A color map entry's class-name is the number 1.",
        f"{ONE}.class-name",
        1,
    ),
    set_row(
        "color-map-class-name-empty",
        "color-map.class-name",
        "A color map entry's class-name is empty.",
        f"{ONE}.class-name",
        "",
    ),
    *(
        row(
            name,
            "color-map.hex-color",
            f"A new class's hex-color {doc}.",
            _bad_hex(write),
            [f"{CMAP}.new"],
            needs=[f"{CMAP}.object"],
        )
        for name, doc, write in _HEX_FAULTS
    ),
    set_row(
        "confidence-integer",
        "color-map.confidence",
        "A color map confidence is the integer 0, not a float (in maps with confidences).",
        f"{ONE}.confidence",
        0,
        present=True,
    ),
    set_row(
        "confidence-string",
        "color-map.confidence",
        'A color map confidence is the string "0.0", not a number.',
        f"{ONE}.confidence",
        "0.0",
    ),
    drop_row(
        "confidence-missing",
        "color-map.confidence",
        "A color map entry has no confidence.",
        f"{ONE}.confidence",
    ),
    _twin_row(
        "duplicate-color",
        "color-map.duplicate-color",
        "A new class shares entry 1's hex-color (its name unused).",
        "hex-color",
    ),
    _twin_row(
        "duplicate-class",
        "color-map.duplicate-class",
        "A new entry shares entry 1's class-name (its color unused).",
        "class-name",
    ),
)
