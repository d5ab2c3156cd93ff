"""Wrong results: every object called fine decodes completely, and every request that
cannot be honoured says so."""

from __future__ import annotations

import io
import resource
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from synth.cli import cli
from synth.config.preset import load_preset
from synth.errors import ArgumentError, OutputError, PresetError
from synth.output.layout import Layout, Shard
from synth.run.generate import generate
from synth.run.merge import merge
from synth.validate import report, validate_manifest
from synth.validate.readers import FolderReader
from tests.invariants import PATIENCE, SYNTH, one_line, synth_here

SMALL: dict[str, Any] = {"count": 3, "width": 64, "height": 64, "seed": 2}


def _chunks(png: bytes) -> list[tuple[int, bytes, int, int]]:
    """(offset, type, data start, data end) of each chunk of a PNG."""
    found, at = [], 8
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at : at + 8])
        found.append((at, kind, at + 8, at + 8 + length))
        at += 12 + length
    return found


def _idat(png: bytes) -> tuple[int, int]:
    return next((start, end) for _, kind, start, end in _chunks(png) if kind == b"IDAT")


def _cut_in_half(png: bytes) -> bytes:
    return png[: len(png) // 2]


def _without_iend(png: bytes) -> bytes:
    return png[: _chunks(png)[-1][0]]


def _bad_crc(png: bytes) -> bytes:
    _, end = _idat(png)
    return png[:end] + bytes([png[end] ^ 0xFF]) + png[end + 1 :]


def _bad_deflate(png: bytes) -> bytes:
    """The IDAT's deflate stream broken, its CRC made right: only the stream is wrong."""
    start, end = _idat(png)
    data = bytearray(png[start:end])
    data[2 : len(data) - 4] = bytes(len(data) - 6)  # past the zlib header: stored zeros
    data[2] = 0xFF  # a block type that does not exist
    crc = struct.pack(">I", zlib.crc32(png[start - 4 : start] + bytes(data)))
    return png[:start] + bytes(data) + crc + png[end + 4 :]


def _half_the_rows(png: bytes) -> bytes:
    """The IDAT holding half the rows, deflated whole and its CRC right: only the data is
    short (Pillow fills the rest with zeros, without a word)."""
    start, end = _idat(png)
    rows = zlib.decompress(png[start:end])
    data = zlib.compress(rows[: len(rows) // 2])
    chunk = struct.pack(">I", len(data)) + b"IDAT" + data
    return png[: start - 8] + chunk + struct.pack(">I", zlib.crc32(chunk[4:])) + png[end + 4 :]


CORRUPTIONS: dict[str, Callable[[bytes], bytes]] = {
    "half-the-rows": _half_the_rows,
    "cut-in-half": _cut_in_half,
    "no-iend": _without_iend,
    "bad-crc": _bad_crc,
    "bad-deflate": _bad_deflate,
}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data")
    generate("dents", out=root, anomaly_fraction=1.0, test_fraction=0, **SMALL)
    return root


def _object_errors(root: Path, manifest: Path) -> set[tuple[int | None, str]]:
    findings = validate_manifest(manifest, objects=root)
    return {(f.line, f.rule) for f in findings if f.severity.value == "error"}


@pytest.mark.parametrize("corrupt", CORRUPTIONS)
@pytest.mark.parametrize(
    ("folder", "rule"), [("images", "image.format"), ("masks", "mask-image.format")]
)
def test_objects_decode_completely(
    dataset: Path, tmp_path: Path, corrupt: str, folder: str, rule: str
) -> None:
    root = tmp_path / "data"
    shutil.copytree(dataset, root)
    target = root / folder / "000000.png"
    target.write_bytes(CORRUPTIONS[corrupt](target.read_bytes()))
    errors = _object_errors(root, root / "train.manifest")
    assert (1, rule) in errors
    assert not [e for e in errors if e[0] != 1]
    assert _object_errors(dataset, dataset / "train.manifest") == set()


JPEG_PRESET = {
    "image": {"width": 64, "height": 64, "format": "jpeg", "textures": ["painted"]},
    "dataset": {"count": 2, "anomaly_fraction": 1.0, "test_fraction": 0},
    "classes": [{"name": "dent", "color": "#ff0000", "painter": "dent"}],
}


@pytest.mark.parametrize("cut", [40, 2])
def test_a_truncated_jpeg_does_not_decode(tmp_path: Path, cut: int) -> None:
    """Cut inside the scan, or only its end-of-image marker."""
    generate(JPEG_PRESET, out=tmp_path, seed=1)
    manifest = tmp_path / "train.manifest"
    assert _object_errors(tmp_path, manifest) == set()
    image = tmp_path / "images" / "000000.jpg"
    image.write_bytes(image.read_bytes()[:-cut])
    assert _object_errors(tmp_path, manifest) == {(1, "image.format")}


def _gray_png(side: int) -> bytes:
    """A black gray PNG `side` pixels square, its rows deflated as a stream (no array)."""
    squeeze = zlib.compressobj(1)
    rows = b"".join(squeeze.compress(bytes(side + 1)) for _ in range(side)) + squeeze.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [9500, 20000])  # past Pillow's warning, and its error
def test_an_image_past_pillows_pixel_limit_is_its_size(
    dataset: Path, tmp_path: Path, side: int
) -> None:
    """It was 'not an image, not PNG or JPEG' (Pillow's guard refuses to open it)."""
    root = tmp_path / "data"
    shutil.copytree(dataset, root)
    (root / "images" / "000000.png").write_bytes(_gray_png(side))
    findings = validate_manifest(root / "train.manifest", objects=root)
    assert [(f.line, f.rule, f.message) for f in findings if f.severity.value == "error"] == [
        (1, "image.size", f"the image is {side}x{side}; each side must be 64 to 4096 pixels"),
        (1, "mask-image.size", f"the mask is 64x64, its image {side}x{side}"),
    ]


def test_a_2gb_image_is_not_read_whole(dataset: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(dataset, root)
    image = root / "images" / "000000.png"
    head = image.read_bytes()
    with image.open("r+b") as handle:  # a sparse file: 2 GB that cost no disk
        handle.truncate(2 << 30)
    data, size = FolderReader(root).read_within(
        "s3://synth-dataset/images/000000.png", 8 << 20
    ) or (b"", 0)
    assert (size, len(data)) == (2 << 30, 1 << 16)  # the size, and only the head read
    assert data[: len(head)] == head
    result = subprocess.run(
        [*SYNTH, "validate", "--objects", str(root / "train.manifest")],
        capture_output=True,
        text=True,
        timeout=PATIENCE,
    )
    assert "1: error: image.file-size: the image is 2,147,483,648 bytes" in result.stdout
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak_kib < 600 * 1024, peak_kib


def test_a_local_train_manifest_beside_an_s3_test_manifest(mocked: Any, tmp_path: Path) -> None:
    generate("mixed", out=tmp_path, **SMALL)
    generate("mixed", out="s3://data/p", **{**SMALL, "seed": 9})
    out = io.StringIO()
    report(
        [str(tmp_path / "train.manifest"), "s3://data/p/test.manifest"],
        objects=True,
        fmt="text",
        out=out,
    )
    assert ".missing" not in out.getvalue(), out.getvalue()


def test_shard_counts_past_five_digits(tmp_path: Path) -> None:
    layout = Layout("p/")
    for shard in (Shard(0, 100000), Shard(123456, 200000)):
        assert layout.shard_file(layout.summary(shard)).shard == shard  # type: ignore[union-attr]
        part = layout.shard_file(layout.part("p/train.manifest", shard))
        assert part is not None
        assert (part.shard, part.of) == (shard, "p/train.manifest")
    for index in (0, 99999):
        generate("dents", out=tmp_path, shard=Shard(index, 100000), count=2, width=64, height=64)
    with pytest.raises(OutputError) as caught:
        merge(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path}: shards 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... (99998 in all) of 100000 "
        "have not finished"
    )


def test_a_shard_count_past_the_bound(tmp_path: Path) -> None:
    """A typo'd count (`--shard 0/99999999999999999999`) is refused before any work; a
    merge that meets one anyway counts the missing shards without listing them (it was
    OOM-killed at 21 GB)."""
    with pytest.raises(ArgumentError, match="shard=Shard"):
        generate("dents", out=tmp_path / "typo", shard=Shard(0, Shard.MOST + 1), **SMALL)
    assert not (tmp_path / "typo").exists()
    generate("dents", out=tmp_path, shard=Shard(0, 2), **SMALL)
    huge = 10**20
    for path in (tmp_path / "shards").rglob("*-of-00002*"):
        path.rename(path.with_name(path.name.replace("-of-00002", f"-of-{huge}")))
    with pytest.raises(OutputError) as caught:
        merge(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path}: shards 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... ({huge - 1} in all) of {huge} "
        "have not finished"
    )


def test_a_mask_fault_on_a_classification_dataset_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PresetError, match=r"^faults: mask-jpeg breaks a mask"):
        generate(
            "dents",
            out=tmp_path,
            task="classification",
            broken_fraction=1.0,
            faults=["mask-jpeg"],
            **SMALL,
        )
    args = ["generate", "--task", "classification", "--broken", "1", "--faults", "mask-jpeg"]
    result = CliRunner().invoke(
        cli, [*args, "-n", "2", "--size", "64", "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    assert one_line(result.stderr).startswith("Error: --faults: mask-jpeg breaks a mask")
    assert not (tmp_path / "out").exists()


# What a layout cannot honour: `--layout coco --broken 1` exited 0 with nothing broken,
# `--style` with coco or mvtec was ignored.
_UNHELD = [
    ("coco", ["--broken", "1"], "--broken"),
    ("coco", ["--broken", "0"], "--broken"),
    ("coco", ["--broken", "1", "--faults", "mask-missing"], "--broken"),
    ("coco", ["--style", "ground-truth"], "--style"),
    ("coco", ["--style", "synth"], "--style"),  # the default style: still no line to write
    ("coco", ["--task", "classification"], "--task"),
    ("coco", ["--bucket", "other-bucket"], "--bucket"),
    ("mvtec", ["--style", "console"], "--style"),
    ("mvtec", ["--task", "classification"], "--task"),
    ("mvtec", ["--bucket", "other-bucket"], "--bucket"),
    ("mvtec", ["--faults", "mask-missing"], "--faults"),  # nothing broken to draw them for
    ("lfv", ["--faults", "color-map.hex-color"], "--faults"),
]


@pytest.mark.parametrize(("layout", "args", "flag"), _UNHELD)
def test_a_flag_the_layout_cannot_honour_is_refused(
    tmp_path: Path, layout: str, args: list[str], flag: str
) -> None:
    out = tmp_path / "out"
    result = synth_here(
        "generate", "--layout", layout, *args, "-n", "2", "--size", "64", "-o", str(out)
    )
    assert result.returncode != 0
    line = one_line(result.stderr)
    assert line.startswith(f"Error: {flag}"), line
    assert (layout in line) if flag != "--faults" else ("--broken" in line), line
    assert not out.exists()


def test_a_preset_whose_layout_cannot_honour_a_key_is_refused(tmp_path: Path) -> None:
    """In a preset file the key is named; given `--layout`, the flag that asked for it."""
    dents = (Path(__file__).parents[1] / "presets" / "dents.toml").read_text()
    styled = tmp_path / "styled.toml"
    styled.write_text(dents.replace("[dataset]\n", '[dataset]\nstyle = "ground-truth"\n', 1))
    both = tmp_path / "both.toml"
    both.write_text(styled.read_text().replace("[dataset]\n", '[dataset]\nlayout = "coco"\n', 1))
    with pytest.raises(PresetError, match=r"dataset\.style: layout 'coco' writes no manifest"):
        load_preset(both)
    out = tmp_path / "out"
    result = synth_here("generate", "-p", str(styled), "--layout", "mvtec", "-o", str(out))
    assert result.returncode != 0
    assert one_line(result.stderr).startswith("Error: --layout: layout 'mvtec' writes no manifest")
    assert not out.exists()
    with pytest.raises(ArgumentError, match=r"^broken_fraction: layout 'coco' writes no broken"):
        generate("dents", out=tmp_path / "b", layout="coco", broken_fraction=0.5, **SMALL)
    assert not (tmp_path / "b").exists()
