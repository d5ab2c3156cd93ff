"""Errors that are the user's to fix: the CLI prints their message, never a traceback."""


class SynthError(Exception):
    """A user-facing failure; its message is one sentence naming the file, line or field."""


class PresetError(SynthError):
    """A preset that cannot be found or does not describe a dataset."""


class OutputError(SynthError):
    """An output location that cannot be written as asked."""


class InputError(SynthError):
    """An input file (a base image, a manifest) that cannot be read as what it should be."""
