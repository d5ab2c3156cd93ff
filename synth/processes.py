"""Whether the run that left something (a claim, a spool) is gone: one answer for all.

A claim and a spool name their holder as `HOST PID`; a later run on the same host takes
over what a dead holder left. Dead includes a zombie: a run killed with SIGKILL that its
parent has not reaped yet still answers kill(pid, 0).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

# A claim whose holder cannot be read is a leftover once this old: a run writes its
# holder right after creating the claim.
UNREADABLE_CLAIM_SECONDS = 10.0


def holder() -> tuple[str, int]:
    """This run, as a claim or a spool names it: its host and process number."""
    return socket.gethostname(), os.getpid()


def holder_text() -> bytes:
    """Who holds a claim: enough for a person (and a later run) to tell if it is alive."""
    host, pid = holder()
    return f"{host} {pid}\n".encode()


def alive(pid: int) -> bool:
    """Whether process `pid` of this host runs: not gone, and not a zombie (where /proc tells)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # the number is taken, by a process we may not signal
        pass
    except (OSError, OverflowError):  # not a process number at all
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):  # no /proc (macOS), or the process just went
        return True
    return state not in (b"Z", b"X")


def named(text: bytes) -> tuple[str, int] | None:
    """The holder a claim's text names as `HOST PID`, or None if it names none."""
    try:
        host, pid = text.decode().split()
        number = int(pid)
    except (UnicodeDecodeError, ValueError):
        return None
    return (host, number) if number > 0 else None


def stale(text: bytes, age: float) -> bool:
    """Whether a claim (its text and age in seconds) was left by a run that is gone.

    Gone: a process of this host that no longer runs (a zombie included); or a claim that
    names no holder at all (a run that failed to write it) and is older than a run takes to.
    """
    holder = named(text)
    if holder is None:
        return age > UNREADABLE_CLAIM_SECONDS
    return gone(*holder)


def gone(host: str, pid: int) -> bool:
    """Whether process `pid` of `host` is known to be gone: only this host's can be."""
    return host == socket.gethostname() and not alive(pid)


def open_below(folder: Path) -> bool | None:
    """Whether a process of this host has a file below `folder` open; None where that
    cannot be told (no /proc, as on macOS, or a process whose files this one may not list)."""
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        return None
    inside = str(folder.resolve()) + os.sep
    unknown = False
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except PermissionError:
            unknown = True
            continue
        except OSError:  # gone meanwhile
            continue
        for fd in fds:
            try:
                if str(fd.readlink()).startswith(inside):
                    return True
            except OSError:
                continue
    return None if unknown else False
