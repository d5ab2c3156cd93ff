"""The registries: declared in synth.registry, filled by their built-in module on first use."""

from __future__ import annotations

import subprocess
import sys
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest

from synth.registry import Registry, RegistryError

_PROBE = """
import sys
import synth.config.preset
from synth.registry import PAINTERS

def loaded():
    return sorted(m for m in sys.modules if m.startswith(("synth.imaging", "scipy", "skimage")))

before = loaded()
PAINTERS["scratch"]
print(before, "scratch" in PAINTERS.names(), "synth.imaging.defects.scratch" in loaded())
"""


@pytest.mark.slow
def test_preset_layer_imports_no_renderer_until_a_painter_is_asked_for() -> None:
    """A fresh interpreter: the preset module knows names only; asking PAINTERS loads them."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["[]", "True", "True"], done.stdout


@pytest.mark.slow
def test_checking_a_preset_imports_no_fault_catalogue() -> None:
    """A fresh interpreter: a preset lists fault words; the run, not the preset, checks them."""
    probe = (
        "import sys\n"
        "from synth.config.preset import load_preset\n"
        "load_preset('mixed').with_overrides(faults=('no-such-fault',))\n"
        "print(sorted(m for m in sys.modules if m.startswith('synth.faults')))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["[]"], done.stdout


@pytest.fixture
def lazy_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Registry[Any]:
    """A registry of `Thing`s whose built-in package has modules `b_module` and `a_module`,
    each adding one entry; it records when it is imported."""
    package = tmp_path / "lazy_things"
    package.mkdir()
    (tmp_path / "lazy_target.py").write_text(
        "from dataclasses import dataclass\n"
        "from synth.registry import Registry\n"
        "@dataclass(frozen=True)\n"
        "class Thing:\n"
        "    name: str\n"
        "REG = Registry('synth.no-such-group', 'thing', 'lazy_target:Thing', 'lazy_things')\n"
    )
    (package / "__init__.py").write_text(
        "from synth.registry import import_submodules\nimport_submodules(__name__)\n"
    )
    for module, name in (("b_module", "b"), ("a_module", "a")):
        (package / f"{module}.py").write_text(
            f"from lazy_target import REG, Thing\nREG.add(Thing({name!r}))\n"
        )
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("lazy_target", "lazy_things", "lazy_things.a_module", "lazy_things.b_module"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    registry: Registry[Any] = import_module("lazy_target").REG
    return registry


def test_built_in_package_is_imported_on_first_use_only(lazy_registry: Registry[Any]) -> None:
    assert "lazy_things" not in sys.modules
    assert "a" in lazy_registry
    assert "lazy_things" in sys.modules
    assert tuple(lazy_registry) == ("a", "b")  # by module name, each module found unlisted


def test_registering_a_built_in_name_again_is_refused(lazy_registry: Registry[Any]) -> None:
    # The built-in package loads first, so the clash is found even on the very first call.
    thing = import_module("lazy_target").Thing
    with pytest.raises(RegistryError, match="thing 'a' is registered twice"):
        lazy_registry.add(thing("a"))


def test_an_entry_is_of_the_registry_class_and_under_its_own_name(
    lazy_registry: Registry[Any],
) -> None:
    thing = lazy_registry.entry_class()
    with pytest.raises(RegistryError, match="thing 'c' is a str, not a Thing"):
        lazy_registry.register("c", "c")
    with pytest.raises(RegistryError, match="thing 'd' is registered as 'c'"):
        lazy_registry.register("c", thing("d"))


def test_an_entry_point_may_name_an_entry_its_class_or_a_function(
    lazy_registry: Registry[Any],
) -> None:
    thing = lazy_registry.entry_class()

    class Named(thing):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__("named")

    assert lazy_registry.coerce(thing("x")) == thing("x")
    assert lazy_registry.coerce(Named).name == "named"
    assert lazy_registry.coerce(lambda: thing("y")) == thing("y")
    with pytest.raises(RegistryError, match="is not a Thing, its class, or a function"):
        lazy_registry.coerce(lambda: "nope")


def test_unknown_name_is_one_line_listing_the_known(lazy_registry: Registry[Any]) -> None:
    with pytest.raises(RegistryError) as error:
        lazy_registry.get_entry("c")
    assert str(error.value) == "unknown thing 'c'; known: a, b"


_ORDER = """
import importlib, sys
for module in sys.argv[1:]:
    importlib.import_module(module)
from synth.registry import PAINTERS, TEXTURES
from synth.faults import CATALOGUE
print(list(PAINTERS), list(TEXTURES), list(CATALOGUE))
"""


@pytest.mark.slow
def test_built_in_order_does_not_depend_on_which_module_is_imported_first() -> None:
    """The package imports its modules in name order before any of them registers."""
    first = ("synth.imaging.defects.stain", "synth.imaging.textures.wood", "synth.faults.text")
    orders = {
        subprocess.run(
            [sys.executable, "-c", _ORDER, *modules], capture_output=True, text=True, check=True
        ).stdout
        for modules in ((), first)
    }
    assert len(orders) == 1, orders
