"""Named extension points (painters, textures, faults), open to other installed packages.

A registry is filled by `register` at import time for synth's own entries, and from the
entry-point group of the same name (`synth.painters`, `synth.textures`, `synth.faults`)
for other packages'. Entry points load on the first miss or listing, so a worker process
that only knows a painter's *name* still finds a plugin's painter: that is what lets a
defect kind from another package work with `--workers`, shards and dask alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from importlib import metadata
from typing import Any, Generic, TypeVar

from synth.errors import SynthError

T = TypeVar("T")


class RegistryError(SynthError):
    """A registration that would make a name ambiguous, or a plugin that fails to load."""


class Registry(Mapping[str, T], Generic[T]):
    """A name -> entry mapping that rejects duplicates and loads its entry points lazily.

    `coerce` turns what an entry point loads (a class, a function, an instance) into an
    entry, and may check it; it runs for entry points only, since synth's own
    registrations are already entries.
    """

    def __init__(self, group: str, kind: str, coerce: Callable[[Any], T] | None = None) -> None:
        self.group = group
        self.kind = kind
        self._coerce = coerce
        self._entries: dict[str, T] = {}
        self._loaded = False

    def register(self, name: str, entry: T) -> T:
        if name in self._entries:
            raise RegistryError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = entry
        return entry

    def get_entry(self, name: str) -> T:
        """The entry called `name`; unknown names raise an error listing the known ones."""
        if name not in self._entries:
            self.load_entry_points()
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(self.names())
            raise RegistryError(f"unknown {self.kind} {name!r}; known: {known}") from None

    def names(self) -> tuple[str, ...]:
        """Every name, synth's own first in registration order, then plugins'."""
        self.load_entry_points()
        return tuple(self._entries)

    def load_entry_points(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for point in metadata.entry_points(group=self.group):
            if point.name in self._entries:
                continue  # an installed copy of synth's own entry, or a second load
            try:
                loaded = point.load()
            except Exception as error:  # a broken plugin is named, not a traceback
                raise RegistryError(
                    f"{self.kind} {point.name!r} from {point.value!r} failed to load: {error}"
                ) from error
            self.register(point.name, self._coerce(loaded) if self._coerce else loaded)

    # Mapping: `name in registry`, `registry[name]`, iteration over names.
    def __getitem__(self, name: str) -> T:
        try:
            return self.get_entry(name)
        except RegistryError:
            raise KeyError(name) from None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())
