"""Field rules: one parsed manifest line against the segmentation format.

`check_line` lists (rule, field, message, severity) and the facts the object checks
need. Each broken field gives its own rule and no other: for instance a label
whose metadata has the wrong `type` is still found as the label (and reported as
`label.type`, not `label.missing`), and a color map with errors is not used to
judge the mask's colors.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

import orjson

from synth.format import (
    BACKGROUND_CLASS,
    BACKGROUND_COLOR,
    CLASSIFICATION_TYPE,
    HEX_COLOR,
    SEGMENTATION_TYPE,
    VERIFICATION_TYPE,
    Severity,
    s3_bucket,
)
from synth.validate.dates import PLAIN_ISO, DateForm, date_form
from synth.validate.profiles import Profile, explain, lenient_severity

_KEY = re.compile(r"0|[1-9][0-9]*")

_DIGITS = re.compile(r"[0-9]+")


class Problem(NamedTuple):
    rule: str
    where: str | None
    message: str
    severity: Severity
    profile: str | None = None  # set when the profile chose the severity


class LineFacts:
    """What the object checks need from a line whose fields were read.

    Every fact starts as the class's default, so a line's facts cost one empty object
    (validation makes one a line), and only the facts a line has are set on it.
    """

    image_uri: str | None = None
    mask_uri: str | None = None
    class_name: str | None = None
    colors: frozenset[str] | None = None  # lower-case hex; None when the map has errors
    buckets: tuple[tuple[str, str], ...] = ()  # (field, bucket)
    label_attribute: str | None = None
    mask_attribute: str | None = None  # the key of the line's mask, when it has one
    # class-name -> lower-case hex of an error-free map; one object for lines that repeat a
    # map (read it, never change it)
    classes: dict[str, str] | None = None
    image_size: tuple[int, int] | None = None  # set by the object checks, when in range
    mask_colors: frozenset[str] | None = None  # lower-case hex present in the mask, when read


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_label_value(value: object) -> bool:
    """An integer, or a string of digits as AWS's csv_to_manifest.py and Ground Truth write."""
    return _is_int(value) or (isinstance(value, str) and bool(_DIGITS.fullmatch(value)))


def _error(rule: str, where: str | None, message: str) -> Problem:
    return Problem(rule, where, message, Severity.ERROR)


def _lenient(rule: str, form: str, where: str, message: str, chosen: Profile) -> Problem:
    """A deviation the service is known to accept: its severity is the profile's choice."""
    return Problem(
        rule,
        where,
        message + explain(rule, form, chosen),
        lenient_severity(rule, form, chosen),
        chosen.value,
    )


def check_line(
    obj: dict[str, Any], facts: LineFacts, chosen: Profile = Profile.DOCS, *, memo: bool = True
) -> list[Problem]:
    """The line's problems in field order. Appended to one list, not yielded: nested
    generators cost more than the checks themselves on a valid line. With `memo`, a value
    that repeats across lines (a color map) is checked once and its verdict reused;
    without, every value is checked afresh (the reference the memo is tested against)."""
    out: list[Problem] = []
    keys = _roles(tuple(obj))
    _source_ref(obj, facts, out)
    _label(obj, keys, facts, chosen, memo, out)
    _mask(obj, keys, facts, chosen, memo, out)
    return out


class _Roles(NamedTuple):
    """What a line's keys are, found once per distinct key list (a manifest repeats one)."""

    metas: tuple[str, ...]  # K-metadata but not K-ref-metadata: label metadata, maybe
    ref_metas: tuple[str, ...]  # K-ref-metadata (not source-ref-metadata: the image's own)
    mask: str | None  # the mask attribute: the first K-ref with metadata, else the first K-ref


@functools.lru_cache(maxsize=256)
def _roles(keys: tuple[str, ...]) -> _Roles:
    refs = [k for k in keys if k.endswith("-ref") and k != "source-ref"]
    with_meta = [k for k in refs if f"{k}-metadata" in keys]
    return _Roles(
        metas=tuple(k for k in keys if k.endswith("-metadata") and not k.endswith("-ref-metadata")),
        # LFV's evaluation output gives the image a `source-ref-metadata` (its date): no mask.
        ref_metas=tuple(
            k for k in keys if k.endswith("-ref-metadata") and k != "source-ref-metadata"
        ),
        mask=next(iter(with_meta or refs), None),
    )


def _source_ref(obj: dict[str, Any], facts: LineFacts, out: list[Problem]) -> None:
    if "source-ref" not in obj:
        out.append(_error("source-ref.missing", "source-ref", "the line has no source-ref"))
        return
    bucket = s3_bucket(obj["source-ref"])
    if bucket is None:
        out.append(
            _error(
                "source-ref.uri",
                "source-ref",
                f"source-ref {obj['source-ref']!r} is not s3://BUCKET/OBJECT_PATH "
                "with a valid bucket",
            )
        )
        return
    facts.image_uri = obj["source-ref"]
    facts.buckets += (("source-ref", bucket),)


def _label_attribute(
    obj: dict[str, Any], metas: tuple[str, ...]
) -> tuple[str | None, Problem | None]:
    """The label attribute K (found through its K-metadata), or the problem finding it.

    A verification job's attribute (its metadata of type groundtruth/label-verification,
    Ground Truth's "Label verification and adjustment data in the output manifest") is
    not a candidate: chained after the segmentation, it sits on the same line.

    A classification attribute whose metadata names a `model-arn` is a model's verdict,
    not a label: Lookout for Vision's evaluation output writes its model's as
    `anomaly-label-detected` beside the test set's `anomaly-label`.
    """
    typed = []
    others = []  # another Ground Truth task's attribute: a chained verification job's, say
    for k in metas:  # a loop: a comprehension's own frame costs more than one or two keys
        value = obj[k]
        if not isinstance(value, dict):
            continue
        kind = value.get("type")
        if kind == CLASSIFICATION_TYPE and "model-arn" not in value:
            typed.append(k)
        elif kind == VERIFICATION_TYPE:
            others.append(k)
    if others:
        metas = tuple(k for k in metas if k not in others)
    if len(typed) > 1:
        names = ", ".join(k.removesuffix("-metadata") for k in typed)
        return None, _error("label.duplicate", None, f"more than one label attribute: {names}")
    if typed:
        return typed[0].removesuffix("-metadata"), None
    objects = [k for k in metas if isinstance(obj[k], dict)]
    if len(objects) == 1:
        return objects[0].removesuffix("-metadata"), None
    if len(metas) == 1:
        return None, _error(
            "label.metadata-missing", metas[0], f"{metas[0]} is not an object of label metadata"
        )
    bare = [
        k
        for k in obj
        if k != "source-ref"
        and not k.endswith(("-ref", "-metadata"))
        and _is_label_value(obj[k])
        and f"{k}-metadata" not in others
    ]
    if len(bare) == 1 and not metas:
        return None, _error(
            "label.metadata-missing", f"{bare[0]}-metadata", f"{bare[0]} has no {bare[0]}-metadata"
        )
    return None, _error(
        "label.missing",
        None,
        "no label attribute: a key K whose K-metadata has type groundtruth/image-classification",
    )


def _label(
    obj: dict[str, Any],
    keys: _Roles,
    facts: LineFacts,
    chosen: Profile,
    memo: bool,
    out: list[Problem],
) -> None:
    name, problem = _label_attribute(obj, keys.metas)
    if problem is not None:
        out.append(problem)
    if name is None:
        return
    facts.label_attribute = name
    if type(obj.get(name)) is not int and not _is_label_value(obj.get(name)):
        got = repr(obj[name]) if name in obj else "nothing"
        out.append(
            _error(
                "label.value", name, f"{name} must be an integer or a string of digits, got {got}"
            )
        )
    verdict = _verdict("label", obj[f"{name}-metadata"], f"{name}-metadata", chosen, memo, out)
    facts.class_name = verdict.class_name


def _mask(
    obj: dict[str, Any],
    keys: _Roles,
    facts: LineFacts,
    chosen: Profile,
    memo: bool,
    out: list[Problem],
) -> None:
    name, ref_metas = keys.mask, keys.ref_metas
    if name is None and not ref_metas:
        return  # a classification line: nothing to segment
    if name is None:
        base = ref_metas[0].removesuffix("-metadata")
        facts.mask_attribute = base  # the line means to segment: the dataset rules count it so
        out.append(_error("mask.missing", base, f"{ref_metas[0]} has no mask attribute {base}"))
        return
    bucket = s3_bucket(obj[name])
    if bucket is None:
        out.append(
            _error(
                "mask.uri",
                name,
                f"{name} {obj[name]!r} is not s3://BUCKET/OBJECT_PATH with a valid bucket",
            )
        )
    else:
        facts.mask_uri = obj[name]
        facts.buckets += ((name, bucket),)
    facts.mask_attribute = name
    where = f"{name}-metadata"
    meta = obj.get(where)
    if not isinstance(meta, dict):
        out.append(_error("mask.metadata-missing", where, f"{name} has no {where} object"))
        return
    verdict = _verdict("mask", meta, where, chosen, memo, out)
    facts.classes, facts.colors = verdict.classes, verdict.colors


class _Verdict(NamedTuple):
    """What a label's or mask's metadata gives, but for its creation-date (which differs
    on every line): the problems found before the date's and after, and the facts."""

    before: list[Problem]
    after: list[Problem]
    class_name: str | None = None  # a label's, when it is a string
    classes: dict[str, str] | None = None  # a mask's class-name -> lower-case hex, no error
    colors: frozenset[str] | None = None


# Verdicts by canonical form: the metadata's JSON text without its date (orjson's, which
# tells 0 from 0.0 and false, and keeps the order of a map's entries), where it is, and the
# profile. A manifest repeats a few metadata objects, maps and job names on every line:
# each is checked once. Bounded: cleared when full.
_VERDICTS: dict[tuple[str, str, Profile, bytes], _Verdict] = {}
_VERDICTS_HELD = 4096


def _verdict(
    kind: str, meta: dict[str, Any], where: str, chosen: Profile, memo: bool, out: list[Problem]
) -> _Verdict:
    """Add the metadata's problems to `out`, in field order, and give its verdict.

    With `memo`, metadata equal but for its date to one seen before reuses that verdict,
    its `classes` one object for every such line (read it, never change it).
    """
    key = None
    if memo:
        rest = meta.copy()
        date = rest.pop("creation-date", _ABSENT)
        try:
            key = (kind, where, chosen, orjson.dumps(rest))
        except orjson.JSONEncodeError:  # nested past orjson's depth: checked afresh
            key = None
        else:
            verdict = _VERDICTS.get(key)
    else:
        date = meta.get("creation-date", _ABSENT)
    if key is None or verdict is None:
        verdict = (_label_verdict if kind == "label" else _mask_verdict)(meta, where, chosen)
        if key is not None:
            if len(_VERDICTS) >= _VERDICTS_HELD:
                _VERDICTS.clear()
            _VERDICTS[key] = verdict
    out += verdict.before
    if date is not _ABSENT:
        _creation_date(kind, date, where, out)
    out += verdict.after
    return verdict


_ABSENT = object()


def _label_verdict(meta: dict[str, Any], where: str, chosen: Profile) -> _Verdict:
    before: list[Problem] = []
    after: list[Problem] = []
    class_name = meta.get("class-name")
    if not isinstance(class_name, str):
        before.append(
            _error(
                "label.class-name",
                f"{where}.class-name",
                "class-name must be 'normal' or 'anomaly'",
            )
        )
    elif class_name not in ("normal", "anomaly"):
        before.append(
            Problem(
                "label.class-name",
                f"{where}.class-name",
                f"class-name {class_name!r} is neither 'normal' nor 'anomaly': "
                "the image is imported unlabeled",
                Severity.WARNING,
            )
        )
    _type_and_annotation("label", meta, where, CLASSIFICATION_TYPE, before)
    if (
        "confidence" in meta
        and type(meta["confidence"]) is not int
        and not _is_number(meta["confidence"])
    ):
        after.append(
            _error(
                "label.confidence",
                f"{where}.confidence",
                f"confidence must be a number, got {meta['confidence']!r}",
            )
        )
    if "job-name" in meta and not isinstance(meta["job-name"], str):
        after.append(
            _error(
                "label.job-name",
                f"{where}.job-name",
                f"job-name must be a string, got {meta['job-name']!r}",
            )
        )
    return _Verdict(before, after, class_name if isinstance(class_name, str) else None)


def _mask_verdict(meta: dict[str, Any], where: str, chosen: Profile) -> _Verdict:
    before: list[Problem] = []
    _type_and_annotation("mask", meta, where, SEGMENTATION_TYPE, before)
    cmap = meta.get("internal-color-map")
    after = list(_color_map(cmap, f"{where}.internal-color-map", chosen))
    if not all(p.severity is Severity.WARNING for p in after) or not isinstance(cmap, dict):
        return _Verdict(before, after)
    classes = {e["class-name"]: e["hex-color"].lower() for e in cmap.values()}
    # A map without BACKGROUND (accepted by --profile service) still has white background.
    return _Verdict(before, after, None, classes, frozenset(classes.values()) | {BACKGROUND_COLOR})


def _type_and_annotation(
    kind: str, meta: dict[str, Any], where: str, expected_type: str, out: list[Problem]
) -> None:
    """The fields label and mask metadata share, but for the date: type, human-annotated."""
    if meta.get("type") != expected_type:
        out.append(
            _error(
                f"{kind}.type",
                f"{where}.type",
                f"type must be {expected_type!r}, got {meta.get('type')!r}",
            )
        )
    if meta.get("human-annotated") not in ("yes", "no"):
        out.append(
            _error(
                f"{kind}.human-annotated",
                f"{where}.human-annotated",
                f"human-annotated must be 'yes' or 'no', got {meta.get('human-annotated')!r}",
            )
        )


def _creation_date(kind: str, value: object, where: str, out: list[Problem]) -> None:
    if type(value) is str and (plain := PLAIN_ISO.fullmatch(value)) and plain[1] != "0000":
        return  # date_form's first test, without its call: a line has two dates
    form = date_form(value)
    if form is DateForm.ISO:
        return  # the strings naming the field are built only for a problem
    rule, at = f"{kind}.creation-date", f"{where}.creation-date"
    if form is DateForm.OTHER:
        out.append(
            Problem(
                rule,
                at,
                f"creation-date {value!r} is a date-time, but not the ISO 8601 the docs show",
                Severity.WARNING,
            )
        )
    else:
        out.append(_error(rule, at, f"creation-date {value!r} is not a UTC date-time"))


def _color_map(cmap: object, where: str, chosen: Profile) -> Iterator[Problem]:
    if not isinstance(cmap, dict) or not cmap:
        yield _error("color-map.missing", where, "internal-color-map must be a non-empty object")
        return
    colors: dict[str, str] = {}
    classes: dict[str, str] = {}
    for key, entry in cmap.items():
        at = f"{where}.{key}"
        if not _KEY.fullmatch(key):
            yield _error("color-map.key", at, f"key {key!r} is not a non-negative integer string")
        entry = entry if isinstance(entry, dict) else {}
        name, color = entry.get("class-name"), entry.get("hex-color")
        if not isinstance(name, str) or not name:
            yield _error(
                "color-map.class-name", f"{at}.class-name", "class-name must be a non-empty string"
            )
        elif name in classes:
            yield _error(
                "color-map.duplicate-class",
                f"{at}.class-name",
                f"class-name {name!r} is also entry {classes[name]!r}",
            )
        else:
            classes[name] = key
        if not isinstance(color, str) or not HEX_COLOR.fullmatch(color):
            yield _error(
                "color-map.hex-color", f"{at}.hex-color", f"hex-color {color!r} is not #rrggbb"
            )
        elif color.lower() in colors:
            yield _error(
                "color-map.duplicate-color",
                f"{at}.hex-color",
                f"hex-color {color!r} is also entry {colors[color.lower()]!r}",
            )
        else:
            colors[color.lower()] = key
        if "confidence" not in entry:
            yield _lenient(
                "color-map.confidence",
                "no confidence",
                f"{at}.confidence",
                "the entry has no confidence",
                chosen,
            )
        elif _is_int(entry["confidence"]):
            yield _lenient(
                "color-map.confidence",
                "an integer confidence",
                f"{at}.confidence",
                f"confidence {entry['confidence']!r} is an integer, not a float such as 0.0",
                chosen,
            )
        elif not isinstance(entry["confidence"], float):
            yield _error(
                "color-map.confidence",
                f"{at}.confidence",
                f"confidence must be a float such as 0.0, got {entry.get('confidence')!r}",
            )
    background = cmap.get("0")
    if BACKGROUND_CLASS not in classes and BACKGROUND_COLOR not in colors:
        yield _lenient(
            "color-map.background",
            "no BACKGROUND entry",
            f"{where}.0",
            "the color map has no BACKGROUND entry",
            chosen,
        )
    elif not (
        isinstance(background, dict)
        and background.get("class-name") == BACKGROUND_CLASS
        and isinstance(background.get("hex-color"), str)
        and background["hex-color"].lower() == BACKGROUND_COLOR
    ):
        yield _error(
            "color-map.background",
            f"{where}.0",
            f'entry "0" must be class-name {BACKGROUND_CLASS} with hex-color {BACKGROUND_COLOR}',
        )
