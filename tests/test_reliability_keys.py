"""Object keys as S3 takes them: none resolves outside the bucket-root folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synth.errors import OutputError
from synth.output.folder import FolderSink, folder_path

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
