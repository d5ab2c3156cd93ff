"""Signals and dead workers: a run stopped at any point leaves no half dataset behind."""

from __future__ import annotations

import os
import random
import signal
import subprocess
from pathlib import Path

import pytest

from tests.helpers import files_of
from tests.invariants import (
    INJECT,
    PATIENCE,
    assert_whole_or_nothing,
    finish,
    one_line,
    published_manifests,
    start,
    wait_until,
)

# Runs of synth stopped by signals, each a process tree of its own: the slower tier.
pytestmark = pytest.mark.slow

# Long enough that the signal lands mid-run; the tests stop it early.
RUN = ["generate", "-p", "dents", "-n", "4000", "--size", "64", "--seed", "4", "--workers", "2"]


def _images(root: Path) -> int:
    folder = root / "images"
    return len(list(folder.iterdir())) if folder.is_dir() else 0


def _running(out: Path, tmp_path: Path, images: int) -> subprocess.Popen[str]:
    """A long run into `out`, once it has written `images` images and is still going."""
    run = start([*RUN, "-o", str(out)], tmp_path)
    wait_until(lambda: _images(out) >= images or run.poll() is not None, PATIENCE, "images")
    assert run.poll() is None, run.communicate()
    return run


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
@pytest.mark.parametrize("seed", [1, 2])
def test_signal_at_a_random_point(tmp_path: Path, signum: int, status: int, seed: int) -> None:
    out = tmp_path / "out"
    after = random.Random(seed).randrange(1, 20)  # images written before the signal
    run = _running(out, tmp_path, after)
    os.kill(run.pid, signum)
    code, stderr = finish(run, tmp_path)
    assert code == status
    assert one_line(stderr).startswith(f"synth: stopped by {signal.Signals(signum).name}")
    assert not assert_whole_or_nothing(out)


# SIGTERM too: a forked worker must not run the run's own handler (which stops a run).
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["KILL", "TERM"])
def test_killed_worker_is_one_line(tmp_path: Path, signum: int) -> None:
    out = tmp_path / "out"
    run = _running(out, tmp_path, 2)
    workers = _workers(run)
    assert workers, "no worker processes found"
    os.kill(workers[0], signum)
    code, stderr = finish(run, tmp_path)
    assert code == 1
    assert "a worker process died" in one_line(stderr)
    assert "--workers" in stderr
    assert not assert_whole_or_nothing(out)


def test_workers_leave_when_the_run_is_killed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = _running(out, tmp_path, 2)
    assert _workers(run)
    run.kill()
    run.wait(timeout=PATIENCE)
    # SIGKILL runs no cleanup: the workers must notice on their own that the run is gone.
    finish(run, tmp_path, cleaned=False)
    assert not published_manifests(out)
    # The dead run's claim is stale: the next run takes the folder over.
    rerun = start([*RUN, "-n", "4", "-o", str(out), "--overwrite"], tmp_path)
    code, _ = finish(rerun, tmp_path, cleaned=False)
    assert code == 0
    assert assert_whole_or_nothing(out)


def _workers(run: subprocess.Popen[str]) -> list[int]:
    """The run's workers: forked from the run, its one thread, so its children."""
    wait_until(lambda: _children(run.pid) or run.poll() is not None, PATIENCE, "workers")
    assert run.poll() is None, run.communicate()
    return _children(run.pid)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []


# After the command's outcome is decided: its last call, and the interpreter's exit (where
# Python puts back the default action of the signals it handles: SIGTERM killed the run
# silently with 143, or its handler printed a traceback).
AFTER_POINTS = [("sys:exit", 1), ("threading:_shutdown", 1)]


@pytest.mark.parametrize(("target", "nth"), AFTER_POINTS)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_signal_after_the_outcome_leaves_it(
    tmp_path: Path, target: str, nth: int, signum: signal.Signals
) -> None:
    args = ["generate", "-p", "mixed", "-n", "4", "--size", "64", "--seed", "7"]
    clean = start([*args, "-o", str(tmp_path / "clean")], tmp_path)
    clean_out, _ = clean.communicate(timeout=PATIENCE)
    clean_code, clean_err = finish(clean, tmp_path)
    out = tmp_path / "out"
    run = start([target, str(nth), signum.name, *args, "-o", str(out)], tmp_path, program=INJECT)
    stdout, _ = run.communicate(timeout=PATIENCE)
    code, stderr = finish(run, tmp_path)
    assert clean_code == 0
    said = clean_out.replace(str(tmp_path / "clean"), str(out))
    assert (code, stderr, stdout) == (clean_code, clean_err, said)
    assert files_of(out) == files_of(tmp_path / "clean")


AT_IMPORT = Path(__file__).parent / "inject_import"


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("command", ["generate", "merge"])
def test_a_signal_as_synth_starts_is_its_one_line(tmp_path: Path, name: str, command: str) -> None:
    """A signal landing as synth imports its command line (click), before the command's
    handlers could exist, stops it with one line and 128 + the signal, and nothing was
    written: a SIGTERM killed it silently (143, no line), a SIGINT printed a traceback."""
    out = tmp_path / "out"
    args = ["generate", "-p", "dents", "-n", "2", "--size", "64", "-o", str(out)]
    run = start(
        args if command == "generate" else ["merge", str(out)],
        tmp_path,
        PYTHONPATH=os.pathsep.join(filter(None, [str(AT_IMPORT), os.environ.get("PYTHONPATH")])),
        SYNTH_TEST_SIGNAL_AT_IMPORT=f"click {name}",
    )
    code, stderr = finish(run, tmp_path)
    signum = signal.Signals[name]
    assert code == 128 + signum, stderr
    assert one_line(stderr) == f"synth: stopped by {name}"
    assert not out.exists()
