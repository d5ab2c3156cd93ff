"""The output layout read both ways, and the run configuration every entry point builds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synth.output.layout import Layout, Shard, ShardFile
from synth.run.config import RunConfig
from synth.run.generate import generate

prefixes = st.sampled_from(["", "data/", "a/b/c/"])
names = st.from_regex(r"[a-z0-9_/.-]{1,30}", fullmatch=True)


@st.composite
def shards(draw: st.DrawFn) -> Shard:
    count = draw(st.integers(1, 99_999))
    return Shard(draw(st.integers(0, count - 1)), count)


@given(prefixes, names, shards())
def test_a_part_key_reads_back_as_its_shard_and_manifest(
    prefix: str, name: str, shard: Shard
) -> None:
    layout = Layout(prefix)
    key = f"{prefix}{name}"
    assert layout.shard_file(layout.part(key, shard)) == ShardFile(shard, key)
    assert layout.shard_file(layout.summary(shard)) == ShardFile(shard, None)


@given(prefixes, names)
def test_other_keys_are_no_shard_files(prefix: str, name: str) -> None:
    layout = Layout(prefix)
    assert layout.shard_file(f"{layout.shards}{name}") is None
    assert layout.shard_file(layout.manifest("train")) is None


@given(st.integers(0, 10_000), st.integers(1, 64))
def test_shards_split_the_images_into_contiguous_runs(images: int, count: int) -> None:
    runs = [Shard(i, count).indices(images) for i in range(count)]
    assert [i for run in runs for i in run] == list(range(images))


def test_keys_follow_the_image_format() -> None:
    when = datetime(2022, 8, 22, 20, 52, 52, 7, tzinfo=UTC)
    assert Layout.of("p/", "jpeg").image(7) == "p/images/000007.jpg"
    assert Layout.of("p/", "png").mask(7, when) == "p/masks/000007.png"


@given(prefixes, st.integers(0, 10**6), st.datetimes(timezones=st.just(UTC)))
def test_ground_truth_mask_keys_name_the_object_and_the_moment(
    prefix: str, index: int, when: datetime
) -> None:
    key = Layout.of(prefix, "png", "job").mask(index, when)
    folder, _, name = key.rpartition("/")
    assert folder == f"{prefix}job/annotations/consolidated-annotation/output"
    number, _, stamp = name.removesuffix(".png").partition("_")
    assert int(number) == index
    assert datetime.fromisoformat(stamp).replace(tzinfo=UTC) == when
    assert len(stamp.split(".")[1]) == 6  # microseconds, as Ground Truth writes them


def test_the_config_applies_overrides_and_keeps_the_rest() -> None:
    config = RunConfig.build(
        "dents", count=5, faults=["manifest.json"], broken_fraction=0.2, workers=2, seed=9
    )
    assert (config.preset.name, config.preset.count) == ("dents", 5)
    assert config.preset.faults == ("manifest.json",)
    assert (config.workers, config.seed, config.out) == (2, 9, "synth-data")
    with pytest.raises(AttributeError):
        config.seed = 1  # type: ignore[misc]


def test_an_unknown_option_is_named(tmp_path: object) -> None:
    with pytest.raises(TypeError, match="unknown option 'cout'; known: anomaly_fraction, "):
        generate("dents", out=tmp_path, cout=3)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("workers", 0),
        ("seed", -1),
        ("compress_level", 13),  # libdeflate stops at 12
        ("concurrency", 0),
        ("shard", Shard(2, 2)),
    ],
)
def test_a_setting_out_of_range_is_named(option: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"^{option}=.* is out of range"):
        RunConfig.build("dents", **{option: value})
