"""What every fault test checks afterwards: the invariants of "What synth guarantees"."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from synth.format import S3Uri
from synth.output.base import LOCK
from synth.output.folder import JOURNAL

SYNTH = [sys.executable, "-m", "synth"]
# Seconds a test waits for a condition before calling it a hang: far past what any load
# makes of a run here, so a busy machine slows a test down and never fails it.
PATIENCE = 300.0
INJECT = [sys.executable, "-m", "tests.inject"]  # synth, signalled at a chosen call


def synth_here(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """`synth ARGS` as `synth.cli.main` runs it (one line an error, the exit status), in
    this process: no interpreter to start; `input` is its standard input. Its signal
    handlers are undone after. What only a process shows (closed or redirected streams,
    signals, imports, the terminal's encoding) runs through SYNTH."""
    from click.testing import CliRunner

    from synth.cli import main

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGXFSZ)}
    argv, code = sys.argv, 0
    with CliRunner().isolation(input=input) as (stdout, stderr, _):
        sys.argv = ["synth", *args]
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        finally:
            sys.argv = argv
            for number, handler in handlers.items():
                signal.signal(number, handler)
        said = stdout.getvalue().decode(), stderr.getvalue().decode()
    return subprocess.CompletedProcess(["synth", *args], code, *said)


def published_manifests(root: Path) -> list[Path]:
    return sorted([*root.glob("*.manifest"), *root.glob("broken/*.manifest")])


def assert_whole_or_nothing(root: Path, reference: Path | None = None) -> bool:
    """ROOT holds no dataset, or one complete one; True if it holds one.

    Complete: dataset.json names manifests that are there, and every object the valid
    manifests reference is there, with the bytes of the same run in REFERENCE (not a
    foreign object of another run). No staged or lock file is left either way.
    """
    leftovers = [
        p
        for p in root.rglob("*")
        if p.name.endswith(".partial") or LOCK in p.name or p.name.startswith(JOURNAL)
    ]
    assert not leftovers, leftovers
    assert not empty_folders(root), empty_folders(root)
    description = root / "dataset.json"
    if not description.exists():
        assert not published_manifests(root), published_manifests(root)
        return False
    listed = json.loads(description.read_text())["manifests"]
    for uri in listed.values():
        assert (root / S3Uri.parse(uri).key).is_file(), uri
    for manifest in root.glob("*.manifest"):
        assert manifest.stem in listed, f"{manifest} is not in dataset.json"
        for line in manifest.read_text().splitlines():
            record = json.loads(line)
            uris = [record["source-ref"]] + [
                v for k, v in record.items() if k.endswith("-ref") and k != "source-ref"
            ]
            for uri in uris:
                key = S3Uri.parse(uri).key
                assert (root / key).is_file(), f"{manifest.name} references missing {key}"
                if reference is not None:
                    assert (root / key).read_bytes() == (reference / key).read_bytes(), key
    return True


def empty_folders(root: Path) -> list[Path]:
    """The folders below ROOT that hold nothing: a run removes those it made and left empty
    (a failed run's, merge's emptied shards/); a bucket has no empty folder either."""
    return [
        p for p in root.rglob("*") if p.is_dir() and not p.is_symlink() and not any(p.iterdir())
    ]


def session_processes(session: int) -> list[int]:
    """The processes still alive in a session (a run started with start_new_session)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == session and fields[0] != "Z":
            alive.append(int(entry.name))
    return alive


def wait_until(condition: object, timeout: float, what: str) -> None:
    """Poll CONDITION (a callable) until true; fail naming WHAT after TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def start(
    args: Sequence[str], tmp: Path, *, program: Sequence[str] = SYNTH, **env: str
) -> subprocess.Popen[str]:
    """`synth ARGS` in its own session, with TMPDIR a fresh folder linked at TMP/tmpdir.

    The folder itself has a short path: the forkserver's socket lives there, and
    AF_UNIX paths are short. `program`: what runs synth (tests.inject, to stop it at a
    chosen call).
    """
    if not (tmp / "tmpdir").exists():
        (tmp / "tmpdir").symlink_to(tempfile.mkdtemp(prefix="synth-t"))
    environment = {**os.environ, "TMPDIR": str((tmp / "tmpdir").resolve()), **env}
    return subprocess.Popen(
        [*program, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        start_new_session=True,
    )


def finish(
    process: subprocess.Popen[str], tmp: Path, timeout: float = PATIENCE, *, cleaned: bool = True
) -> tuple[int, str]:
    """Exit status and stderr, once the run and everything it started are gone.

    `cleaned`: the run could clean up (not SIGKILL), so its temporary files are gone too.
    """
    _, stderr = process.communicate(timeout=timeout)
    wait_until(lambda: not session_processes(process.pid), PATIENCE, "the run's processes to exit")
    left = list((tmp / "tmpdir").iterdir())
    shutil.rmtree((tmp / "tmpdir").resolve())
    (tmp / "tmpdir").unlink()
    if cleaned:
        assert not left, left
    return process.returncode, stderr


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]
