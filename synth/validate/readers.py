"""Where a manifest's objects are read from: a folder that is a bucket's root, S3, a mapping.

Pure I/O, without the imaging libraries the object checks (synth.validate.objects) need.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping
from pathlib import Path
from stat import S_ISREG
from typing import Any, Protocol

from synth.format import S3Uri
from synth.output.keys import folder_path


class ObjectReader(Protocol):
    def read(self, uri: str) -> bytes | None:
        """The object's bytes, or None if there is no such object."""


# Of an object over the size limit, only this much is read: enough for its header.
_HEAD_BYTES = 1 << 16
# A FIFO named as an object is opened without waiting for a writer (then refused: it is
# no regular file); reading a regular file is the same either way.
_OPEN = os.O_RDONLY | os.O_NONBLOCK


class FolderReader:
    """A local folder that is a bucket's root: s3://BUCKET/KEY is ROOT/KEY."""

    def __init__(self, root: Path) -> None:
        self.root = root
        # A key's folder ("" for the root) -> its path and whether it resolves inside the
        # root, or None when no file can be in it: a dataset's objects share a few folders.
        self._folders: dict[str, tuple[str, bool] | None] = {}

    def read(self, uri: str) -> bytes | None:
        found = self.read_within(uri, None)
        return None if found is None else found[0]

    def read_within(self, uri: str, limit: int | None) -> tuple[bytes, int] | None:
        """The object's bytes and size; past `limit` bytes, only its head.

        Nothing outside the root is read, not even through a symbolic link: a file that
        is no link is opened when its folder resolves inside the root (known once per
        folder), a link when it resolves there itself.
        """
        parsed = S3Uri.find(uri)
        if parsed is None:
            return None
        within, _, name = parsed.key.rpartition("/")
        if name in ("", ".", "..") or "\0" in name:
            return None
        if within not in self._folders:
            self._folders[within] = self._folder(within)
        folder = self._folders[within]
        if folder is None:
            return None
        path = f"{folder[0]}/{name}"
        try:
            try:
                handle = os.open(path, _OPEN | os.O_NOFOLLOW) if folder[1] else -1
            except OSError as exc:
                if exc.errno != errno.ELOOP:
                    raise
                handle = -1  # a symbolic link: followed only to a file inside the root
            if handle < 0:
                if not self._resolves_inside(Path(path)) or not Path(path).is_file():
                    return None
                handle = os.open(path, _OPEN)
            try:
                stat = os.fstat(handle)
                if not S_ISREG(stat.st_mode):
                    return None
                size = stat.st_size
                if limit is not None and size > limit:
                    return os.read(handle, _HEAD_BYTES), size
                return _read_all(handle, size), size
            finally:
                os.close(handle)
        except OSError:
            return None

    def _folder(self, within: str) -> tuple[str, bool] | None:
        """The path of the key folder `within` and whether it resolves inside the root;
        None when it names no folder (see `folder_path`)."""
        folder = self.root if not within else folder_path(self.root, within)
        return None if folder is None else (str(folder), self._resolves_inside(folder))

    def _resolves_inside(self, path: Path) -> bool:
        return path.resolve().is_relative_to(self.root.resolve())


def _read_all(handle: int, size: int) -> bytes:
    """A file's bytes to its end, `size` by its stat (read as one call when it has not
    grown since: a byte more is asked for, to see its end)."""
    data = os.read(handle, size + 1)
    if len(data) <= size:  # a regular file reads short only at its end
        return data
    parts = [data]
    while chunk := os.read(handle, 1 << 20):
        parts.append(chunk)
    return b"".join(parts)


class MappingReader:
    def __init__(self, objects: Mapping[str, bytes]) -> None:
        self.objects = objects

    def read(self, uri: str) -> bytes | None:
        return self.objects.get(uri)


class FirstOf:
    """Readers asked in turn: a project of local and S3 manifests finds each object where
    it is (S3 first: an s3:// URI names it there; then the local bucket-root folder)."""

    def __init__(self, *readers: ObjectReader) -> None:
        self.readers = readers

    def read(self, uri: str) -> bytes | None:
        for reader in self.readers:
            found = reader.read(uri)
            if found is not None:
                return found
        return None


class S3Reader:
    def __init__(self, client: Any) -> None:
        self.client = client

    def read(self, uri: str) -> bytes | None:
        found = self.read_within(uri, None)
        return None if found is None else found[0]

    def read_within(self, uri: str, limit: int | None) -> tuple[bytes, int] | None:
        """The object's bytes and size; past `limit` bytes, only its head is fetched."""
        from botocore.exceptions import ClientError

        parsed = S3Uri.find(uri)
        if parsed is None:
            return None
        ask = {"Bucket": parsed.bucket, "Key": parsed.key}
        try:
            try:
                found = self.client.get_object(
                    **ask, **({} if limit is None else {"Range": f"bytes=0-{limit}"})
                )
            except ClientError as exc:  # an empty object has no byte 0 to start a range at
                if str(exc.response.get("Error", {}).get("Code")) != "InvalidRange":
                    raise
                found = self.client.get_object(**ask)
        except ClientError as exc:
            # A missing bucket (another bucket's URI) is a missing object: a finding, not a stop.
            code = str(exc.response.get("Error", {}).get("Code"))
            if code in ("NoSuchKey", "NoSuchBucket", "404", "NotFound"):
                return None
            raise
        data: bytes = found["Body"].read()
        total = str(found.get("ContentRange", "")).rpartition("/")[2]
        size = int(total) if total.isdigit() else len(data)
        return (data if size <= len(data) else data[:_HEAD_BYTES]), size


def object_reader(objects: ObjectReader | Path | Mapping[str, bytes] | Any) -> ObjectReader:
    """Adapt a folder, a mapping uri -> bytes, or a boto3 S3 client."""
    if isinstance(objects, Path):
        return FolderReader(objects)
    if isinstance(objects, Mapping):
        return MappingReader(objects)
    if hasattr(objects, "get_object"):
        return S3Reader(objects)
    if hasattr(objects, "read"):
        return objects
    raise TypeError(f"cannot read objects from {type(objects).__name__}")
