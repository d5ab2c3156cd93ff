"""Merge checks every part against its shard's summary before it publishes anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synth.errors import OutputError
from synth.imaging.encode import DEFAULT_COMPRESS_LEVEL
from synth.output.layout import Shard
from synth.run.generate import generate
from synth.run.merge import merge
from tests.invariants import assert_whole_or_nothing

OPTIONS = {"count": 20, "width": 64, "height": 64, "seed": 5, "broken_fraction": 0.3}


@pytest.fixture
def shards(tmp_path: Path) -> Path:
    for index in range(2):
        generate("mixed", out=tmp_path, shard=Shard(index, 2), **OPTIONS)
    return tmp_path


def _refused(root: Path, match: str) -> None:
    before = sorted(p.name for p in (root / "shards").iterdir())
    with pytest.raises(OutputError, match=match):
        merge(root)
    assert not assert_whole_or_nothing(root)
    assert sorted(p.name for p in (root / "shards").iterdir()) == before  # nothing deleted


def test_a_deleted_part_stops_the_merge(shards: Path) -> None:
    (shards / "shards" / "train.manifest.part-00001-of-00002").unlink()
    _refused(shards, r"train.manifest.part-00001-of-00002: missing; shard 1 is incomplete")


def test_a_truncated_part_stops_the_merge(shards: Path) -> None:
    part = shards / "shards" / "train.manifest.part-00000-of-00002"
    part.write_bytes(part.read_bytes().split(b"\n", 1)[1])
    _refused(shards, "does not match shard 0's summary")


def test_a_part_its_summary_does_not_list_stops_the_merge(shards: Path) -> None:
    (shards / "shards" / "extra.manifest.part-00000-of-00002").write_text("{}\n")
    _refused(shards, "not listed in the shard's summary")


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "not a shard summary"),
        (b"not json", "not a shard summary"),
        (b"[1, 2]", "not a shard summary .an object with preset, seed"),
        (b'{"preset": {}, "seed": "x"}', "not a shard summary"),
    ],
)
def test_a_bad_summary_is_one_line(shards: Path, content: bytes, match: str) -> None:
    (shards / "shards" / "part-00001-of-00002.json").write_bytes(content)
    _refused(shards, match)


def test_shards_that_differ_are_refused(shards: Path) -> None:
    summary = shards / "shards" / "part-00001-of-00002.json"
    data = json.loads(summary.read_text())
    data["options"]["compress_level"] = 1
    summary.write_text(json.dumps(data))
    _refused(shards, "shard 1 differs from shard 0 in its options")


def test_a_whole_merge_publishes_a_complete_dataset(
    shards: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    reference = tmp_path_factory.mktemp("single")
    generate("mixed", out=reference, **OPTIONS)
    merged = merge(shards)
    assert sum(sum(c.values()) for c in merged.counts.values()) == OPTIONS["count"]
    assert assert_whole_or_nothing(shards, reference)
    assert not [p for p in (shards / "shards").rglob("*") if p.is_file()]
    description = json.loads((shards / "dataset.json").read_text())
    assert description["options"] == {"compress_level": DEFAULT_COMPRESS_LEVEL, "base_dir": None}


def test_a_summary_is_published_after_its_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shard killed between its parts and its summary leaves no summary: merge waits."""
    from synth.output import folder

    order: list[list[str]] = []
    real = folder.FolderSink.publish

    def recording(self: folder.FolderSink, files: list[tuple[str, object, str]]) -> None:
        order.append([key for key, _, _ in files])
        real(self, files)

    monkeypatch.setattr(folder.FolderSink, "publish", recording)
    generate("mixed", out=tmp_path, shard=Shard(0, 2), **OPTIONS)
    (keys,) = order
    assert keys[-1] == "shards/part-00000-of-00002.json"
    assert all(".part-00000-of-00002" in key for key in keys[:-1])
