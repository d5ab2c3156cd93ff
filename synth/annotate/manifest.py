"""Manifests: records serialised as JSON Lines, spooled to disk so memory stays flat."""

from __future__ import annotations

import contextlib
import errno
import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from synth.errors import OutputError
from synth.format import is_s3
from synth.processes import gone, holder, open_below

CONTENT_TYPE = "application/x-ndjson"


def dumps(record: dict[str, Any], separators: tuple[str, str] = (",", ":")) -> str:
    """One manifest line: compact unless a style says otherwise, key order kept, UTF-8."""
    return json.dumps(record, separators=separators, ensure_ascii=False)


def _spool_failed(exc: OSError, spool: Path, output: str | Path | None) -> str:
    """One line for a spool that cannot be written, naming the output the run is for.

    TMPDIR is most often on the output's disk: a full output disk then fails here first,
    and the disk to free is the output's, not some temporary folder's.
    """
    full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
    if output is None:
        where = f"{spool}: cannot spool the manifests ({exc.strerror})"
    elif full and _same_disk(spool, output):
        return (
            f"{output}: no space left on the output's disk ({exc.strerror}), where TMPDIR "
            "spools the manifests too; free space on it or write elsewhere; nothing was published"
        )
    else:
        where = f"{output}: cannot spool its manifests in TMPDIR ({spool}: {exc.strerror})"
    if full:
        return f"{where}; free space there or point TMPDIR elsewhere; nothing was published"
    if exc.errno == errno.EFBIG:
        return f"{where}; raise the file size limit (ulimit -f); nothing was published"
    return f"{where}; point TMPDIR elsewhere; nothing was published"


def _same_disk(spool: Path, output: str | Path) -> bool:
    """Whether the spool is on the file system of a local output (or its nearest parent)."""
    if is_s3(output):
        return False
    place = Path(output).absolute()
    while not place.exists() and place != place.parent:
        place = place.parent
    try:
        return spool.stat().st_dev == place.stat().st_dev
    except OSError:
        return False


_SPOOL = "synth-manifests-"


def _spool_prefix() -> str:
    """A spool's name names its holder (`synth-manifests-HOST-PID-` and tempfile's random
    letters, which hold no `-`), so a later run can tell when it was left by a dead run."""
    host, pid = holder()
    return f"{_SPOOL}{host}-{pid}-"


def sweep_spools(folder: Path | None = None) -> None:
    """Remove the spools in `folder` (the temporary folder, TMPDIR) that runs killed with
    SIGKILL left (nothing runs at
    SIGKILL to remove them): those naming a process of this host that is gone, zombies
    included (synth.processes, as for a claim); and those of an older synth, which named
    no run (`synth-manifests-` and tempfile's random letters), once idle for
    `OLD_SPOOL_IDLE_SECONDS` with no file of theirs open in any process. Any other is
    left alone. Every run and merge sweeps as it starts, whether or not it goes on to
    spool anything (refused, or finishing a killed merge)."""
    if folder is None:
        try:
            folder = Path(tempfile.gettempdir())
        except OSError:  # no writable temporary folder: the run says so where it needs one
            return
    for spool in folder.glob(f"{_SPOOL}*"):
        name = spool.name.removeprefix(_SPOOL)
        named = name.rsplit("-", 2)
        if len(named) == 3 and named[1].isdigit():
            dead = gone(named[0], int(named[1]))
        else:
            dead = "-" not in name and _idle(spool) and open_below(spool) is False
        if dead:
            shutil.rmtree(spool, ignore_errors=True)


# A spool of an older synth is a leftover once idle this long: a run appends to its
# files as its images come, and a dask run waits a day at most for a worker.
OLD_SPOOL_IDLE_SECONDS = 2 * 86400.0


def _idle(spool: Path) -> bool:
    """Whether nothing in a spool (nor the spool itself) changed for OLD_SPOOL_IDLE_SECONDS."""
    try:
        changed = max(path.stat().st_mtime for path in [spool, *spool.rglob("*")])
    except OSError:
        return False
    return time.time() - changed > OLD_SPOOL_IDLE_SECONDS


class ManifestSpool:
    """Appends lines to temporary files, one per manifest, until the sink publishes them.

    Lines are on disk, not in memory, so a run of any length holds no more than one line.
    """

    def __init__(self, output: str | Path | None = None) -> None:
        """`output`: where the lines will be published (a folder, an s3:// location),
        which a failure to spool them names: it is what the user asked for."""
        self._dir = tempfile.TemporaryDirectory(prefix=_spool_prefix())
        self._output = output
        self._files: dict[str, IO[str]] = {}
        self.counts: dict[str, int] = {}

    def append(self, name: str, line: str) -> None:
        with self._spooling():
            self._append(name, line)

    @contextlib.contextmanager
    def _spooling(self) -> Iterator[None]:
        try:
            yield
        except OSError as exc:  # TMPDIR full, `ulimit -f` reached
            raise OutputError(_spool_failed(exc, Path(self._dir.name), self._output)) from None

    def touch(self, name: str) -> None:
        """File `name`, published even if no line comes (an empty defects.jsonl)."""
        with self._spooling():
            self._open(name)

    def _append(self, name: str, line: str) -> None:
        self._open(name)
        self._files[name].write(line + "\n")
        self.counts[name] += 1

    def _open(self, name: str) -> None:
        if name not in self._files:
            # surrogateescape writes back the raw bytes of a deliberately non-UTF-8 line.
            path = Path(self._dir.name) / name.replace("/", "__")
            self._files[name] = path.open(
                "w", encoding="utf-8", errors="surrogateescape", newline="\n"
            )
            self.counts[name] = 0

    def finish(self) -> dict[str, Path]:
        """Close every file; name -> path of its complete content."""
        with self._spooling():
            for handle in self._files.values():
                handle.close()
        return {name: Path(handle.name) for name, handle in self._files.items()}

    def __enter__(self) -> ManifestSpool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for handle in self._files.values():
            with contextlib.suppress(OSError):  # already reported, or the run failed anyway
                handle.close()
        self._dir.cleanup()
