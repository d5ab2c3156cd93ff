"""The folder sink: a dataset written to a local folder.

A local folder is a bucket root: object s3://BUCKET/KEY is the file ROOT/KEY, so
syncing the folder to the bucket makes its manifests live. Objects go first; the
manifests are published last, all or none, only after every object they reference is
confirmed written. A run claims its output first (a lock file created only if absent),
so two runs never mix their objects.

No file is ever seen half-written: an object is written under a staged name beside its
key (`.NAME.partial`) and renamed into place. And a run that fails leaves nothing of its
own: whoever writes an object for it (the run, its workers) first notes its key in the
run's journal (`.synth-journal` and the claim's suffix, one JSON string a line), and the
run, still holding its claim, removes every key noted there unless it published. A
journal a killed run left is replayed by the next run that takes the same claim (a full
run, an overwrite or a merge: every journal, since no other run can hold the folder).
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
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
from synth.output.keys import folder_path
from synth.output.remote import Claimed, Folder
from synth.processes import holder_text, stale

JOURNAL = ".synth-journal"  # the keys a run wrote; a shard's ends in its claim's suffix
PROBE = ".synth-write-probe"  # written and removed to see that the folder takes files


def _hidden(name: str) -> bool:
    """A claim, a journal or the probe: the run's bookkeeping, no object of the output."""
    return is_lock(name) or name.startswith(JOURNAL) or name == PROBE


def _stage_of(path: Path) -> Path:
    """Where a file is written before it is renamed into place at `path`."""
    return path.with_name(f".{path.name}.partial")


class FolderSink:
    prefix = ""

    def __init__(self, root: Path, bucket: str, claimed: str | None = None) -> None:
        """`claimed`: the name of the claim of the run this sink writes for (a worker's
        sink), whose journal notes every key it puts."""
        self.root = root
        self.bucket = bucket
        self.location = str(root)
        self._lock: Path | None = None
        self._journal = None if claimed is None else self._journal_of(claimed)
        # Only the run makes its journal (when it claims): a worker still writing after the
        # run removed it (a dask task the stop did not reach) fails instead of making another.
        self._makes_journal = claimed is None
        self._made: list[Path] = []  # the folders this run created, outermost first
        self._known: set[Path] = set()  # folders known to exist: no mkdir per object

    def prepare(self, *, overwrite: bool) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise OutputError(f"{self.root}: exists and is not a folder")
        if (
            self.root.is_dir()
            and not overwrite
            and not self._left_by_a_run([p for p in self.root.iterdir() if not _hidden(p.name)])
        ):
            # A run killed once its dataset was published (its journal gone) left its claim
            # only: refused as after a run that finished, the dead run's claim is removed.
            for lock in self.root.glob(f"{LOCK}*"):
                if not self._journal_of(lock.name).exists():
                    with contextlib.suppress(OutputError):
                        self._take_over(lock)
            raise OutputError(
                f"{self.root}: the output folder is not empty; "
                f"pass {option('overwrite', flag=True)} to write over it"
            )
        try:
            self._folder(self.root)
            probe = self.root / PROBE
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise OutputError(
                f"{self.root}: cannot write to the output folder ({exc.strerror})"
            ) from None

    def _left_by_a_run(self, entries: list[Path]) -> bool:
        """Whether every file below `entries` is one a journal notes (or its staged copy):
        what a killed run left, which taking the claim removes once its holder is gone (a
        holder alive refuses the claim instead). A folder holding no file is no run's."""
        noted: set[Path] = set()
        for journal in self.root.glob(f"{JOURNAL}*"):
            for key in self._noted(journal):
                path = folder_path(self.root, key)
                if path is not None:
                    noted |= {path, _stage_of(path)}
        for entry in entries:
            below = entry.rglob("*") if entry.is_dir() and not entry.is_symlink() else [entry]
            files = [path for path in below if not path.is_dir()]
            if not files or any(path not in noted for path in files):
                return False
        return True

    def claim(self, name: str = "") -> bool:
        path = self.root / f"{LOCK}{name}"
        took_over = claim(
            path,
            create=self._create_claim,
            take_over=self._take_over,
            held_by=self._held_by,
            claims=lambda: sorted(self.root.glob(f"{LOCK}*")),
            release=lambda mine: mine.unlink(missing_ok=True),
        )
        self._lock = path
        self._journal = self._journal_of(path.name)
        # No run that could still write holds a journal replayed here: not this claim's
        # (its holder is gone), and with the claim of a full run, no other either.
        left = self.root.glob(f"{JOURNAL}*") if not name else [self._journal]
        for journal in sorted(left):
            self._discard(journal)
        try:
            self._open_journal(os.O_CREAT).close()
        except OSError as exc:
            raise OutputError(
                f"{self._journal}: cannot write the run's journal ({exc.strerror}){_advice(exc)}"
            ) from None
        return took_over

    def _journal_of(self, claim: str) -> Path:
        return self.root / f"{JOURNAL}{claim.removeprefix(LOCK)}"

    def _note(self, *keys: str) -> None:
        """Note in the run's journal that `keys` are about to be written."""
        if self._journal is None:
            return
        line = "".join(json.dumps(key) + "\n" for key in keys).encode()
        with self._open_journal(os.O_CREAT if self._makes_journal else 0) as journal:
            if journal.write(line) != len(line):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self._journal))

    def _open_journal(self, create: int) -> io.FileIO:
        assert self._journal is not None
        fd = os.open(self._journal, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | create, 0o644)
        return io.FileIO(fd, "w")

    def _noted(self, journal: Path) -> list[str]:
        """The keys a journal notes (a line cut short by a kill names none)."""
        try:
            text = journal.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise OutputError(
                f"{journal}: cannot read the run's journal ({exc.strerror})"
            ) from None
        keys = []
        for line in text.splitlines():
            with contextlib.suppress(ValueError, RecursionError):
                key = json.loads(line)
                if isinstance(key, str):
                    keys.append(key)
        return keys

    def _discard(self, journal: Path) -> None:
        """Remove every file a journal notes (and its staged copy), then the journal."""
        self._remove(self._noted(journal))
        journal.unlink(missing_ok=True)

    def _remove(self, keys: list[str]) -> None:
        for key in dict.fromkeys(keys):
            path = folder_path(self.root, key)
            if path is None:
                continue
            try:
                self._path(key)  # below no symbolic link
            except OutputError:
                continue
            for each in (path, _stage_of(path)):
                with contextlib.suppress(OSError):
                    each.unlink()
            self._prune(path.parent)

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
            if not _hidden(path.name)
        }

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Write an object under its staged name, then rename it into place: whatever
        stops the write (a full disk, a file size limit, a kill) leaves no part of it at
        its key; the key is noted in the run's journal first."""
        path = self._path(key)
        stage = _stage_of(path)
        try:
            self._note(key)
            self._folder(path.parent)
            try:
                _write(stage, data)
            except FileNotFoundError:  # its folder, left empty, removed by another run
                self._known.discard(path.parent)
                self._folder(path.parent)
                _write(stage, data)
            stage.replace(path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                stage.unlink()
            raise OutputError(f"{path}: cannot write ({exc.strerror}){_advice(exc)}") from None

    def flush(self) -> None:
        """Writes are synchronous: nothing to wait for."""

    def close(self) -> None:
        """Remove what the run wrote unless it published, give the claim up, and remove
        the folders this run created that are empty (all of them when it failed before
        its first object: a refused scheduler, a limit)."""
        if self._lock is not None:
            if self._journal is not None:
                self._discard(self._journal)
            self._lock.unlink(missing_ok=True)
            self._lock = None
        for folder in reversed(self._made):
            with contextlib.suppress(OSError):  # not empty: it holds objects, kept
                folder.rmdir()
                # and the folders above that this left empty (a worker made them)
                self._prune(folder.parent)
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
            if path.is_file() and not _hidden(path.name):
                yield path.relative_to(self.root).as_posix()

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        self._prune(path.parent)

    def read(self, key: str, limit: int | None = None) -> bytes:
        with self._path(key).open("rb") as file:
            return file.read(-1 if limit is None else limit)

    def publish(self, files: Sequence[Published]) -> None:
        """Every file staged beside its target first, then each renamed into place.

        All or none under any failure, signal or limit: the files are noted in the run's
        journal before they are staged, and the journal goes once the last is in place,
        so a run that stops anywhere before (what was staged or renamed is removed: by
        itself, or by the next run replaying its journal after a kill) publishes nothing;
        the renames run with SIGINT and SIGTERM held off.
        """
        staged: list[tuple[Path, Path]] = []
        try:
            self._note(*(key for key, _, _ in files))
            for key, body, _ in files:
                target = self._path(key)
                staged.append((_stage_of(target), target))
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
        with signals.held():
            renamed: list[Path] = []
            try:
                for stage, target in staged:
                    stage.replace(target)
                    renamed.append(target)
                # The commit: past here the run's files are published, no longer its to
                # remove (a kill before it leaves them noted, for the next run to remove).
                if self._lock is not None and self._journal is not None:
                    self._journal.unlink(missing_ok=True)
            except OSError as exc:  # a rename in one folder: seen only on a broken disk
                for path in [stage for stage, _ in staged] + renamed:
                    path.unlink(missing_ok=True)
                if self._lock is not None and self._journal is not None:
                    self._discard(self._journal)
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
