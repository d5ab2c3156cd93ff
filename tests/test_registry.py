"""The registries: declared in synth.registry, filled by their built-in module on first use."""

from __future__ import annotations

import subprocess
import sys
from importlib import import_module
from pathlib import Path

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


def test_preset_layer_imports_no_renderer_until_a_painter_is_asked_for() -> None:
    """A fresh interpreter: the preset module knows names only; asking PAINTERS loads them."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["[]", "True", "True"], done.stdout


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
def lazy_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Registry[int]:
    """A registry whose built-in module registers 'a' and 'b' and records its import."""
    (tmp_path / "lazy_target.py").write_text(
        "from synth.registry import Registry\n"
        "REG = Registry('synth.no-such-group', 'thing', built_in='lazy_entries')\n"
    )
    (tmp_path / "lazy_entries.py").write_text(
        "from lazy_target import REG\nREG.register('a', 1)\nREG.register('b', 2)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("lazy_target", "lazy_entries"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    registry: Registry[int] = import_module("lazy_target").REG
    return registry


def test_built_in_module_is_imported_on_first_use_only(lazy_registry: Registry[int]) -> None:
    assert "lazy_entries" not in sys.modules
    assert "a" in lazy_registry
    assert "lazy_entries" in sys.modules
    assert tuple(lazy_registry) == ("a", "b")


def test_registering_a_built_in_name_again_is_refused(lazy_registry: Registry[int]) -> None:
    # The built-in module runs first, so the clash is found even on the very first call.
    with pytest.raises(RegistryError, match="thing 'a' is registered twice"):
        lazy_registry.register("a", 3)


def test_unknown_name_is_one_line_listing_the_known(lazy_registry: Registry[int]) -> None:
    with pytest.raises(RegistryError) as error:
        lazy_registry.get_entry("c")
    assert str(error.value) == "unknown thing 'c'; known: a, b"
