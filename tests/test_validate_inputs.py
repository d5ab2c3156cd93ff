"""`synth validate` on what is not a manifest, or barely one: one clear line naming the
file, a non-zero exit, no traceback; a manifest with one bad byte is still read line by line."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.invariants import synth_here
from tests.test_validate import VALID, _line


def _validate(*args: str) -> subprocess.CompletedProcess[str]:
    return synth_here("validate", *args)


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 30)).save(out, fmt)
    return out.getvalue()


_NOT_MANIFESTS = {
    "photo.png": (_image("PNG"), "is a PNG image"),
    "photo.jpg": (_image("JPEG"), "is a JPEG image"),
    "photo.gif": (_image("GIF"), "is a GIF image"),
    "archive.gz": (b"\x1f\x8b\x08\x00" + bytes(range(256)) * 8, "is a gzip file"),
    "utf16-bom.manifest": ((VALID + "\n").encode("utf-16"), "is UTF-16 text"),
    "utf16.manifest": ((VALID + "\n").encode("utf-16-le"), "is UTF-16 text"),
    "data.bin": (bytes(range(256)) * 40, "holds binary data"),
    "zeros.manifest": (bytes(100) + b"\n", "holds binary data"),  # no text, in no encoding
    "latin1.txt": ("Liste des pièces\n".encode("latin-1") * 50, "is not UTF-8 text"),
}


@pytest.mark.parametrize("name", sorted(_NOT_MANIFESTS))
def test_a_file_that_is_no_manifest_gets_one_line(tmp_path: Path, name: str) -> None:
    data, said = _NOT_MANIFESTS[name]
    path = tmp_path / name
    path.write_bytes(data)
    result = _validate(str(path))
    assert (result.returncode, result.stderr) == (1, "")
    [line] = result.stdout.splitlines()
    assert line.startswith(f"{path}: error: manifest.encoding: the file {said}")
    assert "not a manifest" in line


def test_a_manifest_with_a_bad_byte_is_still_read_line_by_line(tmp_path: Path) -> None:
    """Line 1's job-name holds Latin-1 é: that line is not UTF-8, the next is judged."""
    first = json.dumps(_line(), ensure_ascii=False).replace("classification-job", "café")
    second = json.dumps({**_line(), "source-ref": "s3://bucket/images/b.png"})
    path = tmp_path / "train.manifest"
    path.write_bytes(first.encode("latin-1") + b"\n" + second.encode() + b"\n")
    result = _validate(str(path))
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{path}:1: error: manifest.encoding: not UTF-8")
    assert not any(f"{path}:2:" in line for line in lines)  # line 2 is valid
    assert result.stderr == ""


def test_an_empty_file_is_one_finding(tmp_path: Path) -> None:
    path = tmp_path / "train.manifest"
    path.write_bytes(b"")
    result = _validate(str(path))
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout.splitlines() == [
        f"{path}: error: manifest.empty: the manifest has no lines"
    ]


@pytest.mark.parametrize("kind", ["folder", "missing"])
def test_a_folder_or_a_missing_file_is_one_line_on_stderr(tmp_path: Path, kind: str) -> None:
    path = tmp_path if kind == "folder" else tmp_path / "nope.manifest"
    result = _validate(str(path))
    assert (result.returncode, result.stdout) == (2, "")
    [line] = result.stderr.splitlines()
    said = "is a folder" if kind == "folder" else "no such manifest file"
    assert line.startswith(f"Error: {path}: {said}")


def test_a_huge_single_line_is_judged_and_its_value_cut_for_the_terminal(
    tmp_path: Path,
) -> None:
    """A 4 MB line without a newline (just under the longest line read): line-length
    warned, the line's findings given, and no printed line longer than a screenful (the
    JSON output keeps the value whole)."""
    line = _line()
    line["source-ref"] = "x" * 4_000_000
    path = tmp_path / "train.manifest"
    path.write_text(json.dumps(line))
    result = _validate(str(path))
    assert (result.returncode, result.stderr) == (1, "")
    rules = [p.split(": ")[2] for p in result.stdout.splitlines() if p.startswith(f"{path}:1:")]
    assert rules == ["manifest.line-length", "source-ref.uri"]  # then the project's warnings
    assert max(map(len, result.stdout.splitlines())) < 3000
    assert "4,000,0" in result.stdout  # the message says how much was cut
    whole = _validate("--format", "json", str(path))
    assert max(len(json.loads(printed)["message"]) for printed in whole.stdout.splitlines()) > (
        4_000_000
    )
