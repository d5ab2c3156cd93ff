"""Object keys as S3 takes them: none resolves outside the bucket-root folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synth.errors import OutputError
from synth.output.folder import FolderSink
from synth.output.keys import folder_path

SEGMENTS = st.sampled_from(["..", ".", "", "a", "b.png", "..a", "a..", "/", "\\", " "])
KEYS = st.lists(SEGMENTS | st.text(max_size=4), max_size=6).map("/".join)


@given(KEYS)
def test_no_key_resolves_outside_the_root(key: str) -> None:
    root = Path("/srv/bucket")
    path = folder_path(root, key)
    if path is not None:
        assert path.resolve().is_relative_to(root)
        assert path.relative_to(root).as_posix() == key  # the key is the file, unchanged


@pytest.mark.parametrize("key", ["../escape.png", "images/../../escape.png", "a//b", "./a", ""])
def test_the_sink_refuses_keys_a_folder_cannot_hold(tmp_path: Path, key: str) -> None:
    sink = FolderSink(tmp_path / "root", "bucket")
    with pytest.raises(OutputError, match="a key a folder cannot hold"):
        sink.put(key, b"x", "image/png")
    assert not (tmp_path / "escape.png").exists()


def test_a_link_planted_in_the_output_is_never_written_through(tmp_path: Path) -> None:
    """An object's file, a staged manifest or a folder that is a symbolic link out of the
    root: the run replaces a file's link, and refuses a folder's; nothing outside changes."""
    from synth.run.generate import generate

    outside = tmp_path / "outside.png"
    outside.write_bytes(b"not the run's")
    root = tmp_path / "root"
    (root / "images").mkdir(parents=True)
    (root / "images" / "000000.png").symlink_to(outside)
    (root / ".train.manifest.partial").symlink_to(outside)
    generate("dents", out=root, overwrite=True, count=2, width=64, height=64)
    assert outside.read_bytes() == b"not the run's"
    assert not (root / "images" / "000000.png").is_symlink()
    assert (root / "train.manifest").is_file()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "images").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(OutputError, match=r"/images: a symbolic link; synth writes only inside"):
        generate("dents", out=linked, overwrite=True, count=2, width=64, height=64)
    assert list(elsewhere.iterdir()) == []
    assert sorted(p.name for p in linked.iterdir()) == ["images"]
