"""Line shapes: a manifest repeats one line but for a few values, so a line of a shape
seen before is judged without parsing it.

A shape is a line's bytes with holes where its per-line values are written: the image's
and the mask's object keys (after `s3://BUCKET/`) and the label's and the mask's
creation-dates. A line with the same length, the same bytes outside the holes and, in
each hole, a value written plainly (printable ASCII without a quote or a backslash; a
date in the plain ISO form the docs show) is JSON that reads as the shape's own line
with other values in those places. No finding depends on those values but their own
(a key's bucket is outside its hole, a date's form is checked by the hole's pattern), so
such a line has the shape's findings and the shape's facts with its own URIs: one dict
lookup and one regular expression (the shape's bytes, its holes' patterns), where a parse
and the field checks cost several times as much. The expression is compiled when a line
of the shape's length is first tried against it: most lines of a small manifest are the
only ones of their length, and compiling one costs more than checking its line in full.

A line of no known shape is parsed and checked in full (`fields.check_line`), then
becomes a shape when its holes can be found without doubt. The holes are found by their
text: a line with no backslash writes every string as it reads, so a value's quoted text
found exactly as often as the line has holes holding it is those holes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from synth.validate.dates import PLAIN_ISO
from synth.validate.fields import LineFacts, Problem

# A hole's value written plainly: printable ASCII, no quote, no backslash (its JSON text
# is the value itself). A key is one character or more; a date is PLAIN_ISO, year 0001+.
_KEY = rb"[\x20\x21\x23-\x5b\x5d-\x7e]+"
_DATE = rb"(?!0000)" + PLAIN_ISO.pattern.replace("([0-9]{4})", "[0-9]{4}").encode()
_PLAIN = re.compile(_KEY)
_PLAIN_DATE = re.compile(_DATE)
_HELD = 512  # shapes kept; the store is emptied when full (a manifest repeats a few)
_PER_LENGTH = 8  # shapes of one line length: past this, the line's values vary elsewhere


class Shape(NamedTuple):
    # The line as it must be written: its bytes outside the holes as they are, each hole
    # its kind's value written plainly; the URIs' holes are groups. Its text; `pattern`
    # compiles it once, when first asked.
    source: bytes
    image: int  # the group of the image's URI (the text of source-ref), 0 when no hole
    mask: int
    problems: tuple[Problem, ...]  # the line's field findings
    facts: type[LineFacts]  # its facts, but for the URIs with holes
    # The line it was learned from, and where its holes' values are in it: (start, end,
    # is a date) for each value (a URI's key, after s3://BUCKET/), and the image URI's
    # (start, end), or None. A line of the same length whose values are in the same
    # places matches the pattern with the same groups: `blocks` checks many at once so.
    line: bytes
    spans: tuple[tuple[int, int, bool], ...]
    image_span: tuple[int, int] | None
    compiled: list[re.Pattern[bytes]]  # empty until `pattern` is first asked

    @property
    def pattern(self) -> re.Pattern[bytes]:
        if not self.compiled:
            self.compiled.append(re.compile(self.source))
        return self.compiled[0]


class Shapes:
    """The shapes of one validation (one profile), by line length (a few a length: the
    lines a manifest repeats have the same length but for a longer or shorter value). A
    line learned is made a shape when a line of its length is first looked up: most lines
    of a small manifest are the only ones of their length, and finding a line's holes
    cost about 30% of validating a one-line manifest with its objects."""

    def __init__(self) -> None:
        self._by_length: dict[int, list[Shape]] = {}
        self._learned: dict[
            int, list[tuple[bytes, dict[str, Any], LineFacts, tuple[Problem, ...]]]
        ] = {}
        self._held = 0

    def match(self, raw: bytes) -> tuple[Shape, LineFacts] | None:
        """The line's shape and its facts, when it has a known shape; else None."""
        for shape in self.of_length(len(raw)):
            found = shape.pattern.fullmatch(raw)
            if found is not None:
                facts = shape.facts()
                if shape.image:
                    facts.image_uri = found[shape.image].decode()
                if shape.mask:
                    facts.mask_uri = found[shape.mask].decode()
                return shape, facts
        return None

    def of_length(self, length: int) -> list[Shape]:
        """The shapes of lines of this length (bytes, the line break included)."""
        learned = self._learned.pop(length, None)
        if learned:
            made = self._by_length.setdefault(length, [])
            for raw, obj, facts, problems in learned:
                shape = _shape(raw, obj, facts, problems)
                if shape is not None:
                    made.append(shape)
        return self._by_length.get(length, [])

    def learn(
        self, raw: bytes, obj: dict[str, Any], facts: LineFacts, problems: Sequence[Problem]
    ) -> None:
        """Keep a line parsed and checked in full, without a parse finding, to be made a
        shape (its facts are those check_line set: the object checks set others)."""
        length = len(raw)
        known = len(self._learned.get(length, ())) + len(self._by_length.get(length, ()))
        if known >= _PER_LENGTH or b"\\" in raw:
            return
        if self._held >= _HELD:
            self._by_length.clear()
            self._learned.clear()
            self._held = 0
        self._learned.setdefault(length, []).append((raw, obj, facts, tuple(problems)))
        self._held += 1


class _Hole(NamedTuple):
    text: bytes  # the value's JSON text, quotes included
    kind: bytes  # the pattern its value (the text within the quotes) must match
    uri: str | None  # "image" or "mask" for a URI


def _holes(obj: dict[str, Any], facts: LineFacts) -> list[_Hole]:
    """The per-line values of a line checked in full, each written plainly and clean of
    findings (a URI with a valid bucket, a plain ISO date), as holes."""
    found: list[_Hole] = []
    for uri, attribute in (("image", "source-ref"), ("mask", facts.mask_attribute)):
        value = getattr(facts, f"{uri}_uri")
        if value is None or attribute is None:
            continue
        text = value.encode()
        bucket = text.index(b"/", 5) + 1  # s3://BUCKET/ as it is, then any key
        if _PLAIN.fullmatch(text):
            found.append(
                _Hole(b'"' + text + b'"', b"(" + re.escape(text[:bucket]) + _KEY + b")", uri)
            )
    for attribute in (facts.label_attribute, facts.mask_attribute):
        meta = obj.get(f"{attribute}-metadata") if attribute is not None else None
        date = meta.get("creation-date") if isinstance(meta, dict) else None
        if isinstance(date, str) and _PLAIN_DATE.fullmatch(text := date.encode()):
            found.append(_Hole(b'"' + text + b'"', _DATE, None))
    return found


def _shape(
    raw: bytes, obj: dict[str, Any], facts: LineFacts, problems: tuple[Problem, ...]
) -> Shape | None:
    holes = _holes(obj, facts)
    if not holes:
        return None
    placed: list[tuple[int, _Hole]] = []
    for text in {hole.text for hole in holes}:
        same = [hole for hole in holes if hole.text == text]
        if raw.count(text) != len(same) or len({(h.kind, h.uri) for h in same}) > 1:
            return None  # the text is written elsewhere too (a key, a value of another role)
        at = -1
        for hole in same:
            at = raw.index(text, at + 1)
            placed.append((at, hole))
    placed.sort(key=lambda pair: pair[0])
    pattern, groups, end = [], {"image": 0, "mask": 0}, 0
    spans: list[tuple[int, int, bool]] = []
    image_span = None
    for at, hole in placed:
        pattern += [re.escape(raw[end : at + 1]), hole.kind]
        if hole.uri is not None:
            groups[hole.uri] = max(groups.values()) + 1
        end = at + len(hole.text) - 1
        if hole.uri is None:
            spans.append((at + 1, end, True))
        else:  # the key's place: after s3://BUCKET/, which is the shape's own text
            spans.append((raw.index(b"/", at + 6) + 1, end, False))
            if hole.uri == "image":
                image_span = (at + 1, end)
    pattern.append(re.escape(raw[end:]))
    static = {
        name: getattr(facts, name)
        for name in (
            "image_uri",
            "mask_uri",
            "class_name",
            "colors",
            "buckets",
            "label_attribute",
            "mask_attribute",
        )
    } | {"classes": facts.classes}
    return Shape(
        b"".join(pattern),
        groups["image"],
        groups["mask"],
        problems,
        type("ShapeFacts", (LineFacts,), static),
        raw,
        tuple(spans),
        image_span,
        [],
    )
