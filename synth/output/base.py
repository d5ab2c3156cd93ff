"""What every sink is: the protocol the run writes through, and the claim both sinks take.

Its own module so that the sinks (sinks.py for a folder, s3.py for a bucket) share it
without importing each other.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

DEFAULT_CONCURRENCY = 8  # concurrent S3 uploads
LOCK = ".synth-lock"  # the claim's key below the prefix; a shard's ends in its suffix
Body = Path | bytes  # a spooled file, or bytes in memory
Published = tuple[str, Body, str]  # key, body, content type


class Sink(Protocol):
    bucket: str
    prefix: str  # every key starts with it: "" or "some/folder/"
    location: str  # where the user pointed us, for messages and Dataset.location

    def prepare(self, *, overwrite: bool) -> None:
        """Fail early, before any work, if the output cannot be written as asked."""

    def claim(self, name: str = "") -> None:
        """Take the output for this run in one atomic step, or fail naming who holds it.

        `name` tells apart claims that may coexist (the shards of one run); `close`
        gives the claim up.
        """

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def flush(self) -> None:
        """Return once every put so far is confirmed; raise if any failed."""

    def publish(self, files: Sequence[Published]) -> None:
        """Make finished files visible, in order, all or none: after a failure none is left."""

    def read(self, key: str) -> bytes: ...

    def close(self) -> None:
        """Release the claim, connections and threads; the sink is not used after."""

    def keys(self, prefix: str) -> Iterator[str]:
        """Every key under a prefix (the claim's marker aside)."""

    def delete(self, key: str) -> None: ...


def is_lock(key: str) -> bool:
    return key.rsplit("/", 1)[-1].startswith(LOCK)


def lock_text() -> bytes:
    """Who holds a claim: enough for a person (and a later run) to tell if it is alive."""
    return f"{socket.gethostname()} {os.getpid()}\n".encode()
