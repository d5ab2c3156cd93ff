"""What `pip install synth-lfv` gets: the wheel's name, files, entry points and extras,
and a clear line, not a traceback, when a feature's extra is missing."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run(
        [*pip, "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("*.whl")
    return zipfile.ZipFile(built)


def _member(wheel: zipfile.ZipFile, suffix: str) -> str:
    (name,) = (n for n in wheel.namelist() if n.endswith(suffix))
    return wheel.read(name).decode()


@pytest.mark.slow
def test_the_wheel_is_synth_lfv_with_the_import_package_synth(wheel: zipfile.ZipFile) -> None:
    meta = Parser().parsestr(_member(wheel, ".dist-info/METADATA"))
    assert meta["Name"] == "synth-lfv"
    assert set(meta.get_all("Provides-Extra") or []) >= {"testing", "mock", "dask"}
    unconditional = [r for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r]
    assert not [r for r in unconditional if r.startswith(("moto", "hypothesis", "dask"))]
    entry_points = _member(wheel, ".dist-info/entry_points.txt")
    assert "synth = synth.entry:main" in entry_points
    assert "synth = synth.testing.pytest_plugin" in entry_points


@pytest.mark.slow
def test_the_wheel_ships_every_module_the_presets_and_py_typed(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "synth").rglob("*.py")}
    assert modules <= names
    assert "synth/py.typed" in names
    presets = {f"synth/presets/{p.name}" for p in (ROOT / "presets").glob("*.toml")}
    assert presets
    assert presets <= names


def _without(modules: list[str], code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter where `modules` cannot be imported."""
    block = "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in modules)
    return subprocess.run(
        [sys.executable, "-c", block + code], capture_output=True, text=True, check=False
    )


@pytest.mark.slow
def test_the_plugin_loads_without_hypothesis_or_moto() -> None:
    result = _without(["hypothesis", "moto"], "import synth.testing.pytest_plugin, synth")
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_the_strategies_name_their_extra() -> None:
    code = (
        "from synth.extras import MissingExtra\n"
        "try:\n    import synth.strategies\n"
        "except MissingExtra as error:\n    print(error)\n"
    )
    result = _without(["hypothesis"], code)
    assert result.stdout == (
        "synth.testing.strategies needs hypothesis, from the testing extra: "
        "pip install 'synth-lfv[testing]'\n"
    )


@pytest.mark.slow
def test_mock_s3_without_moto_is_one_line() -> None:
    code = (
        "import sys\nfrom synth.cli import main\n"
        "sys.argv = ['synth', 'generate', '--out', 's3://bucket/x', '--mock-s3', '-n', '1']\n"
        "main()\n"
    )
    result = _without(["moto"], code)
    assert result.returncode == 1
    assert result.stderr == (
        "Error: --mock-s3 needs moto, from the mock extra: pip install 'synth-lfv[mock]'\n"
    )
