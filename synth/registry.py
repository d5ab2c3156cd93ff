"""Named extension points (painters, textures, faults, layouts), open to other installed packages.

Every kind of extension is declared the same way: a `Registry` with its entry-point group,
the class its entries are, and the package of synth's own entries. An entry has a `name`.
synth's own entries are each defined in a module of that package, which registers them with
`REGISTRY.add(entry)`; the package's `__init__` ends with `import_submodules(__name__)`, so
a new module is found without being listed anywhere, and the order is the modules' names
whichever module is imported first. Another package adds entries through the entry-point
group: the entry point names an entry, or its class (instantiated with no arguments), or a
function returning one. Entry points load on the first unknown name or listing, so a worker
process that only knows a painter's *name* still finds a plugin's painter: that is what lets
a defect kind from another package work with `--workers`, shards and dask alike.

The registries are declared here so that the layers which only need names (presets, the
CLI) ask them and never import the renderers: the package of built-ins is imported on first
use (reading a preset's painter names does not import scipy).
"""

from __future__ import annotations

import pkgutil
from collections.abc import Iterator, Mapping
from importlib import import_module
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from synth.errors import SynthError

if TYPE_CHECKING:
    from synth.imaging.defects.base import Painter
    from synth.imaging.textures.base import Texture
    from synth.output.layouts.base import OutputLayout

T = TypeVar("T")


class RegistryError(SynthError):
    """A registration that would make a name ambiguous, or a plugin that fails to load."""

    code = "registry"


def import_submodules(package: str) -> None:
    """Import every module of `package` in name order: how a package of built-in entries
    registers them all (each module registers its own)."""
    for module in sorted(pkgutil.iter_modules(import_module(package).__path__)):
        import_module(f"{package}.{module.name}")


class Registry(Mapping[str, T], Generic[T]):
    """A name -> entry mapping that rejects duplicates and loads its entry points lazily.

    `entry_type` is the class of the entries, as "module:Class" so that declaring a registry
    imports nothing; `built_in` is the package of synth's own entries, imported before the
    first lookup or listing.
    """

    def __init__(self, group: str, kind: str, entry_type: str, built_in: str | None) -> None:
        self.group = group
        self.kind = kind
        self.entry_type = entry_type
        self.built_in = built_in
        self._unloaded: str | None = built_in  # the built-in package, until it is imported
        self._entries: dict[str, T] = {}
        self._broken: dict[str, RegistryError] = {}  # plugins that failed to load, by name
        self._loaded = False

    def entry_class(self) -> type[T]:
        module, name = self.entry_type.split(":")
        cls: type[T] = getattr(import_module(module), name)
        return cls

    def load_built_in(self) -> None:
        """Import the package of synth's own entries, once (its modules call `add`)."""
        # Cleared first: the package's own registrations come back here.
        package, self._unloaded = self._unloaded, None
        if package is not None:
            import_module(package)

    def add(self, *entries: T) -> None:
        """Register each entry under its own name."""
        for entry in entries:
            self.register(getattr(entry, "name", ""), entry)

    def register(self, name: str, entry: T) -> T:
        """Register `entry` as `name`, which must be the entry's own name."""
        self.load_built_in()
        wanted = self.entry_class()
        if not isinstance(entry, wanted):
            raise RegistryError(
                f"{self.kind} {name!r} is a {type(entry).__name__}, not a {wanted.__name__}"
            )
        if name != getattr(entry, "name", None):
            raise RegistryError(
                f"{self.kind} {getattr(entry, 'name', None)!r} is registered as {name!r}"
            )
        if name in self._entries:
            raise RegistryError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = entry
        return entry

    def coerce(self, loaded: Any) -> T:
        """What an entry point names, as an entry: the entry, its class, or a function
        returning it."""
        wanted = self.entry_class()
        if isinstance(loaded, wanted):
            return loaded
        if callable(loaded):
            made = loaded()
            if isinstance(made, wanted):
                return made
        raise RegistryError(
            f"{loaded!r} is not a {wanted.__name__}, its class, or a function returning one"
        )

    def get_entry(self, name: str) -> T:
        """The entry called `name`; unknown names raise an error listing the known ones."""
        self.load_built_in()
        if name not in self._entries:
            self.load_entry_points()
        if name in self._broken:  # asked for by name: now its failure is the caller's
            raise self._broken[name]
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(self.names())
            raise RegistryError(f"unknown {self.kind} {name!r}; known: {known}") from None

    def names(self) -> tuple[str, ...]:
        """Every name, synth's own first (by module, then as each module adds them), then
        plugins' by name."""
        self.load_entry_points()
        return tuple(self._entries)

    def load_entry_points(self) -> None:
        self.load_built_in()
        if self._loaded:
            return
        self._loaded = True
        from importlib import metadata  # email and friends: only when a registry is asked

        points = sorted(metadata.entry_points(group=self.group), key=lambda p: p.name)
        for point in points:
            if point.name in self._entries:
                continue  # an installed copy of synth's own entry, or a second load
            try:
                entry = self.coerce(point.load())
            except (Exception, SystemExit) as error:
                # A broken plugin is named, and only where it is used: the other entries,
                # and every command that does not ask for it, work on.
                self._broken[point.name] = RegistryError(
                    f"{self.kind} {point.name!r} from {point.value!r} failed to load: {error}"
                )
                continue
            self.register(point.name, entry)

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


# The registries of the imaging stage; faults' are in synth.faults.registry, declared alike.
# Another kind (output layouts, say) is declared the same way: its group, its kind, its entry
# class, and the package whose modules each end with `REGISTRY.add(entry)` and whose
# __init__ ends with `import_submodules(__name__)`; docs/extending.md lists every kind.
PAINTERS: Registry[Painter] = Registry(
    "synth.painters", "painter", "synth.imaging.defects.base:Painter", "synth.imaging.defects"
)
TEXTURES: Registry[Texture] = Registry(
    "synth.textures", "texture", "synth.imaging.textures.base:Texture", "synth.imaging.textures"
)
# The output stage's: how a dataset is laid out (lfv, mvtec, coco).
LAYOUTS: Registry[OutputLayout] = Registry(
    "synth.layouts", "layout", "synth.output.layouts.base:OutputLayout", "synth.output.layouts"
)
