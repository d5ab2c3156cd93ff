"""The folder sink: a dataset written to a local folder.

A local folder is a bucket root: object s3://BUCKET/KEY is the file ROOT/KEY, so
syncing the folder to the bucket makes its manifests live. Objects go first; the
manifests are published last, all or none, only after every object they reference is
confirmed written. A run claims its output first (a lock file created only if absent),
so two runs never mix their objects.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from synth.errors import OutputError, option
from synth.output import signals
from synth.output.base import (
    LOCK,
    Published,
    Sparse,
    claim,
    claimant,
    is_lock,
)
from synth.output.remote import Claimed, Folder
from synth.processes import holder_text, stale


def folder_path(root: Path, key: str) -> Path | None:
    """The file of object KEY in a bucket-root folder, or None if no file can be it.

    S3 keys are opaque: `a/../b` is not `b`. A folder cannot hold such a key, so
    segments `.`, `..` and empty ones name no file, and nothing resolves outside ROOT.
    """
    parts = key.split("/")
    if not key or any(part in ("", ".", "..") for part in parts) or "\0" in key:
        return None
    return root.joinpath(*parts)


class FolderSink:
    prefix = ""

    def __init__(self, root: Path, bucket: str) -> None:
        self.root = root
        self.bucket = bucket
        self.location = str(root)
        self._lock: Path | None = None
        self._made: list[Path] = []  # the folders this run created, outermost first
        self._known: set[Path] = set()  # folders known to exist: no mkdir per object

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
            self._folder(self.root)
            probe = self.root / ".synth-write-probe"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise OutputError(
                f"{self.root}: cannot write to the output folder ({exc.strerror})"
            ) from None

    def claim(self, name: str = "") -> None:
        path = self.root / f"{LOCK}{name}"
        claim(
            path,
            create=self._create_claim,
            take_over=self._take_over,
            held_by=self._held_by,
            claims=lambda: sorted(self.root.glob(f"{LOCK}*")),
            release=lambda mine: mine.unlink(missing_ok=True),
        )
        self._lock = path

    def _create_claim(self, path: Path) -> bool:
        """Create the claim with its holder, or return False if it exists."""
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        except OSError as exc:
            raise OutputError(f"{path}: cannot create the output's lock ({exc.strerror})") from None
        try:
            text = holder_text()
            if os.write(fd, text) != len(text):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise OutputError(f"{path}: cannot write the output's lock ({exc.strerror})") from None
        finally:
            os.close(fd)
        return True

    def _take_over(self, path: Path) -> bool:
        """Remove a claim its dead holder left; False if its holder may be alive."""
        try:
            text, age = path.read_bytes(), time.time() - path.stat().st_mtime
        except FileNotFoundError:
            return True  # released meanwhile
        except OSError:
            return False
        if not stale(text, age):
            return False
        try:  # only the claim that was judged: not one a racing run has just made
            if path.read_bytes() == text:
                path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise OutputError(
                f"{path}: cannot remove the lock a dead run left ({exc.strerror})"
            ) from None
        return True

    def _held_by(self, path: Path) -> OutputError:
        try:
            who = claimant(path.read_bytes())
        except OSError:
            who = "another run"
        return OutputError(
            f"{self.root}: another synth run ({who}) is writing here; wait for "
            f"it, or delete {path} if that run is gone"
        )

    def destination(self) -> Folder | None:
        """The folder as a worker on this host, or one mounting it at the same path, sees it."""
        if self._lock is None:
            return None
        return Folder(self.root.resolve(), self.bucket, Claimed(self._lock.name, holder_text()))

    def entries(self) -> set[str]:
        return {
            f"{path.name}/" if path.is_dir() else path.name
            for path in self.root.iterdir()
            if not is_lock(path.name)
        }

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        try:
            self._folder(path.parent)
            try:
                _write(path, data)
            except FileNotFoundError:  # its folder, left empty, removed by another run
                self._known.discard(path.parent)
                self._folder(path.parent)
                _write(path, data)
        except OSError as exc:
            raise OutputError(f"{path}: cannot write ({exc.strerror}){_advice(exc)}") from None

    def flush(self) -> None:
        """Writes are synchronous: nothing to wait for."""

    def close(self) -> None:
        """Give the claim up, and remove the folders this run created that are empty (all
        of them when it failed before its first object: a refused scheduler, a limit)."""
        if self._lock is not None:
            self._lock.unlink(missing_ok=True)
            self._lock = None
        for folder in reversed(self._made):
            with contextlib.suppress(OSError):  # not empty: it holds objects, kept
                folder.rmdir()
        self._made.clear()
        self._known.clear()

    def _folder(self, folder: Path) -> None:
        """Make `folder` and the folders above it that are missing, noting which."""
        if folder in self._known:
            return
        missing = []
        above = folder
        while not above.exists() and above != above.parent:
            missing.append(above)
            above = above.parent
        folder.mkdir(parents=True, exist_ok=True)
        self._made += reversed(missing)
        self._known.add(folder)

    def _prune(self, folder: Path) -> None:
        """Remove `folder` and those above it, up to the root, while they are empty: as in
        a bucket, a folder lasts while a key is below it (merge's shards/, emptied)."""
        while folder != self.root and folder.is_relative_to(self.root):
            try:
                folder.rmdir()
            except OSError:  # not empty (or gone already)
                return
            self._known.discard(folder)
            folder = folder.parent

    def keys(self, prefix: str) -> Iterator[str]:
        for path in (self.root / prefix).rglob("*"):
            if path.is_file() and not is_lock(path.name):
                yield path.relative_to(self.root).as_posix()

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        self._prune(path.parent)

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def publish(self, files: Sequence[Published]) -> None:
        """Every file staged beside its target first, then each renamed into place.

        All or none under any failure, signal or limit: staging can stop anywhere (what
        was staged is removed), and the renames run with SIGINT and SIGTERM held off.
        """
        staged: list[tuple[Path, Path]] = []
        try:
            for key, body, _ in files:
                target = self._path(key)
                staged.append((target.with_name(f".{target.name}.partial"), target))
                self._folder(target.parent)
                _stage(body, staged[-1][0])
        except BaseException as exc:
            for stage, _ in staged:
                stage.unlink(missing_ok=True)
            if not isinstance(exc, OSError):
                raise
            failed = staged[-1][1] if staged else self.root
            raise OutputError(
                f"{failed}: cannot write ({exc.strerror}){_advice(exc)}; nothing was published"
            ) from None
        renamed: list[Path] = []
        with signals.held():
            try:
                for stage, target in staged:
                    stage.replace(target)
                    renamed.append(target)
            except OSError as exc:  # a rename in one folder: seen only on a broken disk
                for path in [stage for stage, _ in staged] + renamed:
                    path.unlink(missing_ok=True)
                raise OutputError(  # the target, not the staged file: a folder in its way
                    f"{exc.filename2 or exc.filename or self.root}: cannot publish "
                    f"({exc.strerror}); "
                    "nothing was published"
                ) from None
            signals.note_published(self.location)

    def _path(self, key: str) -> Path:
        """The file of `key`, below no symbolic link: a link planted in the output (a folder
        `images` pointing elsewhere) would have the run write outside its root."""
        path = folder_path(self.root, key)
        if path is None:
            raise OutputError(f"{key!r}: a key a folder cannot hold (an empty, . or .. segment)")
        for folder in list(path.relative_to(self.root).parents)[-2::-1]:  # outermost first
            if (self.root / folder).is_symlink():
                raise OutputError(
                    f"{self.root / folder}: a symbolic link; synth writes only inside its "
                    "output folder: remove the link, or write elsewhere"
                )
        return path


def _advice(exc: OSError) -> str:
    """What to do about a write the output's disk refused, as a clause."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "; free space on its disk or write elsewhere"
    if exc.errno == errno.EFBIG:
        return "; raise the file size limit (ulimit -f)"
    return ""


def _write(path: Path, data: bytes) -> None:
    """Write a file in place of whatever `path` is, never through a symbolic link there (a
    link planted at an object's key would have the run overwrite a file outside its root)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        path.unlink()  # the link itself, inside the root
        fd = os.open(path, flags, 0o644)
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def _stage(body: Path | bytes | Sparse, stage: Path) -> None:
    """Write a body to its staging file: bytes, a copy of a spooled file, or one grown."""
    if isinstance(body, bytes):
        _write(stage, body)
        return
    stage.unlink(missing_ok=True)  # a link left there is not followed by the copy
    shutil.copyfile(body.path if isinstance(body, Sparse) else body, stage)
    if isinstance(body, Sparse):
        os.truncate(stage, body.size)
