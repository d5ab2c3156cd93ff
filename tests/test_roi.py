"""Regions of interest: with --base-dir, a mask per base image keeps defects on the part."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from scipy import ndimage

from synth.cli import cli
from synth.errors import SynthError
from synth.run.generate import generate
from tests.helpers import files_of

PART, BACKGROUND = (200, 40, 40), (30, 60, 200)


def _rgb(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as picture:
        return np.asarray(picture.convert("RGB"))


def _photo(folder: Path, name: str = "part") -> np.ndarray:
    """A photo of a red disc (the part) on blue (the background), and the disc as a mask."""
    folder.mkdir(exist_ok=True)
    ys, xs = np.mgrid[:150, :180]
    disc = (ys - 75) ** 2 + (xs - 95) ** 2 < 55**2
    photo = np.where(disc[..., None], PART, BACKGROUND).astype(np.uint8)
    Image.fromarray(photo).save(folder / f"{name}.png")
    return disc


def _save_mask(mask: np.ndarray, path: Path) -> None:
    Image.fromarray((mask * 255).astype(np.uint8)).save(path)


def _check_inside(root: Path) -> int:
    """Each anomalous image's defects lie on the part, judged by its clean twin's colours:
    its mask holds only part pixels, and the image differs from the twin only there."""
    files, seen = files_of(root), 0
    for name in files:
        if not name.startswith("clean/"):
            continue
        seen += 1
        key = name.removeprefix("clean/")
        twin, image = _rgb(files[name]), _rgb(files[key])
        labels = (_rgb(files[key.replace("images/", "masks/")]) != 255).any(axis=2)
        # The photo is resized smoothly and its mask to the nearest pixel: the part's
        # edge may blend over a pixel or two.
        on_part = ndimage.binary_dilation(np.abs(twin.astype(int) - PART).max(axis=2) < 40, None, 2)
        assert labels.any()
        assert not (labels & ~on_part).any(), f"{key}: a defect off the part"
        assert not ((image != twin).any(axis=2) & ~labels).any()
    return seen


def test_a_region_beside_each_image_keeps_the_defects_on_the_part(tmp_path: Path) -> None:
    bases = tmp_path / "bases"
    _save_mask(_photo(bases), bases / "part.roi.png")
    dataset = generate(
        "showcase", out=tmp_path / "d", count=16, width=96, height=80, seed=5,
        base_dir=bases, clean_twins=True, anomaly_fraction=1.0,
    )  # fmt: skip
    assert _check_inside(Path(dataset.location)) == 16


def test_a_folder_of_regions(tmp_path: Path) -> None:
    bases, regions = tmp_path / "bases", tmp_path / "regions"
    regions.mkdir()
    _save_mask(_photo(bases), regions / "part.png")
    result = CliRunner().invoke(
        cli,
        [
            "generate", "-p", "scratches", "-o", str(tmp_path / "d"), "-n", "8",
            "--size", "72", "--base-dir", str(bases), "--roi-dir", str(regions),
            "--clean-twins", "--anomaly-fraction", "1",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _check_inside(tmp_path / "d") == 8


def test_without_a_region_the_bytes_are_as_before(tmp_path: Path) -> None:
    """A region of another image, or a folder without this one's, changes nothing."""
    bases, regions = tmp_path / "bases", tmp_path / "regions"
    _photo(bases)
    regions.mkdir()
    _save_mask(np.ones((10, 10), bool), regions / "other.png")
    options = {"count": 6, "width": 64, "height": 64, "seed": 2, "base_dir": bases}
    plain = files_of(Path(generate("mixed", out=tmp_path / "a", **options).location))
    other = generate("mixed", out=tmp_path / "b", roi_dir=regions, **options)
    with_folder = files_of(Path(other.location))
    assert {k: v for k, v in plain.items() if k != "dataset.json"} == {
        k: v for k, v in with_folder.items() if k != "dataset.json"
    }
    # a mask beside the image is no base image of its own
    _save_mask(np.ones((150, 180), bool), bases / "part.roi.png")
    whole = files_of(Path(generate("mixed", out=tmp_path / "c", **options).location))
    assert whole.keys() == plain.keys()


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (np.ones((20, 30), bool), r"part\.roi\.png: a region of interest of 30x20 px, but its"),
        (np.zeros((150, 180), bool), r"part\.roi\.png: no part in this region of interest"),
    ],
)
def test_a_bad_region_is_one_line_before_anything_is_written(
    tmp_path: Path, mask: np.ndarray, message: str
) -> None:
    bases = tmp_path / "bases"
    _photo(bases)
    _save_mask(mask, bases / "part.roi.png")
    with pytest.raises(SynthError, match=message):
        generate("dents", out=tmp_path / "d", count=2, width=64, height=64, base_dir=bases)
    assert not (tmp_path / "d").exists() or not any((tmp_path / "d").rglob("*.png"))


def test_regions_need_base_images(tmp_path: Path) -> None:
    with pytest.raises(SynthError, match="goes with"):
        generate("dents", out=tmp_path / "d", count=2, width=64, height=64, roi_dir=tmp_path)
