"""The sink for where the user pointed: a folder, or an s3://bucket/prefix.

Apart from base.py, which both sinks import: this module imports them.
"""

from __future__ import annotations

from pathlib import Path

from synth.errors import OutputError
from synth.format import S3Uri, is_s3
from synth.output.base import DEFAULT_CONCURRENCY, Sink
from synth.output.folder import FolderSink


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
