"""Output layouts: the MVTec AD tree and COCO, read back as their own readers read them.

The MVTec masks and the COCO annotations are checked against the color masks the lfv
layout writes for the same seed: one render, three layouts, the same pixels.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from pycocotools import mask as coco_mask
from pycocotools.coco import COCO

from synth.cli import cli
from synth.config.preset import builtin_presets, load_preset
from synth.errors import ArgumentError
from synth.faults import TREE_FAULTS
from synth.imaging.defects import PAINTERS
from synth.output.layout import Shard
from synth.output.layouts.coco import rle_counts, rle_string
from synth.plan import image_spec
from synth.run.generate import generate
from synth.run.merge import merge
from tests.helpers import files_of

# pycocotools 2.0.11 decodes through a numpy 1 idiom numpy 2 warns about.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
# Several classes an image (mixed), a test split, both kinds of image.
OPTIONS = {"count": 14, "width": 72, "height": 64, "seed": 11, "test_fraction": 0.3}
MIXED = load_preset("mixed")


@pytest.fixture(scope="module")
def lfv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lfv")
    generate("mixed", out=out, **OPTIONS)
    return out


@pytest.fixture(scope="module")
def mvtec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mvtec")
    generate("mixed", out=out, layout="mvtec", **OPTIONS)
    return out


@pytest.fixture(scope="module")
def coco(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("coco")
    generate("mixed", out=out, layout="coco", **OPTIONS)
    return out


def _labels(lfv: Path, index: int) -> np.ndarray:
    """The class mask of image `index`, as the lfv layout wrote it: 0 background, i class i."""
    records = [
        json.loads(line)
        for split in ("train", "test")
        for line in (lfv / f"{split}.manifest").read_text().splitlines()
    ]
    (line,) = [r for r in records if r["source-ref"].endswith(f"/images/{index:06d}.png")]
    if "anomaly-mask-ref" not in line:
        return np.zeros((OPTIONS["height"], OPTIONS["width"]), np.uint8)
    key = line["anomaly-mask-ref"].split("/", 3)[3]
    rgb = np.asarray(Image.open(lfv / key).convert("RGB")).astype(np.int32)
    packed = rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2]
    labels = np.zeros(packed.shape, np.uint8)
    for label, entry in enumerate(MIXED.classes, 1):
        labels[packed == int(entry.color[1:], 16)] = label
    return labels


def _gray(path: Path) -> np.ndarray:
    with Image.open(path) as opened:
        assert opened.mode == "L"
        return np.asarray(opened)


# ---- MVTec AD --------------------------------------------------------------------------


def test_mvtec_tree_places_every_image_by_its_label_and_classes(mvtec: Path, lfv: Path) -> None:
    preset = MIXED.with_overrides(**{k: v for k, v in OPTIONS.items() if k != "seed"})
    tree = mvtec / "mixed"  # the category: the preset's name
    found = {p.relative_to(tree).as_posix() for p in tree.rglob("*.png")}
    expected = set()
    for index in range(OPTIONS["count"]):
        spec = image_spec(preset, OPTIONS["seed"], index)
        labels = _labels(lfv, index)
        held = sorted({MIXED.classes[v - 1].name for v in np.unique(labels) if v})
        name = f"{index:06d}"
        if not spec.anomalous:
            assert not held
            expected.add(f"{spec.split}/good/{name}.png")  # good keeps its split
            continue
        kind = held[0] if len(held) == 1 else "combined"
        expected |= {f"test/{kind}/{name}.png", f"ground_truth/{kind}/{name}_mask.png"}
    assert found == expected
    assert {p.name for p in (tree / "train").iterdir()} == {"good"}  # trains on good only
    kinds = {p.name for p in (tree / "test").iterdir()}
    # Normal test images, each class alone, and both: every folder MVTec AD's test split has.
    assert kinds == {"good", "combined"} | {c.name for c in MIXED.classes}


def test_mvtec_masks_are_binary_and_mark_exactly_the_defects(mvtec: Path, lfv: Path) -> None:
    masks = sorted((mvtec / "mixed" / "ground_truth").rglob("*_mask.png"))
    assert masks
    for mask_path in masks:
        mask = _gray(mask_path)
        assert set(np.unique(mask).tolist()) == {0, 255}
        index = int(mask_path.name.removesuffix("_mask.png"))
        np.testing.assert_array_equal(mask == 255, _labels(lfv, index) > 0)
        image = mvtec / "mixed" / "test" / mask_path.parent.name / f"{index:06d}.png"
        assert Image.open(image).size == (OPTIONS["width"], OPTIONS["height"])


def test_mvtec_images_are_the_lfv_images(mvtec: Path, lfv: Path) -> None:
    by_name = {p.name: p.read_bytes() for p in (lfv / "images").iterdir()}
    tree = [p for p in mvtec.rglob("*.png") if "ground_truth" not in p.parts]
    assert len(tree) == OPTIONS["count"]
    for image in tree:
        assert image.read_bytes() == by_name[image.name]


def test_mvtec_counts_and_description(mvtec: Path) -> None:
    described = json.loads((mvtec / "dataset.json").read_text())
    assert described["preset"]["dataset"]["layout"] == "mvtec"
    assert "manifests" not in described
    counts = Counter()
    for image in (mvtec / "mixed").rglob("*.png"):
        if image.parts[-3] in ("train", "test"):
            counts["normal" if image.parent.name == "good" else "anomaly"] += 1
    totals = Counter()
    for split in described["counts"].values():
        totals.update(split)
    assert counts == totals
    assert not list(mvtec.glob("*.manifest"))


@pytest.mark.parametrize("shards", [1, 3])
def test_mvtec_shards_give_the_same_bytes(shards: int, mvtec: Path, tmp_path: Path) -> None:
    """Whatever the workers: the mvtec layout is one case of test_generate's
    test_same_seed_same_bytes_whatever_the_worker_count."""
    for index in range(shards):
        generate("mixed", out=tmp_path, layout="mvtec", shard=Shard(index, shards), **OPTIONS)
    merge(tmp_path)
    assert files_of(tmp_path) == files_of(mvtec)


def test_coco_shards_merge_into_the_annotations_of_one_run(coco: Path, tmp_path: Path) -> None:
    for index in (1, 0):
        generate("mixed", out=tmp_path, layout="coco", shard=Shard(index, 2), **OPTIONS)
    assert not (tmp_path / "annotations").exists()  # published by the merge only
    merge(tmp_path)
    assert files_of(tmp_path) == files_of(coco)


def test_mvtec_to_s3_holds_the_folder_bytes(mvtec: Path, mocked: Any) -> None:
    s3 = mocked
    s3.create_bucket(Bucket="trees")
    generate("mixed", out="s3://trees/cat", layout="mvtec", **OPTIONS)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket="trees", Prefix="cat/")
    keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
    got = {
        k.removeprefix("cat/"): s3.get_object(Bucket="trees", Key=k)["Body"].read() for k in keys
    }
    assert got == files_of(mvtec)


def test_a_preset_names_its_layout(tmp_path: Path) -> None:
    preset = tmp_path / "tree.toml"
    text = (Path(__file__).parent.parent / "presets" / "dents.toml").read_text()
    preset.write_text(text.replace("[dataset]", '[dataset]\nlayout = "mvtec"', 1))
    runner = CliRunner()
    result = runner.invoke(
        cli, ["generate", "-p", str(preset), "-o", str(tmp_path / "o"), "-n", "4", "--size", "64"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "tree" / "train" / "good").is_dir()
    bad = runner.invoke(cli, ["generate", "--layout", "voc", "-o", str(tmp_path / "x")])
    assert bad.exit_code == 1
    assert "--layout: unknown layout 'voc'; known: coco, lfv, mvtec" in bad.output
    assert not (tmp_path / "x").exists()


def test_mvtec_refuses_a_class_that_cannot_name_a_folder() -> None:
    with pytest.raises(ArgumentError, match="layout: class 'good' cannot name an MVTec AD folder"):
        MIXED.with_overrides(
            layout="mvtec",
            classes=(MIXED.classes[0].__class__("good", "#123456", "dent", (1, 1), {}),),
        )


# ---- COCO ------------------------------------------------------------------------------


def test_pycocotools_reads_each_defect_as_its_pixels_of_the_class_mask(
    coco: Path, lfv: Path
) -> None:
    present = 0  # classes present in an image: the annotations' union holds each
    for split in ("train", "test"):
        api = COCO(str(coco / "annotations" / f"instances_{split}.json"))
        assert [c["name"] for c in api.loadCats(api.getCatIds())] == ["scratch", "dent"]
        for image in api.loadImgs(api.getImgIds()):
            index = image["id"] - 1
            assert (coco / image["file_name"]).is_file()
            labels = _labels(lfv, index)
            present += np.count_nonzero(np.unique(labels))
            union = np.zeros(labels.shape, np.int32)
            for ann in api.loadAnns(api.getAnnIds(imgIds=[image["id"]])):
                decoded = api.annToMask(ann).astype(bool)
                assert decoded.any()
                assert (labels[decoded] == ann["category_id"]).all()  # its class's pixels
                assert ann["area"] == decoded.sum()
                rows, cols = np.nonzero(decoded)
                x, y = cols.min(), rows.min()
                assert ann["bbox"] == [x, y, cols.max() - x + 1, rows.max() - y + 1]
                assert not (union[decoded]).any()  # no pixel in two annotations
                union[decoded] = ann["category_id"]
            np.testing.assert_array_equal(union, labels)  # and together, the class mask
    assert present > 0  # not vacuous: the run drew defects (each read: the union is the mask)


def test_the_sidecar_describes_every_defect_in_every_layout(
    lfv: Path, mvtec: Path, coco: Path
) -> None:
    sidecars = [(root / "defects.jsonl").read_text().splitlines() for root in (lfv, mvtec, coco)]
    stripped = [
        [
            {k: v for k, v in json.loads(line).items() if k not in ("image", "mask")}
            for line in lines
        ]
        for lines in sidecars
    ]
    assert stripped[0] == stripped[1] == stripped[2]  # the same defects, wherever the files go
    for line in map(json.loads, sidecars[1]):
        cls = MIXED.classes[line["label"] - 1]
        assert (line["class"], line["painter"]) == (cls.name, cls.painter)
        assert list(line["params"]) == list(PAINTERS[cls.painter].params)
        labels = _labels(lfv, line["index"])
        assert (mvtec / line["image"]).is_file()
        assert (mvtec / line["mask"]).is_file()
        if line["box"] is not None:
            x, y, w, h = line["box"]
            assert (labels[y : y + h, x : x + w] == line["label"]).sum() >= line["pixels"] > 0
    per_image = Counter()
    for line in map(json.loads, sidecars[0]):
        per_image[line["index"]] += line["pixels"]
    for index, pixels in per_image.items():
        assert pixels == (_labels(lfv, index) > 0).sum()


@pytest.mark.parametrize("seed", range(40))
def test_rle_string_is_pycocotools_encoding(seed: int) -> None:
    rng = np.random.default_rng(seed)
    height, width = rng.integers(1, 40, size=2)
    mask = rng.random((height, width)) < rng.random()
    if seed % 3 == 0:  # long runs, as real defects have
        mask = np.zeros((height, width), bool)
        mask[rng.integers(height) :, rng.integers(width) :] = True
    theirs = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    assert rle_string(rle_counts(mask)) == theirs["counts"].decode()


# ---- broken MVTec trees ----------------------------------------------------------------


def _validate(tree: Path) -> tuple[int, set[tuple[str, str]]]:
    """`synth validate TREE/mixed --format json`: its exit code and (file below TREE, rule)."""
    result = CliRunner().invoke(cli, ["validate", str(tree / "mixed"), "--format", "json"])
    found = {
        (Path(f["file"]).relative_to(tree).as_posix(), f["rule"])
        for f in map(json.loads, result.output.splitlines())
    }
    return result.exit_code, found


def _expected(tree: Path) -> set[tuple[str, str]]:
    lines = map(json.loads, (tree / "expected.jsonl").read_text().splitlines())
    return {(line["path"], rule) for line in lines for rule in line["rules"]}


def test_a_valid_tree_validates_clean(mvtec: Path) -> None:
    assert _validate(mvtec) == (0, set())
    root = CliRunner().invoke(cli, ["validate", str(mvtec)])  # the dataset's root: its trees
    assert (root.exit_code, root.output) == (0, "")


def test_validate_names_every_fault_of_a_broken_tree(tmp_path: Path) -> None:
    options = {**OPTIONS, "count": 40}
    generate("mixed", out=tmp_path, layout="mvtec", broken_fraction=0.7, **options)
    broken = tmp_path / "broken"
    lines = [json.loads(x) for x in (broken / "expected.jsonl").read_text().splitlines()]
    assert len(lines) == options["count"]
    assert {line["fault"] for line in lines} == {None, *TREE_FAULTS}  # each fault drawn here
    code, found = _validate(broken)
    assert code == 1
    assert found == _expected(broken)
    assert _validate(tmp_path)[1] == set()  # the valid tree beside it is untouched
    assert CliRunner().invoke(cli, ["validate", str(tmp_path)]).exit_code == 0  # broken/ aside


@pytest.mark.parametrize("fault", list(TREE_FAULTS))
def test_each_tree_fault_breaks_exactly_its_rule(fault: str, tmp_path: Path) -> None:
    generate("mixed", out=tmp_path, layout="mvtec", broken_fraction=1.0, faults=(fault,), **OPTIONS)
    broken = tmp_path / "broken"
    expected = _expected(broken)
    assert {rule for _, rule in expected} == set(TREE_FAULTS[fault].rules)
    assert _validate(broken) == (1, expected)


@pytest.mark.parametrize("preset", sorted(builtin_presets()))
def test_every_preset_writes_a_tree_that_validates(preset: str, tmp_path: Path) -> None:
    dataset = generate(preset, out=tmp_path, layout="mvtec", count=10, width=64, height=64)
    (tree,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert tree.name == preset
    assert CliRunner().invoke(cli, ["validate", str(tree)]).exit_code == 0
    images = [p for p in tree.rglob("*.png") if p.parts[-3] in ("train", "test")]
    anomalies = sum(c["anomaly"] for c in dataset.counts.values())
    assert len(images) == 10
    assert sum(p.parent.name != "good" for p in images) == anomalies
    for mask in tree.glob("ground_truth/*/*_mask.png"):
        assert set(np.unique(_gray(mask)).tolist()) == {0, 255}


def test_a_dataset_without_defects_has_an_empty_sidecar(tmp_path: Path) -> None:
    options = {"count": 5, "width": 64, "height": 64}
    generate("normal-only", out=tmp_path / "one", **options)
    assert (tmp_path / "one" / "defects.jsonl").read_bytes() == b""
    for index in range(2):
        generate("normal-only", out=tmp_path / "two", shard=Shard(index, 2), **options)
    merge(tmp_path / "two")
    assert files_of(tmp_path / "two") == files_of(tmp_path / "one")
