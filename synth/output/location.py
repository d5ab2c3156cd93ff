"""The sink for where the user pointed (a folder, or an s3://bucket/prefix), and for
where a worker writes (a `Destination`).

Apart from base.py, which both sinks import: this module imports them.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from synth.errors import OutputError
from synth.format import S3Uri, is_s3
from synth.output.base import DEFAULT_CONCURRENCY, Sink
from synth.output.folder import FolderSink
from synth.output.remote import Bucket, Destination


def open_sink(
    out: str | Path,
    bucket: str,
    *,
    endpoint_url: str | None = None,
    create_bucket: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: bool | None = False,
) -> Sink:
    """The sink for an output location given by the user: a folder or s3://bucket/prefix."""
    if is_s3(out):
        from synth.output import s3  # boto3 only for a bucket

        try:
            location = S3Uri.parse_prefix(str(out))
        except ValueError as exc:
            raise OutputError(str(exc)) from None
        return s3.S3Sink(
            s3.client(endpoint_url, concurrency=concurrency),
            location.bucket,
            location.key,
            create_bucket=create_bucket,
            concurrency=concurrency,
            progress=progress,
        )
    return FolderSink(Path(out), bucket)


def open_destination(destination: Destination) -> Sink:
    """A sink writing into `destination`, in a worker's process."""
    if isinstance(destination, Bucket):
        from synth.output.s3 import S3Sink

        client = _client(destination.endpoint_url, destination.region)
        return S3Sink(client, destination.bucket, progress=False)
    return FolderSink(destination.root, destination.bucket, destination.claim.key)


@functools.cache
def _client(endpoint_url: str | None, region: str | None) -> Any:
    """One S3 client per worker process and endpoint: making one costs tens of ms."""
    from synth.output import s3

    return s3.client(endpoint_url, concurrency=DEFAULT_CONCURRENCY, region=region)


def check_held(destination: Destination) -> None:
    """Raise unless the run that sent this work still holds its output."""
    if not _held(destination):
        raise OutputError(
            f"{destination.location}: the run this image was made for no longer holds its "
            f"output ({destination.claim.key} is gone or another run's); nothing was written"
        )


def _held(destination: Destination) -> bool:
    claim = destination.claim
    if not isinstance(destination, Bucket):
        try:
            return (destination.root / claim.key).read_bytes() == claim.holder
        except OSError:
            return False
    from botocore.exceptions import BotoCoreError, ClientError

    from synth.output.s3 import explain

    s3 = _client(destination.endpoint_url, destination.region)
    try:
        found = s3.get_object(Bucket=destination.bucket, Key=claim.key)["Body"].read()
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code")) in ("NoSuchKey", "404"):
            return False
        raise explain(exc, destination.bucket, claim.key) from None
    except BotoCoreError as exc:
        raise explain(exc, destination.bucket, claim.key) from None
    return bool(found == claim.holder)
