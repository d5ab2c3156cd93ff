"""Errors that are the user's to fix: the CLI prints their message, never a traceback.

A message that tells the user to pass an option names it with `option("overwrite")`:
the CLI shows `--overwrite`, a Python caller sees `overwrite=`, the way each passed it.
"""

from __future__ import annotations

import re
from typing import ClassVar

_OPTION = re.compile("\0([a-z_]+)(=True)?\0")


def option(name: str, *, flag: bool = False) -> str:
    """A placeholder for the option `name` (a Python keyword name) inside a message.

    Python callers read `name` (or `name=True` for a flag), CLI users `--name`.
    """
    return f"\0{name}{'=True' if flag else ''}\0"


class SynthError(Exception):
    """A user-facing failure; its message is one sentence naming the file, line or field.

    Every error synth raises for its user is one, whatever its kind; `code` names the kind
    for a program (stable across releases: test the code, not the message).
    """

    code: ClassVar[str] = "synth"

    def __str__(self) -> str:
        return _OPTION.sub(lambda m: m[0].strip("\0"), super().__str__())

    def for_cli(self) -> str:
        """The message with options spelled as flags, on one line."""
        text = _OPTION.sub(
            lambda m: "--" + _FLAGS.get(m[1], m[1]).replace("_", "-"), super().__str__()
        )
        return one_line(text)


_FLAGS = {"broken_fraction": "broken"}  # the options whose flag is not their Python name


# Control characters (C0, DEL, C1) and Unicode's line and paragraph separators: a
# terminal acts on them (ANSI escapes, carriage returns) or breaks the line there.
_UNPRINTABLE = {
    code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0)) if code not in (9,)
} | {0x0A: "\\n", 0x0D: "\\r", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def one_line(text: str) -> str:
    """Text made one line a terminal shows as written: line breaks, separators and control
    characters (ANSI escapes among them) are escaped, as Python writes them."""
    return text.translate(_UNPRINTABLE)


def counted(number: int, noun: str) -> str:
    """`1 image`, `2 images`: a count in a message, its noun plural unless it is one."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


class PresetError(SynthError):
    """A preset that cannot be found or does not describe a dataset.

    `key`: the preset key at fault (`image.width`), when one is; the message starts with it.
    """

    code = "preset"

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class OutputError(SynthError):
    """An output location that cannot be written as asked."""

    code = "output"


class InputError(SynthError):
    """An input file (a base image, a manifest) that cannot be read as what it should be."""

    code = "input"


class PluginError(SynthError):
    """A plugin (a painter, a texture) that handed back what its contract rules out."""

    code = "plugin"


class ArgumentError(SynthError, ValueError):
    """A value passed to synth that it cannot use: an unknown rule id, fault word or profile,
    a parameter out of its range. A ValueError too, as Python callers expect of a bad value."""

    code = "argument"
