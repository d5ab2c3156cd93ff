"""`synth` with a signal sent to itself at a chosen call, for tests that stop it there.

    python -m tests.inject MODULE:QUALNAME N SIGNAL ARGS...

Before the N-th call of the function MODULE:QUALNAME, the process sends itself SIGNAL
(a name such as SIGTERM): the run's own handler meets it exactly where a signal from
outside could land. `MODULE:QUALNAME@OUTER_MODULE:OUTER_QUALNAME` counts only the calls
made while OUTER runs: `pathlib:Path.replace@synth.output.folder:FolderSink.publish` is
the N-th rename of the publish, whatever number of objects were renamed before it.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from collections.abc import Callable
from typing import Any


def _wrap(target: str, wrapper: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    """Replace the function MODULE:QUALNAME by `wrapper(function)`."""
    module, _, qualname = target.partition(":")
    owner: Any = importlib.import_module(module)
    *path, name = qualname.split(".")
    for part in path:
        owner = getattr(owner, part)
    setattr(owner, name, wrapper(getattr(owner, name)))


def _inject(target: str, nth: int, signum: signal.Signals) -> None:
    target, _, outer = target.partition("@")
    calls = 0
    inside = [not outer]

    def sending(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += inside[-1]
            if inside[-1] and calls == nth:
                os.kill(os.getpid(), signum)
            return real(*args, **kwargs)

        return call

    def within(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            inside.append(True)
            try:
                return real(*args, **kwargs)
            finally:
                inside.pop()

        return call

    _wrap(target, sending)
    if outer:
        _wrap(outer, within)


def main() -> None:
    target, nth, name, *args = sys.argv[1:]
    _inject(target, int(nth), signal.Signals[name])
    sys.argv = ["synth", *args]
    from synth.cli import main as synth

    synth()


if __name__ == "__main__":
    main()
