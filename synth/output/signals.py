"""SIGINT and SIGTERM held off while a dataset becomes visible.

A run publishes by renaming staged files into place, then removes what it no longer
needs (a merge's shard parts): a few fast steps that must all happen or, before the
first, none. A signal that lands among them waits until they are done, then gets the
handler it would have got (the CLI's, which stops the run; Python's default).

The handlers run in the main thread whichever thread the kernel gave the signal to,
so the hold swaps the handlers rather than masking the signals of one thread.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_HELD = (signal.SIGINT, signal.SIGTERM)

# Where this process last published a run in full: a signal handled after that (held
# until the renames were done, or landing later) stops a run whose output is complete.
_published: list[str] = []


def note_published(location: str) -> None:
    """Record that everything a run publishes is now at `location`."""
    _published.append(location)


def published() -> str | None:
    """The location this process last published in full since `forget`, or None."""
    return _published[-1] if _published else None


def forget() -> None:
    """A new command starts: nothing of it is published yet."""
    _published.clear()


@contextmanager
def held() -> Iterator[None]:
    """Record SIGINT and SIGTERM instead of handling them; handle the first on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers, and only it runs them
        return
    caught: list[tuple[int, FrameType | None]] = []

    def record(signum: int, frame: FrameType | None) -> None:
        caught.append((signum, frame))

    previous = {each: signal.signal(each, record) for each in _HELD}
    try:
        yield
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)
        if caught:
            signum, frame = caught[0]
            handler = previous[signal.Signals(signum)]
            if callable(handler):
                handler(signum, frame)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)
