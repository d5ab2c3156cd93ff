"""Blocking reads that a stop interrupts, whichever thread the kernel gave its signal to.

A SIGTERM sent to the process goes to any one of its threads that does not block it.
Python runs the handler in the main thread, but only once that thread is back in Python:
if a pool's thread took the signal while the main thread waited in a read (a manifest
from a FIFO or a pipe, its writer silent), the read was not interrupted, and the stop
stayed unseen until a line came, perhaps never (`validate --objects -j 2` hung).
With a wake-up descriptor (`signal.set_wakeup_fd`), the signal's C handler writes a byte
to it in whichever thread took the signal; a read that first waits on both its file
and that descriptor wakes up, and the handler runs before the wait is taken up again.
"""

from __future__ import annotations

import io
import os
import select
import signal
import threading
from collections.abc import Callable
from typing import BinaryIO

_wake: int | None = None  # the read end of the wake-up pipe, once installed


def install() -> None:
    """Have every handled signal wake the reads below up (the command line, its main
    thread, once): the library alone leaves a program's own wake-up descriptor alone."""
    global _wake
    if _wake is not None:
        return
    read, write = os.pipe()
    for end in (read, write):
        os.set_blocking(end, False)  # a full pipe drops a byte, never blocks a handler
    signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    _wake = read


def readline(handle: BinaryIO) -> Callable[[int], bytes]:
    """`handle.readline`, woken up by a stop when it reads a stream (not a file: a file's
    read always returns) in the main thread of a command that installed the wake-up."""
    if _wake is None or threading.current_thread() is not threading.main_thread():
        return handle.readline
    try:
        if handle.seekable():
            return handle.readline
        fd = handle.fileno()
    except (OSError, ValueError):  # no descriptor (an in-memory stream): never blocks
        return handle.readline
    return io.BufferedReader(_Woken(fd, _wake)).readline


class _Woken(io.RawIOBase):
    """A stream's descriptor, read once it or the wake-up descriptor is ready."""

    def __init__(self, fd: int, wake: int) -> None:
        super().__init__()
        self._fd, self._wake = fd, wake
        self._ready = select.poll()  # poll, not select: any descriptor number
        self._ready.register(fd, select.POLLIN)
        self._ready.register(wake, select.POLLIN)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while True:
            ready = {fd for fd, _ in self._ready.poll()}
            if self._wake in ready:
                _drain(self._wake)  # a handled signal's byte; its handler runs on the way
            if self._fd in ready:  # data, its end or an error: the read says which
                return os.readv(self._fd, [buffer])


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass
