"""Bounded resources and messages a terminal shows as written: stated limits, tested at
the limit; one line naming the cause, escaped."""

from __future__ import annotations

import io
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from synth.config.preset import load_preset, palette
from synth.imaging import preview as preview_module
from synth.imaging.base_images import MAX_BASE_PIXELS
from synth.imaging.contact_sheet import contact_sheet, fitted
from synth.imaging.encode import mask_to_rgb
from synth.imaging.render import render
from synth.plan import image_spec
from synth.run.generate import generate
from tests.invariants import PATIENCE, SYNTH, finish, one_line, start, synth_here, wait_until

SMALL = ["-n", "2", "--size", "64"]


def _synth(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [*SYNTH, *args], capture_output=True, text=True, timeout=PATIENCE, **kwargs
    )


def _gray_png(path: Path, width: int, height: int) -> None:
    """A real PNG of zeros, written a row band at a time: 13000x13000 is about 170 KB."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    packer = zlib.compressobj(9)
    row = bytes(width + 1)
    data = b"".join(packer.compress(row * 256) for _ in range(height // 256))
    data += packer.compress(row * (height % 256)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(("side", "refused"), [(13000, True), (8193, True), (8192, False)])
def test_a_base_image_past_the_pixel_limit_is_refused(
    tmp_path: Path, side: int, refused: bool
) -> None:
    """A small file can declare a huge image; the limit is 8192x8192 pixels, exactly."""
    from synth.errors import InputError
    from synth.imaging.base_images import check_image

    bomb = tmp_path / "bomb.png"
    _gray_png(bomb, side, 8192 if side == 8193 else side)
    assert bomb.stat().st_size < 1 << 20
    if not refused:
        check_image(bomb)  # at the limit: accepted
        return
    with pytest.raises(InputError, match=rf"bomb\.png: too large to use as a base image \({side}x"):
        check_image(bomb)
    assert MAX_BASE_PIXELS == 8192 * 8192


@pytest.mark.slow
def test_a_base_image_bomb_from_the_cli(tmp_path: Path) -> None:
    bases = tmp_path / "bases"
    bases.mkdir()
    _gray_png(bases / "bomb.png", 13000, 13000)
    result = _synth("generate", "-o", str(tmp_path / "out"), "--base-dir", str(bases), *SMALL)
    assert result.returncode == 1
    assert "bomb.png: too large to use as a base image (13000x13000 pixels" in one_line(
        result.stderr
    )
    assert not (tmp_path / "out" / "images").exists()


@pytest.mark.slow
def test_a_fifo_in_the_base_folder(tmp_path: Path) -> None:
    bases = tmp_path / "bases"
    bases.mkdir()
    os.mkfifo(bases / "waiting.png")
    result = _synth("generate", "-o", str(tmp_path / "out"), "--base-dir", str(bases), *SMALL)
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        f"Error: {bases / 'waiting.png'}: not a regular file (a FIFO, a device or a folder); "
        "--base-dir takes image files"
    )


RUN = ["generate", "-p", "dents", "-n", "4000", "--size", "64", "--seed", "4", "--workers", "2"]


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


@pytest.mark.slow
def test_workers_leave_a_killed_run_nobody_reaps(tmp_path: Path) -> None:
    """A run killed with SIGKILL whose parent does not wait for it stays a zombie, which
    still answers kill(pid, 0): its workers must leave all the same."""
    out = tmp_path / "out"
    run = start([*RUN, "-o", str(out)], tmp_path)
    children = Path(f"/proc/{run.pid}/task/{run.pid}/children")
    wait_until(lambda: children.read_text().split() or run.poll() is not None, PATIENCE, "workers")
    workers = [int(p) for p in children.read_text().split()]
    assert workers, run.communicate()
    os.kill(run.pid, signal.SIGKILL)  # not reaped: the test waits for it only at the end
    wait_until(lambda: _state(run.pid) == "Z", PATIENCE, "the run to be a zombie")
    workers_gone = lambda: all(_state(w) in (None, "Z") for w in workers)  # noqa: E731
    wait_until(workers_gone, PATIENCE, "the workers to leave")
    finish(run, tmp_path, cleaned=False)


# --- messages -------------------------------------------------------------------------------

HOSTILE = "\x1b[31mred\x1b[0m\u2028\u2029\x07\r"


def test_keys_reach_the_terminal_escaped(tmp_path: Path) -> None:
    manifest = tmp_path / "m.manifest"
    manifest.write_text(json.dumps({"source-ref": "s3://b/a.png", HOSTILE: 1}) + "\n")
    result = synth_here("validate", str(manifest))
    assert result.returncode == 1
    for text in (result.stdout, result.stderr):
        assert not any(c in text for c in "\x1b\u2028\u2029\x07\r"), text
    assert "\\x1b[31mred" in result.stdout


def test_a_path_reaches_the_terminal_escaped(tmp_path: Path) -> None:
    result = synth_here("validate", str(tmp_path / f"{HOSTILE}.manifest"))
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert not any(c in line for c in "\x1b\u2028\u2029\x07\r")
    assert "no such manifest file" in line


def test_any_output_encoding(tmp_path: Path) -> None:
    manifest = tmp_path / "m.manifest"
    manifest.write_text('{"source-ref": "s3://b/é.png", "clé": "ü"}\n', encoding="utf-8")
    result = _synth("validate", str(manifest), env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "s3://b/\\xe9.png" in result.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["generate", "--bogus"], "Error: No such option '--bogus'"),
        (["generate", "--size", "x"], "Error: Invalid value for '--size'"),
        (
            ["generate", "--size", "5"],
            "Error: Invalid value for '--size': '5': each side must be from 64 to 4096 pixels",
        ),
        (
            ["generate", "--shard", "0/1000001"],
            "Error: Invalid value for '--shard': '0/1000001': the shard count must be from 1 to "
            "1,000,000",
        ),
        (["validate"], "Error: Missing argument 'MANIFESTS...'"),
        (["nope"], "Error: No such command 'nope'"),
    ],
)
def test_usage_errors_are_one_line(args: list[str], said: str) -> None:
    result = synth_here(*args)
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert line.startswith(said)
    assert line.endswith("--help`")


def test_validate_an_empty_path() -> None:
    result = synth_here("validate", "")
    assert result.returncode == 2
    assert one_line(result.stderr) == "Error: an empty manifest path; give a manifest file"


@pytest.mark.parametrize(
    "args",
    [
        ["generate", "-p", "dents", "-n", "2", "--size", "64", "-o", ""],
        ["merge", ""],
        ["suite", "-o", ""],
        ["preview", "-n", "1", "--size", "64", "-o", ""],
        ["generate", "-n", "2", "--base-dir", ""],
        ["validate", "x.manifest", "--root", ""],
    ],
    ids=lambda args: args[0] + "-" + args[-2],
)
def test_an_empty_path_is_refused_not_read_as_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """`-o "$UNSET"` is a usage error: Path("") is the current folder, where a run would
    write its dataset (and suite replace its cases/) though nobody named it."""
    monkeypatch.chdir(tmp_path)
    result = synth_here(*args)
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert line.startswith("Error: Invalid value for ")
    assert ": an empty path; name a " in line
    assert list(tmp_path.iterdir()) == []


def test_a_run_in_a_thread_still_works(tmp_path: Path) -> None:
    """Signals are held only in the main thread: a run elsewhere publishes as usual."""
    errors: list[BaseException] = []

    def work() -> None:
        try:
            generate("dents", out=tmp_path, count=2, width=64, height=64)
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(60)
    assert not errors
    assert (tmp_path / "dataset.json").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("given", ["./nope.toml", "presets/nope.toml", "nope.toml"])
def test_a_missing_preset_file_is_called_missing(tmp_path: Path, given: str) -> None:
    result = _synth("generate", "-p", given, "-o", str(tmp_path / "out"), *SMALL, cwd=tmp_path)
    assert result.returncode == 1
    assert one_line(result.stderr) == f"Error: {Path(given)}: no such preset file"


def test_a_preset_an_editor_saved_with_a_byte_order_mark(tmp_path: Path) -> None:
    from synth.config.preset import load_preset

    preset = tmp_path / "bom.toml"
    preset.write_bytes(b"\xef\xbb\xbf[image]\r\nwidth = 64\r\nheight = 64\r\n")
    assert load_preset(preset).width == 64


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["generate", "-n", "1", "--size", "64", "-o", "s3://bucket/p"], True),
        (["merge", "s3://bucket/p"], False),
        (["validate", "s3://bucket/p/train.manifest"], False),
    ],
)
def test_the_mock_is_offered_only_where_it_exists(args: list[str], hint: bool) -> None:
    bare = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    bare |= {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    bare |= {"AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"}
    result = _synth(*args, "--endpoint-url", "http://127.0.0.1:9", env=bare)
    line = one_line(result.stderr)
    assert "no AWS credentials found" in line
    assert line.endswith("(or use --mock-s3)") == hint


def _flat(height: int, width: int, rng: object) -> object:
    import numpy as np

    return np.full((height, width, 3), 0.5, np.float32)


def test_one_broken_plugin_breaks_only_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plugin that fails to load is named where it is asked for; every other entry, and
    every command that does not use it, works on."""
    from importlib import metadata

    from synth import registry
    from synth.imaging.textures.base import Texture

    group = "synth.test-textures"
    points = [
        metadata.EntryPoint("broken", "no_such_module_for_synth:thing", group),
        metadata.EntryPoint("exits", "sys:exit", group),  # a function that raises SystemExit
        metadata.EntryPoint("good", f"{__name__}:GOOD", group),
    ]
    monkeypatch.setattr(metadata, "entry_points", lambda group: points)
    textures = registry.Registry(group, "texture", "synth.imaging.textures.base:Texture", None)
    assert textures.names() == ("good",)
    assert isinstance(textures.get_entry("good"), Texture)
    with pytest.raises(
        registry.RegistryError,
        match=r"^texture 'broken' from 'no_such_module_for_synth:thing' failed to load: No mod",
    ):
        textures.get_entry("broken")
    with pytest.raises(registry.RegistryError, match=r"^texture 'exits' from 'sys:exit' failed"):
        textures.get_entry("exits")


@pytest.mark.parametrize(
    ("kind", "texture", "layout", "painter"),
    [
        ("painter", "painted", "lfv", "broken"),
        ("texture", "broken", "lfv", "dent"),
        ("layout", "painted", "broken", "dent"),
    ],
    ids=["painter", "texture", "layout"],
)
def test_a_preset_naming_a_broken_plugin_gets_its_failure(
    kind: str,
    texture: str,
    layout: str,
    painter: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The preset names the plugin rightly: the line says why it failed to load, not that
    it is unknown (which would send the user looking for a typo)."""
    from importlib import metadata

    from synth import registry
    from synth.errors import PresetError

    chosen = {"painter": registry.PAINTERS, "texture": registry.TEXTURES}.get(
        kind, registry.LAYOUTS
    )
    point = metadata.EntryPoint("broken", "no_such_module_for_synth:thing", chosen.group)
    monkeypatch.setattr(
        metadata, "entry_points", lambda group: [point] if group == chosen.group else []
    )
    chosen.load_built_in()
    for name, value in (("_loaded", False), ("_broken", {}), ("_entries", dict(chosen._entries))):
        monkeypatch.setattr(chosen, name, value)
    path = tmp_path / "p.toml"
    path.write_text(
        f'[image]\nwidth = 64\nheight = 64\ntextures = ["{texture}"]\n'
        f'[dataset]\ncount = 2\nlayout = "{layout}"\n'
        f'[[classes]]\nname = "blob"\ncolor = "#ff0000"\npainter = "{painter}"\n'
    )
    with pytest.raises(PresetError) as raised:
        load_preset(str(path))
    where = {"painter": "classes[0].painter", "texture": "image.textures"}.get(
        kind, "dataset.layout"
    )
    assert str(raised.value) == (
        f"{path}: {where}: {kind} 'broken' from 'no_such_module_for_synth:thing' failed to "
        "load: No module named 'no_such_module_for_synth'"
    )


def _good() -> object:
    from synth.imaging.textures.base import Texture

    return Texture("good", _flat)


GOOD = _good


def test_a_preview_holds_one_image_at_full_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each image is fitted to its tile as it is rendered: what the sheet is made from
    is tiles, so memory does not grow by a full image and mask per image (`preview -n 64
    --size 4096` once peaked at 6.4 GB)."""
    preset = load_preset("mixed").with_overrides(width=512, height=512)
    held: list[int] = []
    real = preview_module.contact_sheet

    def sheet(tiles: Any, **options: Any) -> Any:
        held.append(tracemalloc.get_traced_memory()[0])  # all that the renders left behind
        return real(tiles, **options)

    monkeypatch.setattr(preview_module, "contact_sheet", sheet)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        preview_module.preview(preset, count=6, tile=64)
    finally:
        tracemalloc.stop()
    full_pair = 2 * 512 * 512 * 3  # one image and its RGB mask at full size
    assert held[0] - before < full_pair, held[0] - before


def test_a_sheet_of_fitted_tiles_is_the_sheet_of_full_images() -> None:
    """Fitting as the images come changes no pixel: the mask's labels are fitted before
    they are colored, by nearest neighbour, as the colored mask was."""
    preset = load_preset("mixed").with_overrides(width=320, height=256)
    colors = palette(preset)
    spec = next(s for s in (image_spec(preset, 0, i) for i in range(20)) if s.anomalous)
    rendered = render(preset, spec, 0)
    full = (rendered.image, mask_to_rgb(rendered.labels, colors))
    labels = fitted(rendered.labels, 64, exact=True)
    small = (fitted(rendered.image, 64), mask_to_rgb(labels, colors))
    assert small[0].shape == (51, 64, 3)
    assert np.array_equal(
        np.asarray(contact_sheet([full], tile=64)), np.asarray(contact_sheet([small], tile=64))
    )


# ---- validate holds one line of at most MAX_LINE_BYTES ----------------------------------


def _line_of(size: int) -> bytes:
    """A JSON object line of exactly `size` bytes (its newline not counted)."""
    head, tail = b'{"source-ref": "s3://bucket/', b'.png"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


_NEXT = _line_of(200)  # the line after the long one: read from its first byte


def _line_findings(data: bytes, kind: str) -> dict[int, list[tuple[str, str]]]:
    """The findings of each line of `data`, given to the validator as `kind`."""
    from synth.validate import iter_findings

    source: Any = {
        "bytes": data,
        "text": data.decode(),
        "stream": io.BytesIO(data),
        "text stream": io.StringIO(data.decode()),
        "lines": data.splitlines(keepends=True),
    }[kind]
    found: dict[int, list[tuple[str, str]]] = {}
    for finding in iter_findings(source):
        if finding.line is not None:
            found.setdefault(finding.line, []).append((finding.rule, finding.severity.value))
    return found


@pytest.mark.parametrize("kind", ["bytes", "text", "stream", "text stream", "lines"])
def test_a_line_past_the_line_limit_is_one_finding_and_skipped(kind: str) -> None:
    """A line of MAX_LINE_BYTES is read and judged; one byte more is one error naming the
    line, its rest skipped unread, and the next line read from its first byte."""
    from synth.validate.parse import MAX_LINE_BYTES

    at = _line_findings(_line_of(MAX_LINE_BYTES) + b"\n" + _NEXT + b"\n", kind)
    assert ("manifest.line-length", "warning") in at[1]  # over the service's 8,192: judged
    assert ("source-ref.uri", "error") not in at[1]
    past = _line_findings(_line_of(MAX_LINE_BYTES + 1) + b"\n" + _NEXT + b"\n", kind)
    assert past[1] == [("manifest.line-length", "error")]
    assert past[2] == at[2]


def test_a_long_line_ending_a_file_without_a_newline_is_one_finding(tmp_path: Path) -> None:
    from synth.validate.parse import MAX_LINE_BYTES

    path = tmp_path / "train.manifest"
    path.write_bytes(_NEXT + b"\n" + _line_of(MAX_LINE_BYTES + 1))
    result = synth_here("validate", str(path))
    assert (result.returncode, result.stderr) == (1, "")
    [line] = [out for out in result.stdout.splitlines() if out.startswith(f"{path}:2:")]
    assert line == (
        f"{path}:2: error: manifest.line-length: the line is over {MAX_LINE_BYTES:,} bytes, "
        "the longest line read (the service's entries hold at most 8,192 characters): the "
        "rest of it was not read"
    )


def test_a_long_first_line_cut_inside_a_character_is_still_text() -> None:
    """The first line's head, cut at the limit, may end inside a UTF-8 character: it is
    still judged text (a manifest), not 'not UTF-8'."""
    from synth.validate import iter_findings
    from synth.validate.parse import MAX_LINE_BYTES

    line = b'{"a": "' + "é".encode() * MAX_LINE_BYTES + b'"}\n'
    assert [f.rule for f in iter_findings(line) if f.line == 1] == ["manifest.line-length"]


_PEAK = """
import resource, subprocess, sys
with open("stdout", "wb") as out, open("stderr", "wb") as err:
    code = subprocess.run(sys.argv[1:], stdout=out, stderr=err, timeout=300).returncode
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""
# validate's peak whatever the input: the interpreter and its modules (about 40 MiB), and
# one line of MAX_LINE_BYTES parsed (a line of 400,000 distinct keys, the costliest).
VALIDATE_PEAK_MIB = 256


def _keys_line(size: int) -> bytes:
    """A line of `size` bytes that costs the most to parse: distinct keys."""
    keys, total = [], 2
    while total < size - 16:
        keys.append(b'"%x":0' % len(keys))
        total += len(keys[-1]) + 1
    return b"{" + b",".join(keys).ljust(size - 2) + b"}"


@pytest.mark.slow
@pytest.mark.parametrize("given", ["300 MB line", "keys at the limit", "/dev/zero", "FIFO"])
def test_validate_memory_is_bounded_whatever_the_input(tmp_path: Path, given: str) -> None:
    """A 300 MB manifest of one line without a newline peaked at 1.2 GB, /dev/zero at
    2.1 GB (lines were held whole): now one finding, and the peak under the bound."""
    from synth.validate.parse import MAX_LINE_BYTES

    path, feeder, said = tmp_path / "train.manifest", None, "manifest.line-length"
    if given == "300 MB line":
        with path.open("wb") as handle:
            handle.write(b'{"source-ref": "s3://bucket/')
            for _ in range(300):
                handle.write(b"x" * 1_000_000)
    elif given == "keys at the limit":  # read and judged: no error but the missing fields
        line = _keys_line(MAX_LINE_BYTES)
        assert len(line) == MAX_LINE_BYTES
        path.write_bytes(line + b"\n")
        said = "source-ref.missing"
    else:
        said = "manifest.encoding"  # the file holds binary data
        if given == "/dev/zero":
            path = Path("/dev/zero")
        else:  # a FIFO fed zeros for ever
            os.mkfifo(path)
            feeder = subprocess.Popen(["sh", "-c", f"exec cat /dev/zero > {path}"])
    result = subprocess.run(
        [sys.executable, "-c", _PEAK, *SYNTH, "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        cwd=tmp_path,
    )
    if feeder is not None:
        assert feeder.wait(timeout=PATIENCE) != 0  # its reader gone: nothing left running
    code, peak_kib = map(int, result.stdout.split())
    assert code == 1
    assert peak_kib / 1024 < VALIDATE_PEAK_MIB, peak_kib
    assert (tmp_path / "stderr").read_text() == ""
    errors = [
        line.split(": ")[2]
        for line in (tmp_path / "stdout").read_text().splitlines()
        if ": error: " in line
    ]
    assert errors[0] == said, errors
    if given != "keys at the limit":
        assert errors == [said]
