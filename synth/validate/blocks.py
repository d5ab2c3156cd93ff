"""Many lines of one shape judged at once: a manifest's lines differ in a few values, so
the lines of a block that share a length are tested against a known shape together, with
a handful of operations in C per shape and block instead of a regular expression a line.

A shape (`shapes.Shape`) holds the line it was learned from and where its values (the
URIs' keys, the dates) are in it. The lines of one length are laid end to end; each value's
column range is copied out, one row a line, and tested with the value's own pattern; then
those columns are overwritten with the learned line's bytes and the whole compared with
the learned line repeated. Every line passes exactly when each would match the shape's
pattern with its values in those places, so each has the shape's findings and facts, and
its own image URI (copied out the same way). Anything else (a value moved, longer or
shorter, a byte changed elsewhere) fails the block, whose lines are then judged one by one.
"""

from __future__ import annotations

import re
from itertools import groupby

from synth.validate.shapes import _DATE, _KEY, Shape, Shapes

# One value a row, each followed by a line break (which no value's pattern matches).
_KEYS = re.compile(b"(?:" + _KEY + b"\n)*")
_DATES = re.compile(b"(?:" + _DATE + b"\n)*")


def _rows(blob: bytearray, width: int, start: int, end: int, count: int) -> bytearray:
    """Columns start..end of every row of `blob` (rows of `width` bytes), one row a line."""
    size = end - start + 1
    out = bytearray(size * count)
    out[size - 1 :: size] = b"\n" * count
    for column in range(start, end):
        out[column - start :: size] = blob[column::width]
    return out


def image_uris(shape: Shape, lines: list[bytes]) -> list[str] | None:
    """The image URIs of `lines` (each as long as the shape's line) when every one of them
    has `shape`'s values in its places; else None (and for a shape whose image URI is no
    value of its own: every line would repeat it)."""
    if shape.image_span is None:
        return None
    width, count = len(shape.line), len(lines)
    blob = bytearray().join(lines)
    for start, end, is_date in shape.spans:
        if not (_DATES if is_date else _KEYS).fullmatch(_rows(blob, width, start, end, count)):
            return None
    start, end = shape.image_span
    uris = _rows(blob, width, start, end, count).decode("ascii").split("\n")[:-1]
    line = shape.line
    for start, end, _ in shape.spans:
        for column in range(start, end):
            blob[column::width] = line[column : column + 1] * count
    return uris if blob == _repeated(line, count) else None


_REPEATED: dict[bytes, bytes] = {}  # a shape's line repeated, kept: no new buffer a block


def _repeated(line: bytes, count: int) -> memoryview:
    held = _REPEATED.get(line, b"")
    if len(held) < len(line) * count:
        if len(_REPEATED) >= 64:
            _REPEATED.clear()
        held = _REPEATED[line] = line * count
    return memoryview(held)[: len(line) * count]


def shaped(shapes: Shapes, lines: list[bytes]) -> list[tuple[Shape, list[int], list[str]]] | None:
    """Every line's shape, by groups: (shape, the lines' indexes, their image URIs); None
    when a line has no known shape in its values' places (the block is judged line by line)."""
    lengths = list(map(len, lines))
    order = sorted(range(len(lines)), key=lengths.__getitem__)  # stable: in line order
    found = []
    for length, indexes in groupby(order, key=lengths.__getitem__):
        held = list(indexes)
        group = list(map(lines.__getitem__, held))
        for shape in shapes.of_length(length):
            uris = image_uris(shape, group)
            if uris is not None:
                found.append((shape, held, uris))
                break
        else:
            return None
    return found
