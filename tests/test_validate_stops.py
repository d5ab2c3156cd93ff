"""A stop reaches a validation blocked reading its manifest, whichever thread takes it.

The kernel gives a signal sent to a process to any of its threads. Python handles it in
the main thread, but only when that thread runs Python again: a pool's thread taking a
SIGTERM while the main thread waited for the next line of a FIFO or a pipe left the
run hanging (`validate --objects -j 2`, 5 runs in 60 under load). Here the signal is
sent to a pool's thread on purpose (tgkill), once the main thread waits for input.
"""

from __future__ import annotations

import ctypes
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synth.run.dataset import Dataset
from tests.invariants import one_line, wait_until

# Per machine: the system calls tgkill, read, and the waits on descriptors (poll, ppoll).
_CALLS = {"x86_64": (234, 0, {7, 271}), "aarch64": (131, 63, {73})}

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.machine() not in _CALLS,
    reason="reads /proc, sends to one thread (tgkill)",
)


def _waiting_for(pid: int, source: Path | None) -> bool:
    """Whether the main thread of `pid` waits for input: blocked reading `source` (the
    process's standard input if None), or waiting on descriptors."""
    _, read, waits = _CALLS[platform.machine()]
    try:
        call = Path(f"/proc/{pid}/task/{pid}/syscall").read_text().split()
        if call[0] == "running" or int(call[0]) not in {read, *waits}:
            return False
        if int(call[0]) in waits:
            return True
        fd = int(call[1], 16)
        fds = Path(f"/proc/{pid}/fd")
        return (fds / str(fd)).readlink() == (
            source.resolve() if source else (fds / "0").readlink()
        )
    except (OSError, ValueError, IndexError):
        return False


def _still_waiting(pid: int, source: Path | None) -> bool:
    """Waiting for input at two looks 0.1 s apart: not a passing read of a module."""
    if not _waiting_for(pid, source):
        return False
    time.sleep(0.1)
    return _waiting_for(pid, source)


def _other_threads(pid: int) -> list[int]:
    """The threads of `pid` but its main one that take a SIGTERM (do not block it)."""
    taking = []
    try:
        for entry in Path(f"/proc/{pid}/task").iterdir():
            task, status = int(entry.name), (entry / "status").read_text()
            blocked = int(status.split("SigBlk:")[1].split()[0], 16)
            if task != pid and not blocked >> (signal.SIGTERM - 1) & 1:
                taking.append(task)
    except (OSError, IndexError):
        pass
    return taking


@pytest.mark.parametrize("source", ["fifo", "stdin"])
def test_a_stop_taken_by_another_thread_ends_a_blocked_read(
    mixed_dataset: Dataset, tmp_path: Path, source: str
) -> None:
    root = Path(mixed_dataset.location)
    lines = (root / mixed_dataset.manifest_key()).read_text().splitlines(True)[:3]
    command = [sys.executable, "-m", "synth", "validate", "--objects", "-j", "2"]
    command += ["--root", str(root)]
    fifo = tmp_path / "train.manifest" if source == "fifo" else None
    if fifo:
        os.mkfifo(fifo)
    run = subprocess.Popen(
        [*command, str(fifo) if fifo else "-"],
        stdin=None if fifo else subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    writer = fifo.open("w") if fifo else run.stdin
    assert writer is not None
    try:
        writer.writelines(lines)
        writer.flush()
        # The lines checked, the main thread waits for the next one.
        wait_until(lambda: _other_threads(run.pid), 60, "the pool's threads started")
        wait_until(lambda: _still_waiting(run.pid, fifo), 60, "the validation waits for a line")
        tgkill = _CALLS[platform.machine()][0]
        other = _other_threads(run.pid)[0]
        assert (
            ctypes.CDLL(None, use_errno=True).syscall(tgkill, run.pid, other, signal.SIGTERM) == 0
        )
        try:
            run.wait(timeout=30)  # the writer still open: no end of input ends the run
        except subprocess.TimeoutExpired:
            run.kill()
            run.wait()
            pytest.fail("the validation did not stop within 30 s of its SIGTERM")
    finally:
        writer.close()
    assert run.stderr is not None
    stderr = run.stderr.read()
    assert run.returncode == 143, stderr
    assert one_line(stderr) == "synth: stopped by SIGTERM"
