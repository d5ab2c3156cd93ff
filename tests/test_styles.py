"""Output styles, classification datasets and trainable presets, judged by the validator."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from synth.annotate.records import DATES_FROM, DATES_TO, LABEL_HOURS, SEGMENT_AFTER
from synth.config.preset import builtin_presets, load_preset
from synth.config.styles import STYLES, styles_for
from synth.errors import PresetError
from synth.format import S3Uri, Severity
from synth.run.generate import Dataset, generate
from synth.validate import validate_project
from tests.helpers import files_of

SMALL = {"count": 24, "width": 64, "height": 64}


def _project(dataset: Dataset, profile: str) -> list:
    root = Path(dataset.location)
    manifests = [root / dataset.manifest_key(split) for split in dataset.splits]
    return validate_project(*manifests, objects=root, profile=profile)


def _not_size(findings: list) -> list:
    """Findings other than the training-minimum warnings a 24-image project must give."""
    return [f for f in findings if f.rule != "dataset.training-minimum"]


def _task(style: str) -> str:
    """Segmentation, unless the style's producer writes classification lines only."""
    return "segmentation" if STYLES[style].segmentation else "classification"


@pytest.mark.parametrize("style", sorted(STYLES))
def test_each_style_round_trips_clean_under_its_profile(style: str, tmp_path: Path) -> None:
    dataset = generate("mixed", out=tmp_path, seed=3, style=style, task=_task(style), **SMALL)
    profile = STYLES[style].profile
    findings = _not_size(_project(dataset, profile))
    assert [f for f in findings if f.severity is Severity.ERROR] == []
    # Under the service profile, only what the service is known to accept: warned, not erred.
    assert {(f.rule, f.profile) for f in findings} <= {
        ("color-map.background", "service"),
        ("color-map.confidence", "service"),
        ("mask-image.color", "service"),  # the console's transparent background
        ("mask.creation-date", None),  # the console's JavaScript mask dates
    }
    assert bool(findings) == (profile == "service")


def test_the_console_style_needs_the_service_profile(tmp_path: Path) -> None:
    dataset = generate("mixed", out=tmp_path, seed=3, style="console", **SMALL)
    errors = {f.rule for f in _project(dataset, "docs") if f.severity is Severity.ERROR}
    assert errors == {"color-map.background", "color-map.confidence"}


def test_styles_write_what_their_producers_write(tmp_path: Path) -> None:
    lines = {
        style: (
            generate("mixed", out=tmp_path / style, seed=3, style=style, task=_task(style), **SMALL)
            .read("train.manifest")
            .decode()
            .splitlines()
        )
        for style in STYLES
    }
    gt = json.loads(lines["ground-truth"][0])
    assert gt["anomaly-label-metadata"]["job-name"] == "labeling-job/anomaly-label"
    assert gt["anomaly-mask-ref-metadata"]["job-name"] == "labeling-job/anomaly-mask"
    assert list(gt["anomaly-mask-ref-metadata"]["internal-color-map"]["0"]) == [
        "class-name",
        "hex-color",
        "confidence",
    ]
    assert len(gt["anomaly-label-metadata"]["creation-date"].split(".")[1]) == 6
    console = [json.loads(line) for line in lines["console"]]
    assert list(console[0])[:3] == ["source-ref", "anomaly-label-metadata", "anomaly-label"]
    assert all(
        ("anomaly-mask-ref" in x) == (x["anomaly-label-metadata"]["class-name"] == "anomaly")
        for x in console
    )
    for x in console:  # hand labels end in Z; auto-labels of normal images do not
        meta = x["anomaly-label-metadata"]
        assert meta["creation-date"].endswith("Z") == (meta["class-name"] == "anomaly")
        assert (meta["job-name"] == "labeling-job/auto-label") == (meta["class-name"] == "normal")
    sdk = lines["sdk-tools"]
    assert all('", "' in x and '": "' in x for x in sdk)
    assert {json.loads(x)["anomaly-label"] for x in sdk} == {"0", "1"}
    stamps = [json.loads(x)["anomaly-label-metadata"]["creation-date"] for x in sdk]
    assert stamps == sorted(set(stamps))  # csv_to_manifest.py stamps each row as it writes it


def _masks(dataset: Dataset) -> list[Path]:
    """The mask files the dataset's manifests name."""
    records = [r for split in dataset.splits for r in dataset.records(split)]
    keys = [S3Uri.parse(r["anomaly-mask-ref"]).key for r in records if "anomaly-mask-ref" in r]
    return [Path(dataset.location, key) for key in keys]


@pytest.mark.parametrize("style", styles_for("segmentation"))
def test_masks_are_8_bit_palettes_as_their_producers_write_them(style: str, tmp_path: Path) -> None:
    dataset = generate("mixed", out=tmp_path, seed=2, style=style, count=6, width=64, height=64)
    masks = _masks(dataset)
    assert sorted(tmp_path.rglob("*.png")) == sorted([*masks, *tmp_path.glob("images/*.png")])
    for path in masks:
        data = path.read_bytes()
        assert data[24:26] == b"\x08\x03"  # IHDR: bit depth 8, color type 3 (palette)
        with Image.open(path) as mask:
            assert mask.mode == "P"
            entries = len(mask.getpalette() or []) // 3
            if STYLES[style].mask_form == "console":  # entries as used, alpha per entry
                assert len(mask.info["transparency"]) == entries < 256
            else:
                assert entries == 256
    anomalies = sum(c["anomaly"] for c in dataset.counts.values())
    assert len(masks) == (anomalies if style == "console" else dataset.count)


def test_classification_task_writes_no_masks_and_validates_clean(tmp_path: Path) -> None:
    dataset = generate("mixed", out=tmp_path, seed=1, task="classification", **SMALL)
    assert not (tmp_path / "masks").exists()
    records = [r for split in dataset.splits for r in dataset.records(split)]
    assert all(set(r) == {"source-ref", "anomaly-label", "anomaly-label-metadata"} for r in records)
    assert _not_size(_project(dataset, "docs")) == []


def test_classification_from_the_command_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from synth.cli import cli

    out = tmp_path / "c"
    args = ["generate", "-p", "dents", "-o", str(out), "-n", "30", "--size", "64"]
    made = CliRunner().invoke(cli, [*args, "--task", "classification"])
    assert made.exit_code == 0, made.output
    checked = CliRunner().invoke(
        cli, ["validate", str(out / "train.manifest"), str(out / "test.manifest"), "--objects"]
    )
    assert checked.exit_code == 0
    assert ": error: " not in checked.output
    assert not (out / "masks").exists()


def test_a_preset_names_its_task_and_style(tmp_path: Path) -> None:
    text = (
        (builtin_presets()["dents"])
        .read_text()
        .replace("[dataset]", '[dataset]\ntask = "classification"\nstyle = "sdk-tools"')
    )
    path = tmp_path / "p.toml"
    path.write_text(text)
    preset = load_preset(path)
    assert (preset.task, preset.style) == ("classification", "sdk-tools")
    path.write_text(text.replace('"sdk-tools"', '"excel"'))
    with pytest.raises(PresetError, match=r"dataset\.style: unknown style 'excel'; choose one"):
        load_preset(path)
    path.write_text(text.replace('"sdk-tools"', '"sdk-tools+console"'))  # a mix
    assert load_preset(path).style == "sdk-tools+console"
    path.write_text(text.replace('"sdk-tools"', '"sdk-tools+excel"'))
    with pytest.raises(PresetError, match=r"dataset\.style: unknown style 'excel'"):
        load_preset(path)


def test_dates_look_like_one_labeling_job(tmp_path: Path) -> None:
    dataset = generate("mixed", out=tmp_path, seed=8, count=40, width=64, height=64)
    records = [r for split in dataset.splits for r in dataset.records(split)]
    labeled = [
        datetime.fromisoformat(r["anomaly-label-metadata"]["creation-date"]) for r in records
    ]
    segmented = [
        datetime.fromisoformat(r["anomaly-mask-ref-metadata"]["creation-date"]) for r in records
    ]
    assert DATES_FROM.replace(tzinfo=None) <= min(labeled)
    assert max(segmented) <= DATES_TO.replace(tzinfo=None)
    assert max(labeled) - min(labeled) < timedelta(hours=LABEL_HOURS)
    assert max(labeled) < min(segmented)  # the segmentation job is chained after
    assert max(segmented) - min(labeled) < SEGMENT_AFTER + timedelta(days=1)
    jobs = {
        (r["anomaly-label-metadata"]["job-name"], r["anomaly-mask-ref-metadata"]["job-name"])
        for r in records
    }
    assert len(jobs) == 1


@pytest.mark.slow
@pytest.mark.parametrize("preset", sorted(builtin_presets()))
@pytest.mark.parametrize("seed", [0, 1])
def test_presets_can_train_at_their_default_counts(preset: str, seed: int, tmp_path: Path) -> None:
    chosen = load_preset(preset)
    dataset = generate(chosen, out=tmp_path, seed=seed, width=64, height=64)
    minimums = [f for f in _project(dataset, "docs") if f.rule == "dataset.training-minimum"]
    assert [f.message.split(":")[0] for f in minimums] == list(dataset.shortfalls or ())
    if chosen.anomaly_fraction == 0:  # normal-only is the negative half of a project
        assert "anomaly images; training needs 10" in " ".join(dataset.shortfalls or ())
    else:
        assert dataset.shortfalls == ()


def test_generate_says_when_no_count_can_train_per_label(tmp_path: Path) -> None:
    # showcase's 10 classes painted in any combination: about 1 anomalous image in 1,000
    # holds a given class alone, so no count within the service's limits trains per label.
    mixed_up = load_preset("showcase").with_overrides(one_class_per_image=False, count=200)
    dataset = generate(mixed_up, out=tmp_path, seed=0, width=64, height=64)
    reach = [s for s in dataset.shortfalls or () if "the service's limit" in s]
    assert [s.split(" has ")[0] for s in reach] == [
        f"the {split} dataset" for split in dataset.splits
    ]


def test_generate_warns_when_a_count_cannot_train(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from synth.cli import cli

    args = ["generate", "-p", "dents", "--size", "64", "-o"]
    few = CliRunner().invoke(cli, [*args, str(tmp_path / "few"), "-n", "12"])
    assert few.exit_code == 0
    assert "warning: the test dataset has" in few.output
    enough = CliRunner().invoke(cli, [*args, str(tmp_path / "enough")])
    assert "the project meets Lookout for Vision's training minimums" in enough.output
    assert "warning" not in enough.output


def test_masks_decode_with_the_palette_colors(tmp_path: Path) -> None:
    dataset = generate(
        "dents", out=tmp_path, seed=4, count=4, width=64, height=64, style="ground-truth"
    )
    for path in _masks(dataset):
        rgb = np.asarray(Image.open(io.BytesIO(path.read_bytes())).convert("RGB"))
        assert {tuple(c) for c in rgb.reshape(-1, 3)} <= {(255, 255, 255), (0x1F, 0x77, 0xB4)}


def test_ground_truth_masks_are_where_its_segmentation_job_writes_them(tmp_path: Path) -> None:
    dataset = generate("mixed", out=tmp_path, seed=3, style="ground-truth", **SMALL)
    output = "anomaly-mask/annotations/consolidated-annotation/output"  # the job, no -ref
    records = [r for split in dataset.splits for r in dataset.records(split)]
    for line in records:
        image = Path(dataset.location, S3Uri.parse(line["source-ref"]).key)
        mask = Path(dataset.location, S3Uri.parse(line["anomaly-mask-ref"]).key)
        assert str(mask.parent.relative_to(tmp_path)) == output
        number, _, stamp = mask.stem.partition("_")
        assert int(number) == int(image.stem)  # the dataset object's number
        created = datetime.fromisoformat(line["anomaly-mask-ref-metadata"]["creation-date"])
        assert timedelta(0) < datetime.fromisoformat(stamp) - created < timedelta(minutes=1)
        with Image.open(mask) as opened, Image.open(image) as photo:
            assert (opened.mode, opened.size) == ("P", photo.size)
    listed = set((tmp_path / output).iterdir())
    assert listed == set(_masks(dataset))
    assert len(listed) == SMALL["count"]
    assert not (tmp_path / "masks").exists()


def test_ground_truth_broken_masks_are_under_the_jobs_output_too(tmp_path: Path) -> None:
    """A broken line's recolored mask is a twin under broken/, keyed as the job keys it
    (that these keys do not depend on workers or shards: test_generate and test_shards)."""
    options = {"seed": 5, "style": "ground-truth", "broken_fraction": 0.5, **SMALL, "count": 9}
    one = generate("mixed", out=tmp_path / "one", **options)
    files = files_of(tmp_path / "one")
    broken = [json.loads(x) for x in one.read("broken/train.manifest").decode().splitlines()]
    twins = [S3Uri.find(line.get("anomaly-mask-ref")) for line in broken]
    assert any(t and "broken/anomaly-mask/annotations/" in t.key for t in twins)
    assert all(t.key in files for t in twins if t and t.key.startswith("broken/"))


def test_aws_python_tools_write_their_labels(tmp_path: Path) -> None:
    """datasets.py: integer labels, 1 for anomaly; the SDK's Manifest: auto-label, 1 for
    normal (inverted: the class-name says which). Each stamps the file once, on the
    writer's local clock (US Pacific here), where csv_to_manifest.py stamps rows in UTC."""
    lines = {
        style: [
            json.loads(x)
            for x in generate(
                "mixed", out=tmp_path / style, seed=3, style=style, task="classification", **SMALL
            )
            .read("train.manifest")
            .decode()
            .splitlines()
        ]
        for style in ("sdk-datasets", "sdk-manifest", "sdk-tools")
    }
    for style, attribute, anomaly in (
        ("sdk-datasets", "anomaly-label", 1),
        ("sdk-manifest", "auto-label", 0),
    ):
        metas = [x[f"{attribute}-metadata"] for x in lines[style]]
        assert {type(x[attribute]) for x in lines[style]} == {int}
        for x, meta in zip(lines[style], metas, strict=True):
            assert x[attribute] == (anomaly if meta["class-name"] == "anomaly" else 1 - anomaly)
        assert len({meta["creation-date"] for meta in metas}) == 1
    local = datetime.fromisoformat(
        lines["sdk-datasets"][0]["anomaly-label-metadata"]["creation-date"]
    )
    utc = datetime.fromisoformat(lines["sdk-tools"][0]["anomaly-label-metadata"]["creation-date"])
    assert timedelta(hours=7) <= utc - local <= timedelta(hours=8, seconds=1)  # the run start


@pytest.mark.parametrize("style", ["sdk-tools", "sdk-datasets", "sdk-manifest"])
def test_a_tool_that_writes_no_segmentation_is_refused_it(style: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from synth.cli import cli

    out = tmp_path / "out"
    args = ["generate", "-p", "dents", "-o", str(out), "-n", "4", "--size", "64"]
    made = CliRunner().invoke(cli, [*args, "--style", style])
    assert made.exit_code != 0
    [message] = made.output.strip().splitlines()
    assert message.startswith("Error: --style: ")  # the flag that chose it
    assert "no segmentation" in message
    assert not out.exists()
