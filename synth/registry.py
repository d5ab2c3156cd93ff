"""Named extension points (painters, textures, faults), open to other installed packages.

A registry is declared here, so that the layers which only need names (presets, the
CLI) ask it and never import the renderers. It is filled by `register`: for synth's own
entries by the module it names, imported on first use (so reading a preset's painter
names does not import scipy); for other packages' from the entry-point group of the same
name (`synth.painters`, `synth.textures`). Entry points load on the first miss or
listing, so a worker process that only knows a painter's *name* still finds a plugin's
painter: that is what lets a defect kind from another package work with `--workers`,
shards and dask alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from importlib import import_module, metadata
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from synth.errors import SynthError

if TYPE_CHECKING:
    from synth.imaging.defects.base import Painter
    from synth.imaging.textures.base import Texture

T = TypeVar("T")


class RegistryError(SynthError):
    """A registration that would make a name ambiguous, or a plugin that fails to load."""


class Registry(Mapping[str, T], Generic[T]):
    """A name -> entry mapping that rejects duplicates and loads its entry points lazily.

    `built_in` names the module that registers synth's own entries when imported; it is
    imported before the first registration, lookup or listing. `coerce` turns what an
    entry point loads (a class, a function, an instance) into an entry, and may check it;
    it runs for entry points only, since synth's own registrations are already entries.
    A string `coerce` names a function of the `built_in` module.
    """

    def __init__(
        self,
        group: str,
        kind: str,
        coerce: Callable[[Any], T] | str | None = None,
        built_in: str | None = None,
    ) -> None:
        self.group = group
        self.kind = kind
        self._coerce = coerce
        self.built_in = built_in
        self._unloaded = built_in  # the built-in module, until it is imported
        self._entries: dict[str, T] = {}
        self._loaded = False

    def load_built_in(self) -> None:
        """Import the module of synth's own entries, once (it calls `register`)."""
        # Cleared first: the module's own `register` calls come back here.
        module, self._unloaded = self._unloaded, None
        if module is not None:
            import_module(module)

    def register(self, name: str, entry: T) -> T:
        self.load_built_in()
        if name in self._entries:
            raise RegistryError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = entry
        return entry

    def get_entry(self, name: str) -> T:
        """The entry called `name`; unknown names raise an error listing the known ones."""
        self.load_built_in()
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
        self.load_built_in()
        if self._loaded:
            return
        self._loaded = True
        coerce = self._coerce
        if isinstance(coerce, str):  # a function of the built-in module, loaded by now
            coerce = getattr(import_module(str(self.built_in)), coerce)
        for point in metadata.entry_points(group=self.group):
            if point.name in self._entries:
                continue  # an installed copy of synth's own entry, or a second load
            try:
                loaded = point.load()
            except Exception as error:  # a broken plugin is named, not a traceback
                raise RegistryError(
                    f"{self.kind} {point.name!r} from {point.value!r} failed to load: {error}"
                ) from error
            self.register(point.name, coerce(loaded) if coerce else loaded)

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


# The registries: entries are Painter instances, and textures are functions
# (height, width, rng) -> float32 (height, width, 3) in [0, 1].
PAINTERS: Registry[Painter] = Registry(
    "synth.painters", "painter", coerce="as_painter", built_in="synth.imaging.defects"
)
TEXTURES: Registry[Texture] = Registry(
    "synth.textures", "texture", built_in="synth.imaging.textures"
)
# A preset's default textures: synth's own surfaces of inspected parts (not gravel or grass).
BASE_TEXTURES: tuple[str, ...] = (
    "brushed-metal",
    "painted",
    "fabric",
    "cast-metal",
    "machined-metal",
    "plastic",
    "pcb",
    "wood",
    "leather",
    "ceramic-tile",
    "carpet",
    "brick",
)
