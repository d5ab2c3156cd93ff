"""`synth` with a signal sent to itself at a chosen call, for tests that stop it there.

    python -m tests.inject MODULE:QUALNAME N SIGNAL ARGS...

Before the N-th call of the function MODULE:QUALNAME, the process sends itself SIGNAL
(a name such as SIGTERM): the run's own handler meets it exactly where a signal from
outside could land.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from typing import Any


def _inject(target: str, nth: int, signum: signal.Signals) -> None:
    module, _, qualname = target.partition(":")
    owner: Any = importlib.import_module(module)
    *path, name = qualname.split(".")
    for part in path:
        owner = getattr(owner, part)
    real = getattr(owner, name)
    calls = 0

    def sending(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == nth:
            os.kill(os.getpid(), signum)
        return real(*args, **kwargs)

    setattr(owner, name, sending)


def main() -> None:
    target, nth, name, *args = sys.argv[1:]
    _inject(target, int(nth), signal.Signals[name])
    sys.argv = ["synth", *args]
    from synth.cli import main as synth

    synth()


if __name__ == "__main__":
    main()
