"""Manifests: records serialised as JSON Lines, spooled to disk so memory stays flat."""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from synth.errors import OutputError

CONTENT_TYPE = "application/x-ndjson"


def dumps(record: dict[str, Any], separators: tuple[str, str] = (",", ":")) -> str:
    """One manifest line: compact unless a style says otherwise, key order kept, UTF-8."""
    return json.dumps(record, separators=separators, ensure_ascii=False)


class ManifestSpool:
    """Appends lines to temporary files, one per manifest, until the sink publishes them.

    Lines are on disk, not in memory, so a run of any length holds no more than one line.
    """

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="synth-manifests-")
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
            raise OutputError(
                f"{self._dir.name}: cannot spool the manifests ({exc.strerror}); free space "
                "in TMPDIR (or point TMPDIR elsewhere) or raise the file size limit"
            ) from None

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
