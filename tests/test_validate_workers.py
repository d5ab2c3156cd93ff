"""`validate --objects --workers N`: the same findings, byte for byte and in the same order,
for any number of workers, processes (a folder's objects) or threads (any other reader's);
and no worker outlives a validation killed."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synth.run.executor import ordered_map
from synth.run.generate import generate
from synth.validate import iter_project, report

_IMAGES = 30
# Faults of the objects, and a few of the lines and across them, in between.
_FAULTS = [
    *("image-missing", "image-not-an-image", "image-gif", "image-too-small"),
    *("image-file-too-large", "mask-missing", "mask-jpeg", "mask-wrong-size"),
    *("mask-stray-color", "mask-antialiased", "mask-rgba-transparent", "rgb-mask"),
    *("normal-with-defect-pixels", "mask-too-many-classes", "anomaly-empty-mask"),
    *("mask-rgba-alpha", "manifest.json", "source-ref.uri", "dataset.duplicate-image"),
]
# What may happen to an object on its way to a bucket: each breaks it for validate.
_DAMAGE: dict[str, Callable[[bytes], bytes | None]] = {
    "cut in half": lambda data: data[: len(data) // 2],
    "a byte after its end": lambda data: data + b"\0",
    "a byte changed": lambda data: data[:40] + bytes([data[40] ^ 0xFF]) + data[41:],
    "not an image": lambda data: b"not an image",
    "gone": lambda data: None,
}
_DAMAGES = st.lists(
    st.tuples(st.integers(0, 2 * _IMAGES - 1), st.sampled_from(sorted(_DAMAGE))), max_size=6
)


@pytest.fixture(scope="module")
def broken_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small dataset, most of its broken manifests' lines broken: their objects, and a
    few their fields or the dataset across them."""
    out = tmp_path_factory.mktemp("workers") / "dataset"
    generate(
        "mixed",
        out=str(out),
        count=_IMAGES,
        width=64,
        height=64,
        seed=3,
        broken_fraction=0.6,
        faults=_FAULTS,
        overwrite=True,
    )
    return out


def _manifests(root: Path) -> list[str]:
    return [str(root / "broken" / "train.manifest"), str(root / "broken" / "test.manifest")]


def _findings(root: Path, workers: int) -> str:
    """What `synth validate --objects --format json -j WORKERS` prints."""
    out = io.StringIO()
    report(
        _manifests(root),
        objects=True,
        fmt="json",
        out=out,
        workers=workers,
        processes=ordered_map,
    )
    return out.getvalue()


def _damaged(dataset: Path, folder: Path, damage: list[tuple[int, str]]) -> Path:
    """A copy of the dataset with some of its objects (by their place in name order) damaged."""
    copy = folder / "dataset"
    shutil.copytree(dataset, copy)
    objects = sorted(
        p for p in copy.rglob("*") if p.is_file() and p.parent.name in ("images", "masks")
    )
    for at, name in damage:
        path = objects[at % len(objects)]
        if not path.exists():
            continue
        changed = _DAMAGE[name](path.read_bytes())
        if changed is None:
            path.unlink()
        else:
            path.write_bytes(changed)
    return copy


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(damage=_DAMAGES)
def test_processes_find_what_one_process_finds_in_its_order(
    broken_dataset: Path, damage: list[tuple[int, str]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = _damaged(broken_dataset, Path(folder), damage)
        alone = _findings(root, 1)
        assert '"rule": "image.format"' in alone  # the objects are judged
        assert '"rule": "mask-image.' in alone
        assert _findings(root, 2) == alone
        assert _findings(root, 3) == alone


def test_threads_find_what_one_thread_finds_in_its_order(broken_dataset: Path) -> None:
    """Any reader but a folder's (S3, a mapping) is read by threads."""
    with tempfile.TemporaryDirectory() as folder:
        root = _damaged(broken_dataset, Path(folder), [(1, "cut in half"), (30, "a byte changed")])
        objects = {
            f"s3://{_bucket(root)}/{path.relative_to(root).as_posix()}": path.read_bytes()
            for path in root.rglob("*.png")
        }
        manifests = [(name, Path(name)) for name in _manifests(root)]
        alone = list(iter_project(manifests, objects=objects))
        assert any(f.rule == "image.format" for f in alone)
        assert list(iter_project(manifests, objects=objects, workers=2)) == alone


def _bucket(root: Path) -> str:
    return str(json.loads((root / "dataset.json").read_text())["preset"]["dataset"]["bucket"])


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_validation_leaves_no_worker_behind(
    broken_dataset: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    """Its workers started, the validation waits on a manifest still being written (a
    FIFO); killed then, it leaves no process behind."""
    fifo = tmp_path / "train.manifest"
    os.mkfifo(fifo)
    command = [sys.executable, "-m", "synth", "validate", "--objects", "-j", "2", str(fifo)]
    command += ["--root", str(broken_dataset)]
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with fifo.open("w") as writer:
        lines = (broken_dataset / "broken" / "train.manifest").read_text().splitlines(True)
        writer.writelines(lines[:3])
        writer.flush()
        deadline = time.monotonic() + 60
        while len(workers := _children(run.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(workers) >= 2, "the workers started"
        run.send_signal(sig)
        run.wait(timeout=30)
    deadline = time.monotonic() + 10
    while not all(_gone(worker) for worker in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(worker) for worker in workers)
