"""End to end: generate writes a dataset whose every file is what the spec asks for."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from synth.config.preset import builtin_presets
from synth.errors import ArgumentError, OutputError
from synth.run.generate import Dataset, generate
from tests.helpers import SMALL, files_of


def _rgb(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as picture:
        return np.asarray(picture.convert("RGB"))


def _key(uri: str, bucket: str) -> str:
    prefix = f"s3://{bucket}/"
    assert uri.startswith(prefix)
    return uri.removeprefix(prefix)


def test_layout_is_a_bucket_root(mixed_dataset: Dataset) -> None:
    root = Path(mixed_dataset.location)
    names = set(files_of(root))
    assert {"dataset.json", "train.manifest"} <= names
    assert {f"images/{i:06d}.png" for i in range(SMALL["count"])} <= names
    assert {f"masks/{i:06d}.png" for i in range(SMALL["count"])} <= names
    assert set(mixed_dataset.object_keys()) == {
        n for n in names if n.startswith(("images/", "masks/"))
    }


def test_every_line_references_matching_image_and_mask(mixed_dataset: Dataset) -> None:
    root = Path(mixed_dataset.location)
    seen = 0
    for split in mixed_dataset.splits:
        for record in mixed_dataset.records(split):
            seen += 1
            image = _rgb((root / _key(record["source-ref"], mixed_dataset.bucket)).read_bytes())
            mask = _rgb(
                (root / _key(record["anomaly-mask-ref"], mixed_dataset.bucket)).read_bytes()
            )
            assert image.shape == mask.shape == (SMALL["height"], SMALL["width"], 3)
            color_map = record["anomaly-mask-ref-metadata"]["internal-color-map"]
            allowed = {tuple(bytes.fromhex(e["hex-color"][1:])) for e in color_map.values()}
            present = {tuple(c) for c in np.unique(mask.reshape(-1, 3), axis=0)}
            assert present <= allowed
            has_defect = present != {(255, 255, 255)}
            label = record["anomaly-label-metadata"]["class-name"]
            assert has_defect == (label == "anomaly")
            assert record["anomaly-label"] == int(label == "anomaly")
    assert seen == SMALL["count"]


def test_manifest_lines_follow_the_spec_example(mixed_dataset: Dataset) -> None:
    record = mixed_dataset.records()[0]
    assert list(record) == [
        "source-ref",
        "anomaly-label",
        "anomaly-label-metadata",
        "anomaly-mask-ref",
        "anomaly-mask-ref-metadata",
    ]
    meta = record["anomaly-label-metadata"]
    assert meta["type"] == "groundtruth/image-classification"
    assert meta["human-annotated"] == "yes"
    assert meta["job-name"].startswith("labeling-job/")
    mask_meta = record["anomaly-mask-ref-metadata"]
    assert mask_meta["type"] == "groundtruth/semantic-segmentation"
    assert mask_meta["internal-color-map"] == {
        "0": {"class-name": "BACKGROUND", "hex-color": "#ffffff", "confidence": 0.0},
        "1": {"class-name": "scratch", "hex-color": "#2ca02c", "confidence": 0.0},
        "2": {"class-name": "dent", "hex-color": "#1f77b4", "confidence": 0.0},
    }
    raw = mixed_dataset.lines()[0]
    assert '"confidence":0.0' in raw
    assert " " not in raw.split('"job-name"')[0]


def test_dataset_json_records_how_to_regenerate(mixed_dataset: Dataset) -> None:
    description = json.loads((Path(mixed_dataset.location) / "dataset.json").read_text())
    assert description["seed"] == 3
    assert description["preset"]["name"] == "mixed"
    assert description["count"] == SMALL["count"]
    assert {"numpy", "scipy", "pillow", "deflate", "faker"} <= set(description["libraries"])
    total = sum(sum(c.values()) for c in description["counts"].values())
    assert total == SMALL["count"]


# Imported by a run without deciding a byte: synth itself (dataset.json's generator), its
# progress bars, what the interpreter's site hooks and Faker's providers pull in, and
# orjson, which only parses (the validator's line reader; manifests are written by json).
BYTE_NEUTRAL = {"synth-lfv", "tqdm", "setuptools", "charset-normalizer", "orjson"}
_IMPORTED_BY_A_RUN = """
import json, sys
from importlib import metadata
from synth.run.generate import generate
generate("mixed", out=sys.argv[1], seed=1, count=4, width=64, height=64, broken_fraction=1)
found = metadata.packages_distributions()
print(json.dumps(sorted({d for m in list(sys.modules) for d in found.get(m.split(".")[0], [])})))
"""


@pytest.mark.slow
def test_dataset_json_records_every_library_a_run_imports(tmp_path: Path) -> None:
    """A run in a fresh interpreter: every third-party distribution it imported, but for
    those that decide no byte, has its version in dataset.json."""
    ran = subprocess.run(
        [sys.executable, "-c", _IMPORTED_BY_A_RUN, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {name.lower() for name in json.loads(ran.stdout)} - BYTE_NEUTRAL
    recorded = json.loads((tmp_path / "dataset.json").read_text())["libraries"]
    assert imported <= set(recorded), imported - set(recorded)


# The one test of "the same bytes whatever the workers" (shards merged: test_shards.py,
# test_layouts.py; dask: test_dask.py): every preset's painters and textures, with broken
# manifests and their objects; the mixed preset in a mix of styles (one whose keys carry
# each mask's creation time, ground-truth, and the chained one's jobs) and in the mvtec
# layout (files in folders by label, no manifest), so no style or layout has a check of
# its own.
_MIX = "console+ground-truth+ground-truth-chained"


@pytest.mark.parametrize(
    ("preset", "style", "layout"),
    [(name, "synth", "lfv") for name in sorted(builtin_presets()) if name != "mixed"]
    + [("mixed", _MIX, "lfv"), ("mixed", None, "mvtec")],
)
def test_same_seed_same_bytes_whatever_the_worker_count(
    preset: str, style: str | None, layout: str, tmp_path: Path
) -> None:
    options = {"seed": 11, "count": 5, "width": 64, "height": 72, "layout": layout}
    if style is not None:  # a manifest's: with broken lines
        options |= {"style": style, "broken_fraction": 0.5}
    one = generate(preset, out=tmp_path / "one", **options)
    two = generate(preset, out=tmp_path / "two", workers=2, **options)
    assert files_of(Path(one.location)) == files_of(Path(two.location))


def test_image_i_does_not_depend_on_the_count(tmp_path: Path) -> None:
    few = generate("mixed", out=tmp_path / "few", seed=5, count=3, width=64, height=64)
    many = generate("mixed", out=tmp_path / "many", seed=5, count=6, width=64, height=64)
    few_files, many_files = files_of(Path(few.location)), files_of(Path(many.location))
    for key in few.object_keys():
        assert few_files[key] == many_files[key]


def test_different_seeds_differ(tmp_path: Path) -> None:
    a = generate("dents", out=tmp_path / "a", seed=1, count=2, width=64, height=64)
    b = generate("dents", out=tmp_path / "b", seed=2, count=2, width=64, height=64)
    assert (
        files_of(Path(a.location))["images/000000.png"]
        != files_of(Path(b.location))["images/000000.png"]
    )


def test_normal_only_has_no_anomaly_pixels(tmp_path: Path) -> None:
    dataset = generate("normal-only", out=tmp_path, seed=0, count=4, width=64, height=64)
    for record in dataset.records():
        assert record["anomaly-label-metadata"]["class-name"] == "normal"
        mask = _rgb((tmp_path / _key(record["anomaly-mask-ref"], dataset.bucket)).read_bytes())
        assert (mask == 255).all()


def test_custom_attribute_names_and_bucket(tmp_path: Path) -> None:
    preset = {
        "image": {"width": 64, "height": 64, "textures": ["painted"]},
        "dataset": {
            "count": 2,
            "anomaly_fraction": 1.0,
            "bucket": "my-bucket",
            "label_attribute": "defect",
            "mask_attribute": "defect-mask-ref",
        },
        "classes": [{"name": "dent", "color": "#1F77B4", "painter": "dent"}],
    }
    record = generate(preset, out=tmp_path).records()[0]
    assert set(record) == {
        "source-ref",
        "defect",
        "defect-metadata",
        "defect-mask-ref",
        "defect-mask-ref-metadata",
    }
    assert record["source-ref"].startswith("s3://my-bucket/images/")


def test_non_empty_output_needs_overwrite(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(OutputError, match="not empty; pass overwrite=True"):
        generate("dents", out=tmp_path, count=1, width=64, height=64)
    assert not (tmp_path / "train.manifest").exists()
    generate("dents", out=tmp_path, count=1, width=64, height=64, overwrite=True)
    assert (tmp_path / "train.manifest").exists()


def test_bad_override_names_the_option(tmp_path: Path) -> None:
    """As the caller passed it (width=), not as the preset key (image.width) it lands in."""
    with pytest.raises(ArgumentError, match=r"^width: must be between 64 and 4096"):
        generate("dents", out=tmp_path, count=1, width=8, height=64)
    assert not any(tmp_path.iterdir())


def test_manifest_is_written_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from synth.output import folder

    real_put = folder.FolderSink.put
    calls = 0

    def failing_put(self: folder.FolderSink, key: str, data: bytes, content_type: str) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OutputError(f"{key}: disk full")
        real_put(self, key, data, content_type)

    monkeypatch.setattr(folder.FolderSink, "put", failing_put)
    with pytest.raises(OutputError, match="disk full"):
        generate("dents", out=tmp_path, count=4, width=64, height=64)
    assert not list(tmp_path.glob("*.manifest"))


def test_a_worker_that_cannot_write_stops_the_run_with_its_error(tmp_path: Path) -> None:
    """Workers write a folder's objects themselves; a failure comes back as the run's own."""
    (tmp_path / "images" / "000003.png").mkdir(parents=True)  # a folder where a file goes
    with pytest.raises(OutputError, match=r"000003\.png: cannot write \(Is a directory\)"):
        generate("dents", out=tmp_path, count=6, width=64, height=64, workers=2, overwrite=True)
    assert not list(tmp_path.glob("*.manifest"))
    assert not (tmp_path / "dataset.json").exists()


@pytest.mark.parametrize("preset", sorted(builtin_presets()))
def test_every_preset_validates_clean_with_objects(preset: str, tmp_path: Path) -> None:
    from synth.validate import validate_manifest

    dataset = generate(preset, out=tmp_path, seed=4, count=6, width=64, height=64)
    for split in dataset.splits:
        assert validate_manifest(tmp_path / dataset.manifest_key(split), objects=tmp_path) == []


def test_base_dir_paints_on_users_images(tmp_path: Path) -> None:
    from synth.errors import InputError

    bases = tmp_path / "bases"
    bases.mkdir()
    Image.fromarray(np.full((120, 150, 3), (200, 30, 30), np.uint8)).save(bases / "red.png")
    dataset = generate("dents", out=tmp_path / "out", count=4, width=64, height=64, base_dir=bases)
    labels = set()
    for split in dataset.splits:
        for record in dataset.records(split):
            image, mask = (
                _rgb((tmp_path / "out" / _key(record[key], dataset.bucket)).read_bytes())
                for key in ("source-ref", "anomaly-mask-ref")
            )
            # The user's pixels as they were, but where a defect is (none on a normal image).
            background = (mask == 255).all(axis=-1)
            assert (image[background] == (200, 30, 30)).all()
            assert background.all() == (record["anomaly-label"] == 0)
            labels.add(record["anomaly-label"])
    assert labels == {0, 1}
    (bases / "zz-corrupt.png").write_bytes(b"nope")
    with pytest.raises(InputError, match=r"zz-corrupt\.png: not an image"):
        generate(
            "dents", out=tmp_path / "o2", count=6, width=64, height=64, base_dir=bases, workers=2
        )
    assert not (tmp_path / "o2" / "train.manifest").exists()


def test_the_typed_options_are_the_run_and_override_fields() -> None:
    """generate()'s keywords, typed for mypy, are every field a run takes: none missing
    (mypy would refuse a real option), none extra (the run would refuse a typed one)."""
    from dataclasses import fields

    from synth.run.config import Options, Overrides, RunConfig

    run = {f.name for f in fields(RunConfig)} - {"preset"}
    assert Options.__optional_keys__ == run | {f.name for f in fields(Overrides)}
    assert not Options.__required_keys__
