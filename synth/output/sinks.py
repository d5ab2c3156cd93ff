"""Sinks: where a dataset's objects and manifests land.

A local folder is a bucket root: object s3://BUCKET/KEY is the file ROOT/KEY, so
syncing the folder to the bucket makes its manifests live. Objects go first; the
manifests are published last, all or none, only after every object they reference is
confirmed written. A run claims its output first (a lock file, or a marker object put
only if absent), so two runs never mix their objects.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path

from synth.errors import OutputError, option
from synth.format import S3Uri, is_s3
from synth.output.base import DEFAULT_CONCURRENCY, LOCK, Published, Sink, is_lock, lock_text


def folder_path(root: Path, key: str) -> Path | None:
    """The file of object KEY in a bucket-root folder, or None if no file can be it.

    S3 keys are opaque: `a/../b` is not `b`. A folder cannot hold such a key, so
    segments `.`, `..` and empty ones name no file, and nothing resolves outside ROOT.
    """
    parts = key.split("/")
    if not key or any(part in ("", ".", "..") for part in parts) or "\0" in key:
        return None
    return root.joinpath(*parts)


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
        self._lock: Path | None = None

    def prepare(self, *, overwrite: bool) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise OutputError(f"{self.root}: exists and is not a folder")
        if (
            self.root.is_dir()
            and not overwrite
            and any(not is_lock(path.name) for path in self.root.iterdir())
        ):
            raise OutputError(
                f"{self.root}: the output folder is not empty; "
                f"pass {option('overwrite', flag=True)} to write over it"
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

    def claim(self, name: str = "") -> None:
        path = self.root / f"{LOCK}{name}"
        for _ in range(2):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                if not _stale(path):
                    holder = path.read_text(errors="replace").strip() or "another run"
                    raise OutputError(
                        f"{self.root}: another synth run ({holder}) is writing here; wait for "
                        f"it, or delete {path} if that run is gone"
                    ) from None
                path.unlink(missing_ok=True)
                continue
            except OSError as exc:
                raise OutputError(f"{path}: cannot write ({exc.strerror})") from None
            with os.fdopen(fd, "wb") as handle:
                handle.write(lock_text())
            self._lock = path
            return

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as exc:
            raise OutputError(f"{path}: cannot write ({exc.strerror})") from None

    def flush(self) -> None:
        """Writes are synchronous: nothing to wait for."""

    def close(self) -> None:
        if self._lock is not None:
            self._lock.unlink(missing_ok=True)
            self._lock = None

    def keys(self, prefix: str) -> Iterator[str]:
        for path in (self.root / prefix).rglob("*"):
            if path.is_file() and not is_lock(path.name):
                yield path.relative_to(self.root).as_posix()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def publish(self, files: Sequence[Published]) -> None:
        """Every file staged beside its target first, then each renamed into place."""
        staged: list[tuple[Path, Path]] = []
        renamed: list[Path] = []
        try:
            for key, body, _ in files:
                target = self._path(key)
                staged.append((target.with_name(f".{target.name}.partial"), target))
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(body, Path):
                    shutil.copyfile(body, staged[-1][0])
                else:
                    staged[-1][0].write_bytes(body)
            for stage, target in staged:
                stage.replace(target)
                renamed.append(target)
        except OSError as exc:
            for path in [stage for stage, _ in staged] + renamed:
                path.unlink(missing_ok=True)
            failed = exc.filename or self.root
            raise OutputError(
                f"{failed}: cannot write ({exc.strerror}); nothing was published"
            ) from None

    def _path(self, key: str) -> Path:
        path = folder_path(self.root, key)
        if path is None:
            raise OutputError(f"{key!r}: a key a folder cannot hold (an empty, . or .. segment)")
        return path


def _stale(lock: Path) -> bool:
    """Whether a lock was left by a run on this host that is no longer alive."""
    try:
        host, pid = lock.read_text().split()
        if host != socket.gethostname():
            return False
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (OSError, ValueError):
        return False
    return False
