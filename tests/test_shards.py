"""Shards: any split of the work merges into the bytes of a one-machine run."""

from __future__ import annotations

from pathlib import Path

import pytest

from synth.errors import OutputError
from synth.output.layout import Shard
from synth.run.generate import generate
from synth.run.merge import merge
from tests.helpers import files_of

OPTIONS = {"count": 7, "width": 64, "height": 64, "seed": 5, "broken_fraction": 0.5}


# ground-truth: the style whose mask keys carry each mask's creation time; a mix: each line
# one style's, its masks under two folders.
@pytest.mark.parametrize(
    ("style", "shards"),
    [("synth", 1), ("synth", 3), ("ground-truth", 3), ("console+ground-truth-chained", 3)],
)
def test_merged_shards_equal_a_single_run(style: str, shards: int, tmp_path: Path) -> None:
    generate("mixed", out=tmp_path / "single", style=style, **OPTIONS)
    for index in reversed(range(shards)):
        shard = Shard(index, shards)
        generate("mixed", out=tmp_path / "sharded", shard=shard, style=style, **OPTIONS)
    assert not (tmp_path / "sharded" / "train.manifest").exists()
    merged = merge(tmp_path / "sharded")
    assert files_of(tmp_path / "sharded") == files_of(tmp_path / "single")
    assert sum(sum(c.values()) for c in merged.counts.values()) == OPTIONS["count"]


def test_shard_ranges_cover_every_image_once() -> None:
    for count in (1, 5, 100):
        for shards in (1, 3, 7):
            covered = [i for s in range(shards) for i in Shard(s, shards).indices(count)]
            assert covered == list(range(count))


def test_merge_names_missing_shards(tmp_path: Path) -> None:
    generate("dents", out=tmp_path, shard=Shard(1, 3), **OPTIONS)
    with pytest.raises(OutputError, match="shards 0, 2 of 3 have not finished"):
        merge(tmp_path)
    assert not (tmp_path / "train.manifest").exists()


def test_merge_with_nothing_to_merge(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="no shards to merge"):
        merge(tmp_path)
