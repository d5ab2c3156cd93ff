"""A manifest's lines as read, and each line's JSON object or the findings that stop it.

Two paths give the same answer. The exact one is Python's json with a hook that sees
every key of every object (so a key given twice is found), which costs more than the
rest of validation together. The fast one parses in C (orjson), whose objects keep
the last of two equal keys silently; it answers only when a test shows that no key was
dropped and every value is what json reads, and leaves every other line to the exact
path. `parse` takes the fast path; `parse_exactly` is the reference it is tested against.
"""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from synth import wakeup
from synth.format import MAX_LINE_CHARS, Severity
from synth.validate.findings import Finding

Source = Path | bytes | str | Iterable[str] | Iterable[bytes]
_BOM = b"\xef\xbb\xbf"


def encode(text: str) -> bytes:
    """Text as the bytes of a file: escaped bytes (surrogateescape) go back to what they were."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


# The longest line read: a longer one is a finding and the rest of it is skipped unread,
# so memory is bounded whatever the input (/dev/zero, a 300 MB line without a newline).
# 512 times the service's entry limit (MAX_LINE_CHARS): no real manifest line comes near.
MAX_LINE_BYTES = 4 * 1024 * 1024
_SKIP = 1 << 16  # the rest of a long line is read this much at a time
CHUNK = 1 << 18  # a file is read this much at a time, its lines split in C (Lines.blocks)


class Overlong(bytes):
    """A line past MAX_LINE_BYTES (its line break not counted): only its first bytes, kept
    so a file that is no manifest is still told by its first line; the rest is skipped."""


class Lines:
    """The manifest's lines, as read; from a file or a stream (standard input, a FIFO, a
    device), no more than `budget` bytes in all, and no line longer than MAX_LINE_BYTES held:
    a stream past the size limit is never read whole, nor held (the caller stops at the
    limit). `read` counts the bytes read so far, skipped ones included."""

    def __init__(self, source: Source, budget: int) -> None:
        self.source, self.budget, self.read = source, budget, 0

    def __iter__(self) -> Iterator[bytes]:
        source = self.source
        if isinstance(source, bytes | str):
            source = io.BytesIO(encode(source) if isinstance(source, str) else source)
        if isinstance(source, Path):
            with source.open("rb") as handle:
                yield from self._lines(wakeup.readline(handle))
        elif isinstance(source, io.TextIOBase):  # read as characters, held as bytes
            text = source
            yield from self._lines(lambda size: encode(text.readline(size)))
        elif isinstance(source, io.IOBase):
            yield from self._lines(wakeup.readline(source))  # type: ignore[arg-type]
        else:
            for line in source:
                yield from self._held(encode(line) if isinstance(line, str) else line)

    def blocks(self) -> Iterator[list[bytes]]:
        """The same lines, in lists: a file or text as many lines as a chunk of it holds,
        split in C; any other source (a stream, lines) a line a list. At a line that may be
        too long, or at the budget or the end without a line break, the rest of a file is
        read a line at a time, as iterating reads it (`read` counts the lines' bytes)."""
        source = self.source
        if isinstance(source, bytes | str):
            source = io.BytesIO(encode(source) if isinstance(source, str) else source)
        if isinstance(source, io.BytesIO):
            yield from self._chunks(source)
        elif isinstance(source, Path):
            with source.open("rb") as handle:
                if handle.seekable():
                    yield from self._chunks(handle)
                else:
                    yield from ([line] for line in self._lines(wakeup.readline(handle)))
        else:
            yield from ([line] for line in self)

    def _chunks(self, handle: Any) -> Iterator[list[bytes]]:
        carry = b""  # the start of a line the last chunk cut
        while self.read + len(carry) + CHUNK < self.budget:
            chunk = handle.read(CHUNK)
            if not chunk:
                break
            lines = io.BytesIO(chunk).readlines()
            if carry:
                lines[0] = carry + lines[0]
            carry = b"" if lines[-1].endswith(b"\n") else lines.pop()
            if len(carry) > MAX_LINE_BYTES or (lines and len(lines[0]) > MAX_LINE_BYTES):
                break  # a line that may be too long: read as iterating reads it
            if lines:
                self.read += sum(map(len, lines))
                yield lines
        handle.seek(self.read)  # the rest (a last line without its break, say) a line at a time
        yield from ([line] for line in self._lines(handle.readline))

    def _held(self, line: bytes) -> Iterator[bytes]:
        """A line the caller already holds whole (lines given as a list, text)."""
        self.read += len(line)
        yield Overlong(line[: MAX_LINE_BYTES + 1]) if _past(line) else line

    def _lines(self, readline: Callable[[int], bytes]) -> Iterator[bytes]:
        longest = MAX_LINE_BYTES + 1
        while (left := self.budget - self.read) > 0:  # no call but readline's a line
            line = readline(longest if left > longest else left)
            if not line:
                return
            self.read += len(line)
            if len(line) <= MAX_LINE_BYTES or not _past(line):
                yield line
                continue
            yield Overlong(line)
            while self.read < self.budget and not line.endswith(b"\n"):  # skipped unread
                line = readline(min(self.budget - self.read, _SKIP))
                if not line:
                    return
                self.read += len(line)


def _past(line: bytes) -> bool:
    return len(line) - line.endswith(b"\n") > MAX_LINE_BYTES


# What a file that is no manifest starts with, and what it is then.
_SIGNATURES = (
    (b"\x89PNG\r\n", "is a PNG image"),  # the first line of its signature
    (b"\xff\xd8\xff", "is a JPEG image"),
    (b"GIF87a", "is a GIF image"),
    (b"GIF89a", "is a GIF image"),
    (b"II*\x00", "is a TIFF image"),
    (b"MM\x00*", "is a TIFF image"),
    (b"%PDF-", "is a PDF document"),
    (b"PK\x03\x04", "is a zip archive"),
    (b"\x1f\x8b", "is a gzip file"),
    (b"\xfd7zXZ\x00", "is an xz file"),
    (b"(\xb5/\xfd", "is a zstd file"),
    (b"PAR1", "is a Parquet file"),
    (b"\x7fELF", "is a program"),
    (b"\xff\xfe", "is UTF-16 text (save it as UTF-8)"),
    (b"\xfe\xff", "is UTF-16 text (save it as UTF-8)"),
)


def not_a_manifest(first: bytes, *, cut: bool = False) -> str | None:
    """What a file is ("is a PNG image"), by its first line, when it is no manifest at all
    (an image, an archive, UTF-16 text, binary data); None for text, however broken.
    A `cut` line (an Overlong's head) may end inside a character.

    A manifest's every line is judged on its own, so one that is not UTF-8 is still read
    line by line: only a first line not even meant as JSON text stops the reading.
    """
    for signature, kind in _SIGNATURES:
        if first.startswith(signature):
            return kind
    if b"\x00" in first:
        ascii_utf16 = (
            first.strip(b"\x00\r\n") != b""
            and (  # zeros only are no text at all
                first[1::2].strip(b"\x00") == b"" or first[::2].strip(b"\x00") == b""
            )
        )
        return "is UTF-16 text (save it as UTF-8)" if ascii_utf16 else "holds binary data"
    if not first.removeprefix(_BOM).lstrip().startswith(b"{"):
        try:
            codecs.getincrementaldecoder("utf-8")().decode(first, final=not cut)
        except UnicodeDecodeError:
            return "is not UTF-8 text (binary data, or another encoding)"
    return None


# ---- the fast path ----------------------------------------------------------------------

# Digits as one byte, so a run of 19 (an integer orjson may read as a float) is one search.
_DIGITS = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_NUMBER = b"0" * 19  # past 2**63 - 1 (19 digits), orjson reads an integer as a float


def parse(raw: bytes, number: int) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The line's object, or the text-level findings that stop it being read: as
    `parse_exactly` says, in a fraction of its time for the usual line."""
    if raw.startswith(b"{") and raw.endswith(b"}\n") and len(raw) <= MAX_LINE_CHARS:
        value = _fast(raw)
        if value is not None:
            return value, []
    return parse_exactly(raw, number)


def _fast(raw: bytes) -> dict[str, Any] | None:
    """The line's object when orjson's reading of it is json's and no key was dropped;
    None to leave the line to the exact path (not JSON, a key twice, or unsure)."""
    try:
        value: dict[str, Any] = orjson.loads(raw)
        again = orjson.dumps(value)  # one key each, in orjson's own form
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return None  # not JSON to orjson (json's message is the exact path's), or too deep
    if len(again) == len(raw) - 1 and raw.startswith(again):
        return value  # the line is orjson's own form: one key each, every number as read
    # Another form (spaces, escapes, other number forms). Outside strings, the text has a
    # colon per key it gives; inside, a string's colons are its value's, except a colon
    # written \u003a; so with no such escape, the line gives a key orjson dropped exactly
    # when it has more colons than `again`, which holds each key once.
    if b"\\u003" in raw or raw.count(b":") != again.count(b":"):
        return None
    if _LONG_NUMBER in raw.translate(_DIGITS):
        return None  # an integer json keeps whole may be a float to orjson
    return value


# ---- the exact path ---------------------------------------------------------------------


class _Duplicate(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen = dict(pairs)  # built in C; a key given twice makes it shorter than the pairs
    if len(seen) < len(pairs):
        raise _Duplicate(_repeated(pairs))
    return seen


def _repeated(pairs: list[tuple[str, Any]]) -> str:
    """The first key given twice."""
    keys: set[str] = set()
    for key, _ in pairs:
        if key in keys:
            return key
        keys.add(key)
    return ""


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One decoder for every line: json.loads with hooks builds a new one per call.
_STRICT_JSON = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_no_constants)


def _decode(text: str) -> Any:
    """The line's JSON value; json.loads only for its message about a second BOM, which the
    decoder lacks."""
    decode: Callable[[str], Any] = json.loads if text.startswith("\ufeff") else _STRICT_JSON.decode
    return decode(text)


def _finding(number: int, rule: str, message: str) -> Finding:
    return Finding(rule, Severity.ERROR, number, None, message)


def parse_exactly(raw: bytes, number: int) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The line's object, or the text-level findings that stop it being read, through
    Python's json and a hook on every object's keys."""
    findings: list[Finding] = []
    if number == 1 and raw.startswith(_BOM):  # later, U+FEFF is a character: not JSON
        findings.append(_finding(number, "manifest.encoding", "the file starts with a BOM"))
        raw = raw[len(_BOM) :]
    raw = raw.rstrip(b"\n").removesuffix(b"\r")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        findings.append(
            _finding(number, "manifest.encoding", f"not UTF-8: byte {exc.start + 1} is invalid")
        )
        return None, findings
    if not text or text.isspace():  # as `not text.strip()`, without copying the line
        findings.append(_finding(number, "manifest.blank-line", "a blank line"))
        return None, findings
    if len(text) > MAX_LINE_CHARS:
        findings.append(
            Finding(
                "manifest.line-length",
                Severity.WARNING,
                number,
                None,
                f"the line is {len(text):,} characters; the service's entries hold "
                f"at most {MAX_LINE_CHARS:,}",
            )
        )
    duplicate: str | None = None
    try:
        value = _decode(text)
    except _Duplicate as exc:
        duplicate = str(exc)
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        reason = (
            f"{exc.msg.removesuffix(' at')} at column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else str(exc)
        )
        findings.append(
            _finding(number, "manifest.json", f"not one JSON value on this line: {reason}")
        )
        return None, findings
    if not isinstance(value, dict):
        kind = type(value).__name__.replace("NoneType", "null")
        findings.append(_finding(number, "manifest.object", f"a JSON {kind}, not an object"))
        return None, findings
    if duplicate is not None:
        findings.append(
            Finding(
                "manifest.duplicate-key",
                Severity.ERROR,
                number,
                duplicate,
                f"key {duplicate!r} appears twice",
            )
        )
    return value, findings
