"""Clean twins: each anomalous image written again without its defects."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from PIL import Image

from synth.cli import cli
from synth.run.generate import generate
from tests.helpers import files_of


def _rgb(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as picture:
        return np.asarray(picture.convert("RGB"))


def test_twins_differ_from_their_images_only_inside_the_masks(tmp_path: Path) -> None:
    dataset = generate(
        "mixed", out=tmp_path / "d", count=12, width=96, height=80, seed=3, clean_twins=True
    )
    root = Path(dataset.location)
    files = files_of(root)
    twins = {name for name in files if name.startswith("clean/")}
    anomalous = 0
    for record in [line for split in dataset.splits for line in dataset.records(split)]:
        image_key = record["source-ref"].removeprefix(f"s3://{dataset.bucket}/")
        twin_key = f"clean/{image_key}"
        if record["anomaly-label"] == 0:
            assert twin_key not in files, "a normal image has no defects to take away"
            continue
        anomalous += 1
        twins.remove(twin_key)
        image, twin = _rgb(files[image_key]), _rgb(files[twin_key])
        mask_key = record["anomaly-mask-ref"].removeprefix(f"s3://{dataset.bucket}/")
        defect = (_rgb(files[mask_key]) != 255).any(axis=2)
        differs = (image != twin).any(axis=2)
        assert differs.any(), "the twin shows the defects"
        assert not (differs & ~defect).any(), "the twin differs outside the mask"
    assert anomalous > 0
    assert not twins, f"twins of no anomalous image: {sorted(twins)}"


def test_twins_are_opt_in_and_leave_the_rest_unchanged(tmp_path: Path) -> None:
    options = {"count": 6, "width": 64, "height": 64, "seed": 9}
    plain = files_of(Path(generate("dents", out=tmp_path / "plain", **options).location))
    with_twins = files_of(
        Path(generate("dents", out=tmp_path / "twins", clean_twins=True, **options).location)
    )
    assert not any(name.startswith("clean/") for name in plain)
    for name, data in plain.items():
        if name != "dataset.json":  # it records the preset, with its clean_twins
            assert with_twins[name] == data, name


def test_the_cli_writes_twins(tmp_path: Path) -> None:
    out = tmp_path / "d"
    result = CliRunner().invoke(
        cli,
        ["generate", "-p", "dents", "-o", str(out), "-n", "4", "--size", "64", "--clean-twins"],
    )
    assert result.exit_code == 0, result.output
    assert any((out / "clean" / "images").iterdir())
