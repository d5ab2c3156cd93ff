"""The dask executor: workers write their own objects, the bytes of a local run, and a
cluster that fails mid-run leaves no dataset, no process and one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from synth.errors import SynthError
from synth.run.generate import generate
from tests.helpers import files_of
from tests.invariants import (
    PATIENCE,
    assert_whole_or_nothing,
    finish,
    one_line,
    session_processes,
    start,
    wait_until,
)
from tests.test_seaweedfs import KEYS, WEED, _client, keys, seaweed  # noqa: F401

# Clusters of worker processes, a real S3 server, runs killed mid-way: the slower tier.
pytestmark = pytest.mark.slow

DASK = str(Path(sys.executable).parent / "dask")
OPTIONS = {"count": 6, "width": 64, "height": 64, "seed": 8, "broken_fraction": 0.5}


def _distributed() -> ModuleType:
    """dask.distributed, imported where a test uses it: at the top, every xdist worker of
    `make test`, which runs none of these, imported it (about 1 CPU s each)."""
    return pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with _distributed().LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


@pytest.mark.parametrize("style", ["synth", "ground-truth"])
def test_dask_output_is_byte_identical(scheduler: str, style: str, tmp_path: Path) -> None:
    options = {**OPTIONS, "style": style}
    generate("mixed", out=tmp_path / "local", workers=2, **options)
    generate("mixed", out=tmp_path / "dask", scheduler=scheduler, **options)
    assert files_of(tmp_path / "dask") == files_of(tmp_path / "local")


def test_dask_workers_write_the_objects(scheduler: str, tmp_path: Path) -> None:
    """The workers write every image; what comes back to the run is lines."""
    with _distributed().Client(scheduler) as client:
        assert os.getpid() not in client.run(os.getpid).values()
        client.run(_record_puts)
        generate("mixed", out=tmp_path, scheduler=scheduler, **OPTIONS)
        written = client.run(_recorded, str(tmp_path))
    images = {str(p) for p in tmp_path.rglob("*.png")}
    assert len(images) > OPTIONS["count"]
    assert set().union(*written.values()) == images


def _record_puts() -> None:
    """In a worker: note every file FolderSink.put writes."""
    from synth.output import folder as sinks

    if hasattr(sinks, "recorded"):
        return
    real, recorded = sinks.FolderSink.put, set()

    def put(self: sinks.FolderSink, key: str, data: bytes, content_type: str) -> None:
        real(self, key, data, content_type)
        recorded.add(str(self.root / key))

    sinks.recorded = recorded  # type: ignore[attr-defined]
    sinks.FolderSink.put = put  # type: ignore[method-assign]


def _recorded(root: str) -> set[str]:
    from synth.output import folder as sinks

    return {p for p in sinks.recorded if p.startswith(root)}  # type: ignore[attr-defined]


def test_unreachable_scheduler_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(
        SynthError, match=r"cannot reach the dask scheduler at tcp://127\.0\.0\.1:9"
    ):
        generate("dents", out=tmp_path, count=1, width=64, height=64, scheduler="tcp://127.0.0.1:9")


# --- a cluster of `dask scheduler` and `dask worker` processes, as docs/distributed.md runs it


@dataclass
class Cluster:
    address: str
    scheduler: subprocess.Popen[bytes]
    workers: subprocess.Popen[bytes]

    def stop(self) -> None:
        for process in (self.workers, self.scheduler):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=PATIENCE)
            wait_until(lambda p=process: not session_processes(p.pid), PATIENCE, "the cluster")


SCHEDULER = [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"]


def _address(found: Path) -> str | None:
    """The scheduler's address, once its file is written whole."""
    try:
        return str(json.loads(found.read_text())["address"])
    except (OSError, ValueError, KeyError):
        return None


def _cluster(folder: Path, **env: str) -> Cluster:
    """A scheduler and 2 single-threaded worker processes on loopback, free ports, each
    command in its own session (so a test can kill it whole); workers read ENV."""
    folder.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, **env}
    # Port 0: the scheduler binds a port of its own and writes its address to a file (a port
    # probed free first may be taken by another process before the scheduler binds it).
    found = folder / "scheduler.json"
    scheduler = subprocess.Popen(
        [*SCHEDULER, "--scheduler-file", str(found)],
        stdout=subprocess.DEVNULL,
        stderr=(folder / "scheduler.log").open("wb"),
        start_new_session=True,
        env=environment,
    )
    wait_until(
        lambda: _address(found) is not None or scheduler.poll() is not None,
        PATIENCE,
        "the scheduler's address",
    )
    address = _address(found)
    assert address is not None, (folder / "scheduler.log").read_text()
    workers = subprocess.Popen(
        [
            DASK,
            "worker",
            address,
            "--host",
            "127.0.0.1",
            "--nworkers",
            "2",
            "--nthreads",
            "1",
            "--no-dashboard",
            "--local-directory",
            str(folder / "space"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=(folder / "workers.log").open("wb"),
        start_new_session=True,
        env=environment,
    )
    cluster = Cluster(address, scheduler, workers)
    try:
        with _distributed().Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=PATIENCE)
    except BaseException:
        cluster.stop()
        raise
    return cluster


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    started = _cluster(tmp_path / "cluster", **KEYS, AWS_DEFAULT_REGION="us-east-1")
    try:
        yield started
    finally:
        started.stop()


def _objects(s3: object, prefix: str) -> dict[str, bytes]:
    found = {}
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket="weed-bucket", Prefix=prefix)  # type: ignore[attr-defined]
    for page in pages:
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket="weed-bucket", Key=item["Key"])["Body"].read()  # type: ignore[attr-defined]
            found[item["Key"].removeprefix(prefix)] = body
    return found


def test_workers_write_to_seaweedfs(
    cluster: Cluster,
    seaweed: str,  # noqa: F811
    keys: None,  # noqa: F811
) -> None:
    """The multi-machine run of docs/distributed.md, on one machine: the workers reach
    the bucket with their own credentials; the dataset is a local run's, byte for byte
    (but for the prefix its lines name)."""
    out = "s3://weed-bucket/{}"
    generate("mixed", out=out.format("local"), endpoint_url=seaweed, workers=2, **OPTIONS)
    ran = generate(
        "mixed", out=out.format("dask"), endpoint_url=seaweed, scheduler=cluster.address, **OPTIONS
    )
    s3 = _client(seaweed)
    local, dask = _objects(s3, "local/"), _objects(s3, "dask/")
    # Not vacuous: the dask run wrote every image and mask its lines name, and its manifests.
    manifests = (ran.manifest_key(split) for split in ran.splits)
    named = {key.removeprefix("dask/") for key in [*ran.object_keys(), *manifests]}
    assert named <= dask.keys()
    assert local.keys() == dask.keys()
    for key, body in local.items():  # the text files name their prefix; images are bytes
        if not key.endswith(".png"):
            local[key] = body.replace(b"local/", b"dask/")
    assert local == dask


# --- the cluster failing mid-run (issue 25): no dataset or a whole one, one line, nothing left

RUN = ["generate", "-p", "dents", "-n", "4000", "--size", "64", "--seed", "4"]


def _images(root: Path) -> int:
    folder = root / "images"
    return len(list(folder.iterdir())) if folder.is_dir() else 0


def _running(args: list[str], out: Path, tmp_path: Path, **env: str) -> subprocess.Popen[str]:
    run = start([*args, "-o", str(out)], tmp_path, **env)
    wait_until(lambda: _images(out) >= 8 or run.poll() is not None, PATIENCE, "images")
    assert run.poll() is None, run.communicate()
    return run


def _left(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.startswith(".") or p.name.endswith(".partial")]


def test_scheduler_killed_mid_run(cluster: Cluster, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [*RUN, "--executor", "dask", "--scheduler", cluster.address]
    run = _running(args, out, tmp_path)
    os.killpg(cluster.scheduler.pid, signal.SIGKILL)
    code, stderr = finish(run, tmp_path)
    assert code == 1
    assert "the dask scheduler went away" in one_line(stderr)
    cluster.stop()  # what the workers were making when the run ended is done or dropped
    assert not assert_whole_or_nothing(out)
    assert not _left(out)


def test_every_worker_killed_mid_run(cluster: Cluster, tmp_path: Path) -> None:
    """The run's work dies with the last worker holding it; a cluster left without workers
    is one line after SYNTH_DASK_NO_WORKER_TIMEOUT."""
    out = tmp_path / "out"
    args = [*RUN, "--executor", "dask", "--scheduler", cluster.address]
    run = _running(args, out, tmp_path)
    os.killpg(cluster.workers.pid, signal.SIGKILL)
    code, stderr = finish(run, tmp_path)
    assert code == 1
    assert "the dask cluster lost the run's work" in one_line(stderr)
    assert not assert_whole_or_nothing(out)
    assert not _left(out)
    rerun = start(
        [*args, "-o", str(out), "--overwrite"], tmp_path, SYNTH_DASK_NO_WORKER_TIMEOUT="2"
    )
    code, stderr = finish(rerun, tmp_path)
    assert code == 1
    assert "the dask cluster has had no worker for 2 s" in one_line(stderr)
    assert not assert_whole_or_nothing(out)
    assert not _left(out)


def test_sigterm_to_a_dask_run(cluster: Cluster, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = _running([*RUN, "--executor", "dask", "--scheduler", cluster.address], out, tmp_path)
    os.kill(run.pid, signal.SIGTERM)
    code, stderr = finish(run, tmp_path)
    assert code == 143
    assert one_line(stderr).startswith("synth: stopped by SIGTERM")
    cluster.stop()
    assert not assert_whole_or_nothing(out)
    assert not _left(out)


def test_one_worker_killed_mid_run(cluster: Cluster, tmp_path: Path) -> None:
    """dask makes a lost worker's images again elsewhere: the run ends whole, the bytes
    of a local run."""
    args = [*RUN[:4], "300", *RUN[5:], "--executor", "dask", "--scheduler", cluster.address]
    with _distributed().Client(cluster.address) as client:
        pids = sorted(client.run(os.getpid).values())
    run = _running(args, tmp_path / "dask", tmp_path)
    os.kill(pids[0], signal.SIGKILL)
    code, stderr = finish(run, tmp_path)
    assert (code, stderr) == (0, "")
    local = [*RUN[:4], "300", *RUN[5:], "--workers", "2", "-o", str(tmp_path / "local")]
    assert finish(start(local, tmp_path), tmp_path) == (0, "")
    assert assert_whole_or_nothing(tmp_path / "dask", tmp_path / "local")
    assert files_of(tmp_path / "dask") == files_of(tmp_path / "local")


def test_a_worker_writes_nothing_once_the_run_lost_its_claim(
    scheduler: str, tmp_path: Path
) -> None:
    """A dask worker may outlive its run: it checks the claim before writing an image."""
    out = tmp_path / "out"
    run = _running([*RUN, "--executor", "dask", "--scheduler", scheduler], out, tmp_path)
    (out / ".synth-lock").unlink()
    code, stderr = finish(run, tmp_path)
    assert code == 1
    line = one_line(stderr)
    assert "on the dask worker at" in line
    assert "no longer holds its output (.synth-lock is gone or another run's)" in line
    assert not assert_whole_or_nothing(out)
