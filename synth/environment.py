"""Settings read from environment variables, each refused in one line naming the variable."""

from __future__ import annotations

import os

from synth.errors import SynthError


def seconds(name: str, default: float, most: float, error: type[SynthError]) -> float:
    """The number of seconds `name` holds (`default` when unset), above 0 and at most `most`.

    NaN, inf and text are refused as `error`, so the caller's error code still names its stage.
    """
    text = os.environ.get(name, "")
    try:
        value = float(text) if text else default
    except ValueError:
        value = 0.0
    if not 0 < value <= most:  # NaN and inf fail too
        raise error(f"{name}={text!r}: must be a number of seconds above 0 and at most {most:g}")
    return value
