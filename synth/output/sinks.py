"""Sinks: where a dataset's objects and manifests land.

A local folder is a bucket root: object s3://BUCKET/KEY is the file ROOT/KEY, so
syncing the folder to the bucket makes its manifests live. Objects go first; the
manifests are published last, each in one atomic step, only after every object
they reference is confirmed written.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from synth.errors import OutputError
from synth.format import S3Uri, is_s3

DEFAULT_CONCURRENCY = 8  # concurrent S3 uploads


class Sink(Protocol):
    bucket: str
    prefix: str  # every key starts with it: "" or "some/folder/"
    location: str  # where the user pointed us, for messages and Dataset.location

    def prepare(self, *, overwrite: bool) -> None:
        """Fail early, before any work, if the output cannot be written as asked."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def flush(self) -> None:
        """Return once every put so far is confirmed; raise if any failed."""

    def publish(self, key: str, path: Path, content_type: str) -> None:
        """Make a finished manifest visible in one step."""

    def read(self, key: str) -> bytes: ...

    def close(self) -> None:
        """Release connections and threads; the sink is not used after."""

    def keys(self, prefix: str) -> Iterator[str]:
        """Every key under a prefix."""

    def delete(self, key: str) -> None: ...


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
        from synth.output import s3

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
    return LocalSink(Path(out), bucket)


class LocalSink:
    prefix = ""

    def __init__(self, root: Path, bucket: str) -> None:
        self.root = root
        self.bucket = bucket
        self.location = str(root)

    def prepare(self, *, overwrite: bool) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise OutputError(f"{self.root}: exists and is not a folder")
        if self.root.is_dir() and any(self.root.iterdir()) and not overwrite:
            raise OutputError(
                f"{self.root}: the output folder is not empty; pass --overwrite to write over it"
            )
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".synth-write-probe"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise OutputError(
                f"{self.root}: cannot write to the output folder ({exc.strerror})"
            ) from None

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.root / key
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as exc:
            raise OutputError(f"{path}: cannot write ({exc.strerror})") from None

    def flush(self) -> None:
        """Writes are synchronous: nothing to wait for."""

    def close(self) -> None:
        """Nothing is held open."""

    def keys(self, prefix: str) -> Iterator[str]:
        for path in (self.root / prefix).rglob("*"):
            if path.is_file():
                yield path.relative_to(self.root).as_posix()

    def delete(self, key: str) -> None:
        (self.root / key).unlink(missing_ok=True)

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def publish(self, key: str, path: Path, content_type: str) -> None:
        target = self.root / key
        staged = target.with_name(f".{target.name}.partial")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, staged)
            staged.replace(target)
        except OSError as exc:
            raise OutputError(f"{target}: cannot write ({exc.strerror})") from None
