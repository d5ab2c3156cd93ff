"""Reading a validator's verdict: its exit status, or the lines it flags in its output.

Validators say what they found in a few common shapes, and `synth check` reads each:

- the exit status alone: 0 accepts the manifest, another status below 126 rejects it;
- `FILE:LINE:` prefixes, as compilers and linters print them (`FILE:LINE:COL:` too); a
  message starting with `warning` is not a flag, and `FILE: message` without a line
  rejects the manifest as a whole;
- a regular expression whose group `line` (or first group) is the flagged line;
- JSON: one object per line (or one array of them) with a `line` number; `"line": null`
  rejects the manifest as a whole, `"severity": "warning"` is not a flag.

`auto`, the default, reads `FILE:LINE:` flags when the output has any, else the status.
A crash (a signal, a status of 126 or more, a Python traceback or a Node stack) and a
timeout are findings of their own, never a verdict.
"""

from __future__ import annotations

import json
import re
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Status = Literal["ok", "timeout", "crash"]
READERS = ("auto", "status", "file-line", "json")

_PREFIX = re.compile(r"^(?P<file>[^:\n]+?):(?:(?P<line>\d+):)?(?:\d+:)?[ \t]*(?P<rest>.*)$", re.M)
_TRACEBACK = re.compile(r"^Traceback \(most recent call last\):$|^\s+at .+:\d+:\d+\)?$", re.M)
FIRST_CRASH_STATUS = 126  # the shell's "not executable" and "not found", and signals


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one run of the validator on one manifest said."""

    status: Status
    rejected: bool = False  # the manifest as a whole was refused (status, or a line-less flag)
    lines: frozenset[int] | None = None  # 1-based flagged lines; None: it named none
    detail: str = ""  # for a crash or a timeout: one line saying what happened
    output: str = ""  # what it printed (both streams), kept for the reproducer

    @property
    def said_lines(self) -> bool:
        return bool(self.lines)


def _is_warning(rest: str) -> bool:
    return rest.lstrip().lower().startswith("warning")


def _names_manifest(name: str, manifest: Path) -> bool:
    return name == str(manifest) or Path(name).name == manifest.name


def file_line(text: str, manifest: Path) -> tuple[bool, frozenset[int]]:
    """Lines flagged by `FILE:LINE:` prefixes naming the manifest, and whether a line-less
    `FILE: message` rejected it; warnings are neither."""
    whole, lines = False, set()
    for match in _PREFIX.finditer(text):
        if not _names_manifest(match["file"], manifest) or _is_warning(match["rest"]):
            continue
        if match["line"] is None:
            whole = True
        else:
            lines.add(int(match["line"]))
    return whole, frozenset(lines)


def regex_lines(text: str, pattern: re.Pattern[str]) -> frozenset[int]:
    """Lines flagged by a user's pattern: its group `line`, or else its first group."""
    group: str | int = "line" if "line" in pattern.groupindex else 1
    found = set()
    for match in pattern.finditer(text):
        value = match[group]
        if value is not None and value.strip().isdigit():
            found.add(int(value))
    return frozenset(found)


def json_lines(text: str) -> tuple[bool, frozenset[int]]:
    """Lines flagged by JSON findings: objects one a line, or one array of them."""
    stripped = text.strip()
    items: list[object] = []
    if stripped.startswith("["):
        try:
            loaded = json.loads(stripped)
            items = loaded if isinstance(loaded, list) else []
        except ValueError:
            items = []
    else:
        for row in stripped.splitlines():
            try:
                items.append(json.loads(row))
            except ValueError:
                continue
    whole, lines = False, set()
    for item in items:
        if not isinstance(item, dict) or str(item.get("severity", "")).lower() == "warning":
            continue
        number = item.get("line")
        if number is None:
            whole = True
        elif isinstance(number, int) and not isinstance(number, bool):
            lines.add(number)
        elif isinstance(number, str) and number.isdigit():
            lines.add(int(number))
    return whole, frozenset(lines)


@dataclass(frozen=True)
class Reader:
    """How to read a verdict: `kind` one of READERS, or a `pattern` for the regex reader."""

    kind: str = "auto"
    pattern: re.Pattern[str] | None = None

    def __post_init__(self) -> None:
        if self.kind not in READERS:
            raise ValueError(f"unknown verdict reader {self.kind!r}; choose {', '.join(READERS)}")

    def outcome(self, code: int, stdout: str, stderr: str, manifest: Path) -> Outcome:
        """The outcome of a command that ended with `code` (negative: killed by a signal)."""
        output = _joined(stdout, stderr)
        crash = _crash(code, stderr)
        if crash:
            return Outcome("crash", detail=crash, output=output)
        rejected = code != 0
        if self.pattern is not None:
            lines: frozenset[int] | None = regex_lines(output, self.pattern)
        elif self.kind == "json":
            whole, lines = json_lines(stdout)
            rejected = rejected or whole
        elif self.kind in ("auto", "file-line"):
            whole, lines = file_line(output, manifest)
            rejected = rejected or whole
            if self.kind == "auto" and not lines:
                lines = None
        else:
            lines = None
        return Outcome("ok", rejected or bool(lines), lines, output=output)


def _joined(stdout: str, stderr: str) -> str:
    return stdout + ("\n" if stdout and not stdout.endswith("\n") else "") + stderr


def _crash(code: int, stderr: str) -> str:
    """One line saying how the command crashed, or "" if it gave a verdict."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}{_last_words(stderr)}"
    if code >= FIRST_CRASH_STATUS:
        return f"exit status {code}{_last_words(stderr)}"
    if _TRACEBACK.search(stderr):
        return f"exit status {code} after a stack trace{_last_words(stderr)}"
    return ""


def _last_words(stderr: str) -> str:
    """The last line it printed on standard error, the one that usually says why."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if not lines:
        return ""
    last = lines[-1]
    return f": {last[:200]}{'...' if len(last) > 200 else ''}"
