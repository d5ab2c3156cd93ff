"""An output as another process sees it: a worker, here or on another host, writes into it.

A run's workers write their images' objects themselves and hand back only lines, so an
image's bytes cross no pipe or network twice. What a worker gets is a `Destination`:
small, picklable, and enough to reopen the output (a folder every worker mounts at the
same path, or a bucket reached with the worker's own credentials) and to check that the
run which sent the work still holds its claim. A worker of a run that has gone (a
dask worker outlives the run it served) writes nothing: its output may have passed to
another run since.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synth.errors import OutputError
from synth.format import S3Uri
from synth.output.base import DEFAULT_CONCURRENCY, Sink


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

    def open(self) -> Sink:
        from synth.output.folder import FolderSink

        return FolderSink(self.root, self.bucket)

    def held(self) -> bool:
        try:
            return (self.root / self.claim.key).read_bytes() == self.claim.holder
        except OSError:
            return False

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

    def open(self) -> Sink:
        from synth.output.s3 import S3Sink

        return S3Sink(_client(self.endpoint_url, self.region), self.bucket, progress=False)

    def held(self) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        s3 = _client(self.endpoint_url, self.region)
        try:
            found = s3.get_object(Bucket=self.bucket, Key=self.claim.key)["Body"].read()
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in ("NoSuchKey", "404"):
                return False
            from synth.output.s3 import explain

            raise explain(exc, self.bucket, self.claim.key) from None
        except BotoCoreError as exc:
            from synth.output.s3 import explain

            raise explain(exc, self.bucket, self.claim.key) from None
        return bool(found == self.claim.holder)

    @property
    def location(self) -> str:
        return str(S3Uri(self.bucket, self.claim.key.rpartition("/")[0]))


Destination = Folder | Bucket


@functools.cache
def _client(endpoint_url: str | None, region: str | None) -> Any:
    """One S3 client per worker process and endpoint: making one costs tens of ms."""
    from synth.output import s3

    return s3.client(endpoint_url, concurrency=DEFAULT_CONCURRENCY, region=region)


def check_held(destination: Destination) -> None:
    """Raise unless the run that sent this work still holds its output."""
    if not destination.held():
        raise OutputError(
            f"{destination.location}: the run this image was made for no longer holds its "
            f"output ({destination.claim.key} is gone or another run's); nothing was written"
        )
