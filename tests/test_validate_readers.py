"""A bucket-root folder's objects: what is read, and what is not (nothing outside the root,
even through a link; no folder, FIFO or device), however the folder is laid out."""

from __future__ import annotations

import os
from pathlib import Path

from synth.validate.readers import FolderReader


def _root(tmp_path: Path) -> Path:
    root = tmp_path / "bucket"
    (root / "images").mkdir(parents=True)
    (root / "images" / "a.png").write_bytes(b"image")
    (tmp_path / "outside.png").write_bytes(b"secret")
    return root


def test_a_file_in_the_root_is_read_with_its_size(tmp_path: Path) -> None:
    reader = FolderReader(_root(tmp_path))
    assert reader.read("s3://bucket/images/a.png") == b"image"
    assert reader.read_within("s3://bucket/images/a.png", 2) == (b"image", 5)  # its head: all
    assert reader.read("s3://bucket/images/missing.png") is None


def test_a_link_is_followed_only_to_a_file_inside_the_root(tmp_path: Path) -> None:
    root = _root(tmp_path)
    (root / "images" / "inside.png").symlink_to(root / "images" / "a.png")
    (root / "images" / "out.png").symlink_to(tmp_path / "outside.png")
    (root / "linked").symlink_to(tmp_path)  # a folder that leads out of the root
    reader = FolderReader(root)
    assert reader.read("s3://bucket/images/inside.png") == b"image"
    assert reader.read("s3://bucket/images/out.png") is None
    assert reader.read("s3://bucket/linked/outside.png") is None
    assert reader.read("s3://bucket/linked/bucket/images/a.png") == b"image"  # back inside


def test_a_folder_or_a_fifo_is_no_object_and_is_not_waited_on(tmp_path: Path) -> None:
    root = _root(tmp_path)
    os.mkfifo(root / "images" / "fifo.png")
    reader = FolderReader(root)
    assert reader.read("s3://bucket/images/fifo.png") is None  # no writer: it would block
    assert reader.read("s3://bucket/images") is None
