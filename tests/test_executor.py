"""How the run starts its workers: forked when that is safe, from a forkserver otherwise."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from synth.errors import SynthError
from synth.processes import alive
from synth.run import executor
from synth.run.executor import ordered_map, start_method
from synth.run.generate import generate
from tests.helpers import files_of

# A fresh process, as `synth generate` is: which start method, and threads left after a run
# with progress bars on (tqdm's own bars would leave a monitor thread, which rules fork out).
_FRESH = """
import sys, tempfile, threading
from synth.errors import SynthError
from synth.run import executor
from synth.run.executor import ordered_map, start_method
from synth.run.generate import generate
before = start_method()
with tempfile.TemporaryDirectory() as out:
    generate("dents", out=out, count=3, width=64, height=64, workers=2, progress=True)
print(before, threading.active_count())
"""


def _tagged(context: str, index: int) -> tuple[str, int]:
    return context, index


def _slow_tagged(context: str, index: int) -> tuple[str, int, int]:
    """Slow enough that the workers are still busy when the run could help."""
    time.sleep(0.002)
    return context, index, os.getpid()


@pytest.mark.parametrize("count", [1, 2, 5, 9])
@pytest.mark.parametrize("iterator", [False, True])
def test_results_come_in_index_order(count: int, iterator: bool) -> None:
    """Whatever the count (batches of any length), from a shard's range or an iterator."""
    indices = range(3, 3 + count)
    made = ordered_map(_tagged, "job", iter(indices) if iterator else indices, workers=2)
    assert list(made) == [("job", i) for i in indices]


@pytest.mark.parametrize("batch", [1, 3, 8])
def test_a_helping_run_makes_batches_itself_in_their_place(batch: int) -> None:
    """While its workers have their window's worth, the run makes the next batch itself:
    the results still in order, the run's batches among its workers'."""
    indices = range(400)
    forked = start_method() == "fork"  # else the run makes batches until its workers start
    made = list(
        ordered_map(_slow_tagged, "job", iter(indices), workers=2, batch=batch, helping=True)
    )
    assert [(context, index) for context, index, _ in made] == [("job", i) for i in indices]
    makers = [pid for _, _, pid in made]
    assert os.getpid() in makers, "the run helped"
    # Forked workers start before the first batch: the first window's batches are theirs.
    assert len(set(makers)) > 1 or not forked, "beside its workers"


def test_a_helping_run_sizes_its_batches_by_the_cpu_its_own_take() -> None:
    """As many items as it made in `_BATCH_SECONDS` of CPU, on average, 1 to `_MAX_BATCH`."""
    sizes = executor._Sizes(8)
    assert sizes.size == 8, "the size given, until the run has made a batch"
    sizes.made(8, 8 * executor._BATCH_SECONDS / 20)  # 20 items take _BATCH_SECONDS
    assert sizes.size == 20
    sizes.made(8, 0.0)  # 16 items in the same time: an average, not the last batch's
    assert sizes.size == 40
    sizes.made(1, 1000 * executor._BATCH_SECONDS)
    assert sizes.size == 1, "never none"
    free = executor._Sizes(8)
    free.made(8, 0.0)  # no CPU to tell by
    assert free.size == 8
    free.made(8, 1e-9)
    assert free.size == executor._MAX_BATCH


@pytest.fixture
def other_thread() -> Iterator[None]:
    """Another thread running, as in a program that has its own threads."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="other")
    thread.start()
    yield
    stop.set()
    thread.join()


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="fork is used on Linux only")
def test_a_single_threaded_run_forks_and_its_bars_start_no_thread() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _FRESH], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["fork", "1"]


@pytest.mark.usefixtures("other_thread")
def test_another_thread_means_a_forkserver() -> None:
    assert start_method() in ("forkserver", "spawn")


@pytest.mark.slow
@pytest.mark.usefixtures("other_thread")
def test_workers_from_a_forkserver_make_the_same_bytes(tmp_path: Path) -> None:
    options = {"seed": 6, "count": 6, "width": 64, "height": 64, "broken_fraction": 0.5}
    two = generate("mixed", out=tmp_path / "two", workers=2, **options)
    one = generate("mixed", out=tmp_path / "one", **options)
    assert files_of(Path(two.location)) == files_of(Path(one.location))


def test_workers_that_cannot_fork_are_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))

    monkeypatch.setattr(executor, "start_method", lambda: "fork")
    monkeypatch.setattr(os, "fork", no_fork)
    with pytest.raises(SynthError, match=r"cannot start worker processes \(.+\); a limit on pro"):
        list(ordered_map(_tagged, "job", range(4), workers=2))


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_killed_run_nobody_reaped_is_not_alive() -> None:
    """A zombie still answers kill(pid, 0); a worker whose run died before its watch began
    sees no change of parent either, so the zombie itself must read as dead."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert alive(child.pid)
        child.kill()
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # dead, and left unreaped
        assert not alive(child.pid)
    finally:
        child.wait()
