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
        text = _OPTION.sub(lambda m: "--" + m[1].replace("_", "-"), super().__str__())
        return one_line(text)


def one_line(text: str) -> str:
    """Text with its line breaks escaped, so one message is one line of output."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


class PresetError(SynthError):
    """A preset that cannot be found or does not describe a dataset."""

    code = "preset"


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
