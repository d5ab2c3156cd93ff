"""Hostile inputs and outputs: one readable line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import resource
import struct
import subprocess
import threading
import zlib
from pathlib import Path

import pytest

from synth.config.preset import load_preset
from synth.errors import OutputError, PresetError
from synth.run.generate import generate
from synth.validate import validate_manifest
from synth.validate.findings import format_text
from tests.invariants import SYNTH, one_line

SMALL = ["-n", "3", "--size", "64"]


def _synth(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SYNTH, *args], capture_output=True, text=True, timeout=120, **kwargs)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data")
    generate("dents", out=root, count=3, width=64, height=64)
    return root / "train.manifest"


def test_shard_count_zero() -> None:
    result = _synth("generate", "--shard", "0/0")
    assert result.returncode == 2
    assert "the shard count must be at least 1" in result.stderr


def test_validate_a_folder_names_the_problem(manifest: Path) -> None:
    result = _synth("validate", str(manifest.parent))
    assert result.returncode == 2
    assert "is a folder; give a manifest file" in one_line(result.stderr)


def test_validate_standard_input(manifest: Path) -> None:
    result = _synth("validate", "-", input=manifest.read_text())
    assert (result.returncode, result.stderr) == (0, "")
    assert all(line.startswith("-:") for line in result.stdout.splitlines())


def test_validate_a_fifo(manifest: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_bytes, args=(manifest.read_bytes(),))
    writer.start()
    result = _synth("validate", str(fifo))
    writer.join(60)
    assert (result.returncode, result.stderr) == (0, "")


def test_validate_dev_null_is_an_empty_manifest() -> None:
    result = _synth("validate", "/dev/null")
    assert result.returncode == 1
    assert "manifest.empty" in result.stdout


@pytest.mark.parametrize("command", ["validate", "generate"])
def test_a_full_standard_output_is_not_blamed_on_the_input(
    manifest: Path, tmp_path: Path, command: str
) -> None:
    broken = tmp_path / "broken.manifest"
    broken.write_text("not json\n" * 5000)
    args = [str(broken)] if command == "validate" else ["-o", str(tmp_path / "out"), *SMALL]
    with Path("/dev/full").open("w") as full:
        result = subprocess.run(
            [*SYNTH, command, *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120
        )
    assert result.returncode in (1, 2)
    assert (
        one_line(result.stderr) == "Error: standard output: cannot write (No space left on device)"
    )


def test_a_key_with_a_line_break_stays_one_line(manifest: Path) -> None:
    line = manifest.read_text().splitlines()[0].replace('"source-ref"', '"source\\nref"', 1)
    findings = validate_manifest(line + "\n")
    assert findings
    for text in format_text(findings, "m"):
        assert "\n" not in text


def test_python_callers_read_keyword_names(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(OutputError) as caught:
        generate("dents", out=tmp_path, count=2)
    assert "overwrite=True" in str(caught.value)
    assert "--overwrite" not in str(caught.value)
    result = _synth("generate", "-o", str(tmp_path), *SMALL)
    assert "pass --overwrite" in one_line(result.stderr)


def test_preview_with_an_unknown_suffix(tmp_path: Path) -> None:
    result = _synth("preview", "-n", "1", "--size", "64", "-o", str(tmp_path / "p.xyz"))
    assert result.returncode == 1
    assert "'.xyz'" in one_line(result.stderr)
    assert not (tmp_path / "p.xyz").exists()


def _png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def test_a_decompression_bomb_base_image(tmp_path: Path) -> None:
    bases = tmp_path / "bases"
    bases.mkdir()
    (bases / "huge.png").write_bytes(_png_header(20000, 20000))
    result = _synth("generate", "-o", str(tmp_path / "out"), "--base-dir", str(bases), *SMALL)
    assert result.returncode == 1
    assert "huge.png: too large to use as a base image" in one_line(result.stderr)


def test_workers_are_capped_with_a_note(tmp_path: Path) -> None:
    result = _synth("generate", "-o", str(tmp_path / "out"), "--workers", "100000", *SMALL)
    assert result.returncode == 0
    first = result.stderr.splitlines()[0]
    assert first.startswith("note: --workers 100000 is more than this machine can use")


def test_a_class_count_has_an_upper_bound(tmp_path: Path) -> None:
    preset = tmp_path / "many.toml"
    preset.write_text(
        '[image]\nwidth = 128\nheight = 96\ntextures = ["fabric"]\n'
        '[dataset]\ncount = 3\n[[classes]]\nname = "dent"\ncolor = "#123456"\n'
        'painter = "dent"\ncount = [1, 100000]\n'
    )
    with pytest.raises(PresetError, match=r"classes.*count.*<= 100, got \[1, 100000\]"):
        load_preset(preset)


def test_file_size_limit_while_spooling(tmp_path: Path) -> None:
    """`ulimit -f`: the manifests' spool is the only file written (objects go to moto)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    result = subprocess.run(
        [*SYNTH, "generate", "-o", "s3://demo/p", "--mock-s3", "-n", "12", "--size", "64"],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert result.returncode == 1
    assert "cannot spool the manifests (File too large)" in one_line(result.stderr)
    assert not list(tmp_path.iterdir())
