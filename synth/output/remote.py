"""An output as another process sees it: a worker, here or on another host, writes into it.

A run's workers write their images' objects themselves and hand back only lines, so an
image's bytes cross no pipe or network twice. What a worker gets is a `Destination`:
small, picklable, and enough to reopen the output (a folder every worker mounts at the
same path, or a bucket reached with the worker's own credentials) and to check that the
run which sent the work still holds its claim. A worker of a run that has gone (a
dask worker outlives the run it served) writes nothing: its output may have passed to
another run since. (location.py opens them and checks the claim: it imports the sinks.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from synth.format import S3Uri


@dataclass(frozen=True, slots=True)
class Claimed:
    """A run's claim: its key below the output's root and the holder it names."""

    key: str
    holder: bytes


@dataclass(frozen=True, slots=True)
class Folder:
    """A folder, at the same absolute path for every process that writes into it."""

    root: Path
    bucket: str
    claim: Claimed

    @property
    def location(self) -> str:
        return str(self.root)


@dataclass(frozen=True, slots=True)
class Bucket:
    """A bucket, reached by each worker through its own credentials (boto3's usual chain)."""

    bucket: str
    endpoint_url: str | None
    region: str | None
    claim: Claimed

    @property
    def location(self) -> str:
        return str(S3Uri(self.bucket, self.claim.key.rpartition("/")[0]))


Destination = Folder | Bucket
