"""Hostile inputs and outputs: one readable line and a non-zero exit, never a traceback."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import pty
import re
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import zlib
from pathlib import Path

import pytest

from synth.config.preset import builtin_presets, load_preset
from synth.errors import OutputError, PresetError
from synth.run.generate import generate
from synth.validate import validate_manifest
from synth.validate.findings import format_text
from tests.helpers import png_of
from tests.invariants import (
    PATIENCE,
    SYNTH,
    assert_whole_or_nothing,
    one_line,
    session_processes,
    synth_here,
    wait_until,
)

SMALL = ["-n", "3", "--size", "64"]


def _synth(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SYNTH, *args], capture_output=True, text=True, timeout=PATIENCE, **kwargs
    )  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data")
    generate("dents", out=root, count=3, width=64, height=64)
    return root / "train.manifest"


def test_shard_count_zero() -> None:
    result = synth_here("generate", "--shard", "0/0")
    assert result.returncode == 2
    assert "the shard count must be from 1 to 1,000,000" in result.stderr


def test_validate_a_folder_names_the_problem(manifest: Path) -> None:
    result = synth_here("validate", str(manifest.parent))
    assert result.returncode == 2
    assert "is a folder; give a manifest file" in one_line(result.stderr)


def test_validate_standard_input(manifest: Path) -> None:
    result = synth_here("validate", "-", input=manifest.read_text())
    assert (result.returncode, result.stderr) == (0, "")
    assert all(line.startswith("-:") for line in result.stdout.splitlines())


def test_validate_a_fifo(manifest: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_bytes, args=(manifest.read_bytes(),))
    writer.start()
    result = synth_here("validate", str(fifo))
    writer.join(60)
    assert (result.returncode, result.stderr) == (0, "")


def test_validate_dev_null_is_an_empty_manifest() -> None:
    result = synth_here("validate", "/dev/null")
    assert result.returncode == 1
    assert "manifest.empty" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("command", ["validate", "generate"])
def test_a_full_standard_output_is_not_blamed_on_the_input(
    manifest: Path, tmp_path: Path, command: str
) -> None:
    broken = tmp_path / "broken.manifest"
    broken.write_text("not json\n" * 5000)
    args = [str(broken)] if command == "validate" else ["-o", str(tmp_path / "out"), *SMALL]
    with Path("/dev/full").open("w") as full:
        result = subprocess.run(
            [*SYNTH, command, *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=PATIENCE,
        )
    assert result.returncode in (1, 2)
    # generate prints its summary after the publish: the line says the dataset was made.
    published = f" ({tmp_path / 'out'} was published in full)" if command == "generate" else ""
    assert one_line(result.stderr) == (
        f"Error: standard output: cannot write (No space left on device){published}"
    )


@pytest.mark.parametrize("flag", ["--help", "-h", "--version"])
def test_the_groups_own_flags_on_a_full_standard_output(flag: str) -> None:
    """The group's eager --help and --version write before any command's run: a full
    stdout is the same one line as a command's (it was a traceback)."""
    with Path("/dev/full").open("w") as full:
        result = subprocess.run(
            [*SYNTH, flag], stdout=full, stderr=subprocess.PIPE, text=True, timeout=PATIENCE
        )
    assert (result.returncode, result.stderr) == (
        1,
        "Error: standard output: cannot write (No space left on device)\n",
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["validate", "x.manifest"], "synth: stopped by SIGINT"),
        (["generate", "-o", "out"], "synth: stopped by SIGINT; nothing was published"),
    ],
)
def test_a_stopped_command_speaks_of_publishing_only_if_it_publishes(
    monkeypatch: pytest.MonkeyPatch, args: list[str], said: str
) -> None:
    """validate publishes nothing, ever: its stop says so by saying nothing of it."""
    import synth.run.generate
    import synth.validate

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(synth.validate, "report", interrupted)
    monkeypatch.setattr(synth.run.generate, "write", interrupted)
    result = synth_here(*args)
    assert (result.returncode, one_line(result.stderr)) == (130, said)


def test_a_key_with_a_line_break_stays_one_line(manifest: Path) -> None:
    line = manifest.read_text().splitlines()[0].replace('"source-ref"', '"source\\nref"', 1)
    findings = validate_manifest(line + "\n")
    assert findings
    for text in format_text(findings, "m"):
        assert "\n" not in text


@pytest.mark.slow
def test_python_callers_read_keyword_names(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(OutputError) as caught:
        generate("dents", out=tmp_path, count=2)
    assert "overwrite=True" in str(caught.value)
    assert "--overwrite" not in str(caught.value)
    result = _synth("generate", "-o", str(tmp_path), *SMALL)
    assert "pass --overwrite" in one_line(result.stderr)


@pytest.mark.slow
def test_preview_with_an_unknown_suffix(tmp_path: Path) -> None:
    result = _synth("preview", "-n", "1", "--size", "64", "-o", str(tmp_path / "p.xyz"))
    assert result.returncode == 1
    assert "'.xyz'" in one_line(result.stderr)
    assert not (tmp_path / "p.xyz").exists()


def test_preview_into_a_folder_that_is_a_file(tmp_path: Path) -> None:
    """Saving fails, and so does removing what it left: still one line, the first cause."""
    (tmp_path / "afile").write_text("mine")
    out = tmp_path / "afile" / "p.png"
    result = synth_here("preview", "-n", "1", "--size", "64", "-o", str(out))
    assert result.returncode == 1
    assert one_line(result.stderr) == f"Error: {out}: cannot write (Not a directory)"
    assert (tmp_path / "afile").read_text() == "mine"


def _png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


@pytest.mark.slow
def test_a_decompression_bomb_base_image(tmp_path: Path) -> None:
    bases = tmp_path / "bases"
    bases.mkdir()
    (bases / "huge.png").write_bytes(_png_header(20000, 20000))
    result = _synth("generate", "-o", str(tmp_path / "out"), "--base-dir", str(bases), *SMALL)
    assert result.returncode == 1
    assert "huge.png: too large to use as a base image" in one_line(result.stderr)


def test_workers_are_capped_with_a_note(tmp_path: Path) -> None:
    result = synth_here("generate", "-o", str(tmp_path / "out"), "--workers", "100000", *SMALL)
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


@pytest.mark.slow
def test_file_size_limit_while_spooling(tmp_path: Path) -> None:
    """`ulimit -f`: the manifests' spool is the only file written (objects go to moto)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    result = subprocess.run(
        [*SYNTH, "generate", "-o", "s3://demo/p", "--mock-s3", "-n", "12", "--size", "64"],
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        preexec_fn=limit,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert result.returncode == 1
    assert one_line(result.stderr).startswith(
        "Error: s3://demo/p/: cannot spool its manifests in TMPDIR ("
    )
    assert one_line(result.stderr).endswith(
        ": File too large); raise the file size limit (ulimit -f); nothing was published"
    )
    assert not list(tmp_path.iterdir())


def _pages(root: Path) -> int:
    """The 4 KiB pages a tmpfs gives the files under `root`."""
    return sum(-(-path.stat().st_size // 4096) for path in root.rglob("*") if path.is_file())


def _on_a_small_disk(tmp_path: Path, pages: int, script: str) -> int:
    """`script` (sh) where `tmp_path/disk` is a tmpfs of `pages` pages, in a user and
    mount namespace of its own (the disk is gone after); its exit status, once every
    process of its session is gone."""
    (tmp_path / "disk").mkdir()
    mount = f"mount -t tmpfs -o size={pages * 4096} tmpfs {tmp_path / 'disk'}"
    process = subprocess.Popen(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", f"{mount} && {script}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    process.wait(timeout=PATIENCE)
    wait_until(lambda: not session_processes(process.pid), PATIENCE, "the run's processes")
    return process.returncode


def _can_mount_a_tmpfs(tmp_path: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    return _on_a_small_disk(tmp_path, 1, "true") == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("extra_pages", "said"),
    [
        # Objects and the lock fit; the manifests' spool, in TMPDIR on the same disk, does not.
        (
            0,
            "{out}: no space left on the output's disk (No space left on device), where "
            "TMPDIR spools the manifests too; free space on it or write elsewhere; nothing was "
            "published",
        ),
        # The spool fits too; publishing the manifests into the output does not.
        (
            3,
            "{out}/defects.jsonl: cannot write (No space left on device); free space on its "
            "disk or write elsewhere; nothing was published",
        ),
    ],
)
def test_a_full_output_disk_names_the_output(tmp_path: Path, extra_pages: int, said: str) -> None:
    """Output and TMPDIR on one small disk (a tmpfs) that fills up: the one line names
    the output the user asked for and what to do, never the spool's temporary name."""
    (tmp_path / "probe").mkdir()
    if not _can_mount_a_tmpfs(tmp_path / "probe"):
        pytest.skip("no user namespace to mount a tmpfs in")
    args = ["generate", "-p", "mixed", "-n", "4", "--size", "64", "-s", "3"]
    reference = tmp_path / "reference"
    assert _synth(*args, "-o", str(reference)).returncode == 0
    objects = _pages(reference / "images") + _pages(reference / "masks")
    disk, copy = tmp_path / "disk", tmp_path / "copy"
    out, tmpdir = disk / "out", disk / "tmp"
    synth = " ".join(SYNTH + args)
    script = (
        f"mkdir {tmpdir} && TMPDIR={tmpdir} {synth} -o {out} 2>{tmp_path / 'stderr'}; "
        f"echo $? >{tmp_path / 'status'}; cp -a {disk} {copy}"
    )
    # The lock's page and the journal's are the run's until it ends: they count too.
    assert _on_a_small_disk(tmp_path, objects + 2 + extra_pages, script) == 0
    assert (tmp_path / "status").read_text().strip() == "1"
    stderr = (tmp_path / "stderr").read_text()
    assert one_line(stderr) == "Error: " + said.format(out=out)
    assert not assert_whole_or_nothing(copy / "out")  # nothing published, no lock, no .partial
    assert not list((copy / "tmp").iterdir())  # the spool is gone


def test_a_full_disk_while_spooling_names_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC injected into the spool's writes, TMPDIR on the output's disk (where no
    user namespace gives a tmpfs, this still runs): the output is named, not the spool."""
    from synth.annotate import manifest

    def full(*_: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(manifest.ManifestSpool, "_append", full)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    out = tmp_path / "out"
    with pytest.raises(OutputError) as caught:
        generate("dents", out=out, count=2, width=64, height=64)
    assert str(caught.value) == (
        f"{out}: no space left on the output's disk (No space left on device), where TMPDIR "
        "spools the manifests too; free space on it or write elsewhere; nothing was published"
    )
    assert not out.exists()  # the output the run made, and the spool, are gone
    assert not list(tmp_path.iterdir())


# `synth` with its uploads slowed down as a remote bucket's are: they lag behind the
# images, so the upload bar still moves when the images are done.
_SLOW_UPLOADS = """
import sys, time
from synth.output import s3
real = s3.S3Sink._put
def slow(self, *args):
    time.sleep(0.05)
    return real(self, *args)
s3.S3Sink._put = slow
from synth.cli import main
sys.argv[0] = "synth"
main()
"""


def _screen(output: bytes, columns: int) -> list[str]:
    """The rows a terminal `columns` wide shows after `output`: text, carriage return,
    line feed, cursor up and erase to the end of the line, which is what bars write."""
    rows: list[list[str]] = [[]]
    row = column = 0
    text = output.decode("utf-8", "replace")
    at = 0
    while at < len(text):
        if text[at] == "\x1b":
            escape = re.match(r"\x1b\[(\d*)([A-Za-z])", text[at:])
            assert escape is not None, text[at : at + 8]
            if escape[2] == "A":
                row = max(0, row - int(escape[1] or 1))
            elif escape[2] == "K":
                del rows[row][column:]
            at += len(escape[0])
            continue
        char = text[at]
        at += 1
        if char == "\r":
            column = 0
            continue
        if char == "\n" or column == columns:  # a line feed, or a line that wraps
            row += 1
            rows += [[] for _ in range(row + 1 - len(rows))]
            if char == "\n":
                continue
            column = 0
        line = rows[row]
        line += [" "] * (column + 1 - len(line))
        line[column] = char
        column += 1
    return ["".join(line).rstrip() for line in rows]


@pytest.mark.slow
def test_the_summary_is_not_printed_over_a_bar(tmp_path: Path) -> None:
    """On a terminal, `--mock-s3` (an upload bar below the run's) ends with the run's bar
    and the summary, each on a row of its own: no bar is left half overwritten."""
    args = ["generate", "-p", "dents", "-n", "8", "--size", "64", "-o", "s3://demo/p"]
    plain = _synth(*args, "--mock-s3", "--concurrency", "1")
    assert plain.returncode == 0, plain.stderr
    summary = plain.stdout.splitlines()
    pid, terminal = pty.fork()
    if pid == 0:  # the child: synth on the terminal
        os.execv(sys.executable, [sys.executable, "-c", _SLOW_UPLOADS, *args, "--mock-s3",
                                  "--concurrency", "1"])  # fmt: skip
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    shown = b""
    with contextlib.suppress(OSError):  # EIO once the child is gone
        while data := os.read(terminal, 65536):
            shown += data
    _, status = os.waitpid(pid, 0)
    os.close(terminal)
    assert os.waitstatus_to_exitcode(status) == 0, shown
    screen = _screen(shown, 100)
    assert [row for row in screen if "generate:" in row] == [screen[0]], screen
    assert screen[0].startswith("generate: 100%"), screen
    assert not [row for row in screen if "upload" in row], screen
    assert screen[1 : 1 + len(summary)] == summary, screen


def test_validate_keeps_its_verdict_when_the_reader_stops_early(tmp_path: Path) -> None:
    """`synth validate m | head -3`: the rest of the findings go nowhere, the status is still
    the verdict (1: errors), and nothing is said about the reader leaving."""
    broken = tmp_path / "broken.manifest"
    broken.write_text("not json\n" * 20_000)  # findings beyond any pipe's buffer
    with subprocess.Popen(
        [*SYNTH, "validate", str(broken)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as run:
        assert run.stdout is not None
        assert run.stderr is not None
        assert run.stdout.readline().startswith(f"{broken}:1: error: manifest.json".encode())
        run.stdout.close()
        assert (run.wait(PATIENCE), run.stderr.read()) == (1, b"")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["merge", "out"], "--endpoint-url needs an s3://BUCKET/PREFIX OUT"),
        (["validate", "x.manifest"], "--endpoint-url needs an s3://BUCKET/KEY manifest"),
    ],
)
def test_an_endpoint_for_local_files_is_refused(args: list[str], said: str) -> None:
    result = synth_here(*args, "--endpoint-url", "http://127.0.0.1:9")
    assert result.returncode == 2
    assert one_line(result.stderr).startswith(f"Error: {said}")


def test_faults_naming_no_fault_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = synth_here("generate", "-o", str(out), "--broken", "0.5", "--faults", ",,,", *SMALL)
    assert result.returncode == 2
    assert "--faults names no fault" in one_line(result.stderr)
    assert not out.exists()


def test_a_lock_that_is_a_link_names_no_holder(tmp_path: Path) -> None:
    """The message names who holds a claim from the claim's `HOST PID` only: a lock made a
    link to some file does not print that file."""
    private = tmp_path / "private.txt"
    private.write_text("a private line\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".synth-lock").symlink_to(private)
    result = synth_here("generate", "-o", str(out), *SMALL)
    assert result.returncode == 1
    said = one_line(result.stderr)
    assert "private" not in said
    assert said.startswith(f"Error: {out}: another synth run (its lock names no holder)")


@pytest.mark.parametrize(("source", "said"), [("/dev/null", "image.width: is required")])
def test_a_preset_that_is_not_a_regular_file_is_read(source: str, said: str) -> None:
    """`-p /dev/null` or `-p <(make-preset)`: the file exists and is read, not called missing."""
    result = synth_here("generate", "-p", source, "-o", "out", *SMALL)
    assert result.returncode == 1
    assert one_line(result.stderr) == f"Error: {source}: {said}"


def test_a_preset_read_from_a_pipe(tmp_path: Path) -> None:
    preset = Path(__file__).parents[1] / "presets" / "dents.toml"
    out = tmp_path / "out"
    result = subprocess.run(
        [*SYNTH, "generate", "-p", "/dev/stdin", "-o", str(out), *SMALL],
        input=preset.read_text(),
        capture_output=True,
        text=True,
        timeout=PATIENCE,
    )
    assert result.returncode == 0, result.stderr
    assert (out / "train.manifest").is_file()


def test_a_folder_in_a_manifests_place_is_named(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "train.manifest").mkdir(parents=True)
    result = synth_here("generate", "-o", str(out), "--overwrite", *SMALL)
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        f"Error: {out / 'train.manifest'}: cannot publish (Is a directory); nothing was published"
    )


def _two_shards(out: Path) -> None:
    """Shards 0/2 and 1/2 of one small run in OUT, not merged."""
    for index in (0, 1):
        assert (
            synth_here("generate", "-o", str(out), "--shard", f"{index}/2", *SMALL).returncode == 0
        )


def test_a_part_that_is_not_a_file_is_named_so(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _two_shards(out)
    part = out / "shards" / "train.manifest.part-00001-of-00002"
    part.unlink()
    os.mkfifo(part)
    result = synth_here("merge", str(out))
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        f"Error: {part}: not a regular file; shard 1 is incomplete, make it again"
    )


def test_mock_s3_never_reaches_a_configured_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--mock-s3 is a dry run whatever the environment names: an endpoint set there (here a
    port nothing listens on) receives nothing, and the environment is as it was after."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.delenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", raising=False)
    result = synth_here("generate", "-o", "s3://dry/run", "--mock-s3", *SMALL)
    assert result.returncode == 0, result.stderr
    assert "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" not in os.environ


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("AWS_DEFAULT_REGION", "", "AWS_DEFAULT_REGION='': not an AWS region name"),
        ("AWS_ENDPOINT_URL", "notaurl", "AWS_ENDPOINT_URL='notaurl': not an endpoint URL"),
    ],
)
def test_an_endpoint_from_the_environment_is_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, said: str
) -> None:
    monkeypatch.setenv(variable, value)
    result = synth_here("validate", "s3://bucket/train.manifest")
    assert result.returncode == 2
    assert one_line(result.stderr).startswith(f"Error: {said}")


def test_a_preset_nested_too_deep(tmp_path: Path) -> None:
    preset = tmp_path / "deep.toml"
    preset.write_text("a=" + "[" * 2000 + "]" * 2000 + "\n")
    result = synth_here("generate", "-p", str(preset), "-o", str(tmp_path / "out"), *SMALL)
    assert result.returncode == 1
    assert (
        one_line(result.stderr)
        == f"Error: {preset}: not a preset: arrays or tables nested too deep"
    )


def test_a_base_image_far_from_the_images_shape(tmp_path: Path) -> None:
    """A 4,000,000x1 image is small to read, but covering 64x64 with it would resize it to
    320 million pixels: refused from its header, before anything is written."""
    bases = tmp_path / "bases"
    bases.mkdir()
    ihdr = struct.pack(">IIBBBBB", 4_000_000, 1, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\0" + b"\0" * 3 * 4_000_000)
    png = png_of([(b"IHDR", ihdr), (b"IDAT", rows), (b"IEND", b"")])
    (bases / "wide.png").write_bytes(png)
    out = tmp_path / "out"
    result = synth_here("generate", "--base-dir", str(bases), "-o", str(out), *SMALL)
    assert result.returncode == 1
    assert one_line(result.stderr).startswith(
        f"Error: {bases / 'wide.png'}: 4000000x1 pixels is too far from the images' shape (64x64)"
    )
    assert not out.exists()


def test_a_preset_is_read_up_to_its_size_limit(tmp_path: Path) -> None:
    """`-p` naming /dev/zero or a huge file: refused after reading past the limit, not read
    whole (a link to /dev/zero grew to 23 GB)."""
    from synth.config.preset import MAX_PRESET_BYTES

    preset = tmp_path / "zero.toml"
    preset.symlink_to("/dev/zero")
    result = synth_here("generate", "-p", str(preset), "-o", str(tmp_path / "out"), *SMALL)
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        f"Error: {preset}: over {MAX_PRESET_BYTES:,} bytes: not a preset"
    )


def test_a_shard_summary_is_read_up_to_its_size_limit(tmp_path: Path) -> None:
    from synth.run.merge import MAX_SUMMARY_BYTES

    out = tmp_path / "out"
    _two_shards(out)
    summary = out / "shards" / "part-00001-of-00002.json"
    os.truncate(summary, 1 << 40)  # a sparse terabyte: read whole, a MemoryError
    result = synth_here("merge", str(out))
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        f"Error: {summary}: not a shard summary (over {MAX_SUMMARY_BYTES:,} bytes); "
        "make that shard again"
    )


def test_a_palette_base_image_with_transparency_prints_no_warning(tmp_path: Path) -> None:
    """Pillow warns converting such an image to RGB; the warning is no line of synth's."""
    from PIL import Image

    bases = tmp_path / "bases"
    bases.mkdir()
    Image.new("P", (128, 128), 3).save(bases / "p.png", transparency=3)
    result = subprocess.run(
        [*SYNTH, "generate", "--base-dir", str(bases), "-o", str(tmp_path / "out"), *SMALL],
        capture_output=True,
        text=True,
        timeout=PATIENCE,
    )
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr


@pytest.mark.parametrize("where", ["flag", "preset"])
def test_a_count_past_the_limit_is_one_line(tmp_path: Path, where: str) -> None:
    """2**63 images overflowed the progress bar's length (a traceback)."""
    from synth.config.choices import MAX_COUNT

    huge = str(2**63)
    if where == "flag":
        args, said = ["-p", "dents", "-n", huge], f"is not in the range 1<=x<={MAX_COUNT}"
    else:
        preset = tmp_path / "big.toml"
        text = builtin_presets()["dents"].read_text()
        preset.write_text(text.replace("count = 200", f"count = {huge}"))
        args, said = ["-p", str(preset)], f"dataset.count: must be at most {MAX_COUNT:,}"
    result = synth_here("generate", *args, "--size", "64", "-o", str(tmp_path / "out"))
    assert result.returncode in (1, 2)
    [line] = result.stderr.splitlines()
    assert said in line
    assert not (tmp_path / "out").exists()


def test_summary_lines_escape_the_output_they_name(tmp_path: Path) -> None:
    """stdout's summary names the output as stderr's messages do: escaped, one line each."""
    out = tmp_path / "a\nb\u2028c\x07\x1b[31m"
    result = synth_here("generate", "-p", "dents", *SMALL, "-o", str(out))
    assert result.returncode == 0, result.stderr
    shown = str(tmp_path) + "/a\\nb\\u2028c\\x07\\x1b[31m"
    lines = result.stdout.splitlines()
    assert [line.partition(".manifest: ")[0] for line in lines] == [
        f"{shown}/train",
        f"{shown}/test",
    ]
