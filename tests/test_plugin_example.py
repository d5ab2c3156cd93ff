"""The example plugin: an installed package adds a painter that presets, listings and workers see.

The plugin is installed as pip would lay it out, a `.dist-info` with the entry points
declared in its own pyproject.toml, on the path of fresh `synth` processes. Generating
with two workers proves that worker processes resolve the painter by name alone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers import files_of

# Fresh synth processes with the plugin installed: the slower tier.
pytestmark = pytest.mark.slow

PLUGIN = Path(__file__).parents[1] / "examples" / "synth-plugin-bubbles"


def _install(site: Path) -> None:
    """Lay the plugin out in `site` as an installed distribution: package + dist-info."""
    project = tomllib.loads((PLUGIN / "pyproject.toml").read_text())["project"]
    shutil.copytree(PLUGIN / "synth_bubbles", site / "synth_bubbles")
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    groups = project["entry-points"]
    (info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in points.items())
            for group, points in groups.items()
        )
    )


def _synth(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-m", "synth", *args], capture_output=True, text=True, env=env, check=False
    )


def test_installed_plugin_paints_in_workers(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    _install(site)
    listing = _synth(site, "painters")
    assert listing.returncode == 0, listing.stderr
    assert "bubble: A blister" in listing.stdout

    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"out-{workers}"
        args = ["generate", "-p", str(PLUGIN / "bubbles.toml"), "-o", str(out), "-s", "4"]
        result = _synth(site, *args, "--workers", workers)
        assert result.returncode == 0, result.stderr
        outputs.append(out)
    assert files_of(outputs[0]) == files_of(outputs[1])

    lines = [json.loads(line) for line in (outputs[1] / "train.manifest").read_text().splitlines()]
    anomalous = [line for line in lines if line["anomaly-label"] == 1]
    assert anomalous
    for line in anomalous:
        key = line["anomaly-mask-ref"].removeprefix("s3://synth-dataset/")
        color_map = line["anomaly-mask-ref-metadata"]["internal-color-map"]
        assert color_map["1"]["class-name"] == "blister"
        with Image.open(outputs[1] / key) as mask:
            rgb = np.asarray(mask.convert("RGB"))
        blister = np.all(rgb == (0xD6, 0x27, 0x28), axis=-1)
        assert blister.any(), f"{key}: no blister pixels"


def test_without_the_plugin_the_painter_is_unknown(tmp_path: Path) -> None:
    result = _synth(tmp_path, "generate", "-p", str(PLUGIN / "bubbles.toml"), "-o", str(tmp_path))
    assert result.returncode == 1
    assert "unknown painter 'bubble'" in result.stderr
    assert "Traceback" not in result.stderr
