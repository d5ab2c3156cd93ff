"""The `synth` command's entry: SIGINT and SIGTERM are caught from its first statement.

Importing the command line (click, the registries) takes a good part of a second; a
signal landing then met Python's defaults: SIGTERM killed the run silently (status 143,
no line), SIGINT printed a traceback. Here they are recorded before any heavy import,
and `synth.cli.main`, given them, stops the run with its one line once it can say it.
"""

from __future__ import annotations

import signal
from types import FrameType

_caught: list[int] = []  # the signals that landed before the command line was ready


def _record(signum: int, frame: FrameType | None) -> None:
    _caught.append(signum)


def main() -> None:
    for each in (signal.SIGINT, signal.SIGTERM):
        signal.signal(each, _record)
    from synth.cli import main as run

    run(_caught)
