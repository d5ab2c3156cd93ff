"""What every sink is: the protocol the run writes through, and the claim both sinks take.

Its own module so that the sinks (folder.py for a folder, s3.py for a bucket) share it
without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from synth.errors import OutputError
from synth.processes import named

if TYPE_CHECKING:
    from synth.output.remote import Destination

DEFAULT_CONCURRENCY = 8  # concurrent S3 uploads
LOCK = ".synth-lock"  # the claim's key below the prefix; a shard's ends in its suffix

Claim = TypeVar("Claim")  # what a sink's claim is: a file's Path, an object's key


@dataclass(frozen=True, slots=True)
class Sparse:
    """A spooled file published grown to `size` bytes by a hole (no disk): the 1 GB fault."""

    path: Path
    size: int


Body = Path | bytes | Sparse  # a spooled file, bytes in memory, or a file grown by a hole
Published = tuple[str, Body, str]  # key, body, content type


class Sink(Protocol):
    bucket: str
    prefix: str  # every key starts with it: "" or "some/folder/"
    location: str  # where the user pointed us, for messages and Dataset.location

    def prepare(self, *, overwrite: bool) -> None:
        """Fail early, before any work, if the output cannot be written as asked."""

    def claim(self, name: str = "") -> bool:
        """Take the output for this run, or fail naming who holds it; True if it took the
        place of the same claim a dead run left.

        One claim for every kind of run: without `name` (a full run, an overwrite, a
        merge) it excludes every other claim; a shard's (`name` is its suffix) excludes
        the unnamed one and the same shard only, so the shards of a run write side by
        side. A claim is created atomically, then the others are read: of two runs that
        race, at least one sees the other. A claim left by a dead run on this host is
        taken over. `close` gives the claim up.
        """

    def destination(self) -> Destination | None:
        """The output as a worker process (of this host or another) reopens it to write
        objects into while this run holds its claim; None before the claim."""

    def entries(self) -> set[str]:
        """The names right below the prefix (a folder's end in "/"), claims aside."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def flush(self) -> None:
        """Return once every put so far is confirmed; raise if any failed."""

    def publish(self, files: Sequence[Published]) -> None:
        """Make finished files visible, in order, all or none: after a failure none is left."""

    def read(self, key: str, limit: int | None = None) -> bytes:
        """The object's bytes, at most `limit` of them (a summary is small: a huge file
        in its place is not read whole)."""

    def close(self) -> None:
        """Release the claim, connections and threads; the sink is not used after."""

    def keys(self, prefix: str) -> Iterator[str]:
        """Every key under a prefix (the claim's marker aside)."""

    def delete(self, key: str) -> None: ...


def claim(
    mine: Claim,
    *,
    create: Callable[[Claim], bool],
    take_over: Callable[[Claim], bool],
    held_by: Callable[[Claim], OutputError],
    claims: Callable[[], Iterable[Claim]],
    release: Callable[[Claim], None],
) -> bool:
    """The claim algorithm of `Sink.claim`, whatever a claim is (a file, an object).

    `create` makes `mine` only if absent (False if it exists); `take_over` removes a
    claim whose holder is gone (False if it may be alive); `claims` lists every claim
    after `mine` exists; `release` removes `mine` if a conflicting claim is alive.
    Returns whether `mine` was there first, left by a run that is gone.
    """
    took_over = False
    for _ in range(2):  # a claim taken over may be re-made by a racing run: once more
        if create(mine):
            break
        if not take_over(mine):
            raise held_by(mine)
        took_over = True
    else:
        raise held_by(mine)
    try:
        for other in claims():
            if conflicts(str(mine), str(other)) and not take_over(other):
                raise held_by(other)
    except BaseException:
        release(mine)
        raise
    return took_over


def is_lock(key: str) -> bool:
    return key.rsplit("/", 1)[-1].startswith(LOCK)


def conflicts(mine: str, other: str) -> bool:
    """Whether two claims (their keys' last segments) cannot be held at once."""
    mine, other = mine.rsplit("/", 1)[-1], other.rsplit("/", 1)[-1]
    return mine != other and LOCK in (mine, other)


def claimant(text: bytes) -> str:
    """Who a claim names, for a message: its `HOST PID`, never other bytes (a claim made a
    link to some file would otherwise print that file's start)."""
    holder = named(text)
    return "its lock names no holder" if holder is None else "{} {}".format(*holder)
