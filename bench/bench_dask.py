"""Does a dask cluster pay its way? CPU per image of `synth generate` on a cluster of 2
worker processes against `--workers 2` on this machine, and the bytes of both.

The cluster is a `dask scheduler` and a `dask worker --nworkers 2 --nthreads 1` (nannies
included), started once on loopback before any run, as a user's cluster would be; it makes
one unmeasured run first, so its workers have imported synth. Each run is `synth generate`
in a fresh process. CPU (user + sys) counts everything a run costs the machine: the run's
process and its reaped children (getrusage of this process's children), and for a dask
run every process of the cluster too (their /proc times before and after the run). The
two alternate `--pairs` times; figures are medians with their ranges. Each pair's outputs
are compared byte for byte. Wall times come from a shared machine: its load is printed
beside them.
The figures go to bench/results/dask.md, which `make docs` shows in docs/distributed.md.

Run: .venv/bin/python bench/bench_dask.py [--count 200] [--size 512] [--pairs 3] [--no-docs]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from docs_block import write_block

BIN = Path(sys.executable).parent
TICKS = os.sysconf("SC_CLK_TCK")
WORKERS = ("--nworkers", "2", "--nthreads", "1")  # 2 worker processes of 1 thread each
QUIET = ("--no-dashboard",)
# What docs/distributed.md has workers run with: dask's own monitoring (each worker's
# stack sampled every 10 ms, every event loop woken every 20 ms, each worker's memory
# read every 100 ms) costs a cluster of 2 workers about 0.15 CPU s a second, busy or
# idle; these make it a tenth of that.
TUNED = {
    "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
    "DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL": "1s",
    "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL": "5s",
    "DASK_DISTRIBUTED__WORKER__MEMORY__MONITOR_INTERVAL": "1s",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _session_cpu(sessions: set[int]) -> float:
    """CPU seconds (user + sys) used so far by the live processes of these sessions."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) in sessions:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Cluster:
    """A scheduler and 2 single-threaded worker processes on loopback, each in its own session."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        port = _free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        quiet = {
            "stdout": subprocess.DEVNULL,
            "stderr": subprocess.DEVNULL,
            "env": {**os.environ, **env},
        }
        self.processes = [
            subprocess.Popen(
                [BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", str(port), *QUIET],
                start_new_session=True,
                **quiet,  # type: ignore[arg-type]
            ),
            subprocess.Popen(
                [
                    BIN / "dask",
                    "worker",
                    self.address,
                    "--host",
                    "127.0.0.1",
                    *WORKERS,
                    *QUIET,
                    "--local-directory",
                    str(folder),
                ],
                start_new_session=True,
                **quiet,  # type: ignore[arg-type]
            ),
        ]
        from dask.distributed import Client

        with Client(self.address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=300)

    def cpu(self) -> float:
        return _session_cpu({p.pid for p in self.processes})

    def stop(self) -> None:
        for process in reversed(self.processes):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)


def _run(args: list[str], cluster_cpu: Callable[[], float]) -> tuple[float, float, float]:
    """CPU of one `synth generate` (its process and workers), the cluster's CPU meanwhile,
    and its wall seconds."""
    before, cluster_before, wall = _children_cpu(), cluster_cpu(), time.perf_counter()
    subprocess.run([BIN / "synth", "generate", *args], check=True, capture_output=True)
    wall = time.perf_counter() - wall
    return _children_cpu() - before, cluster_cpu() - cluster_before, wall


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--no-docs", action="store_true", help="print, do not write results")
    parser.add_argument(
        "--dask-defaults", action="store_true", help="workers without the docs' settings"
    )
    options = parser.parse_args()
    common = ["-p", "mixed", "-n", str(options.count), "--size", str(options.size)]
    common += ["--seed", "1", "--overwrite"]
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    cluster = Cluster(work / "space", {} if options.dask_defaults else TUNED)
    dask = ["--executor", "dask", "--scheduler", cluster.address]
    figures: dict[str, list[tuple[float, float, float]]] = {"local": [], "dask": []}
    identical = True
    try:
        _run([*common, "-o", str(work / "warm"), *dask], cluster.cpu)  # workers import synth
        for _ in range(options.pairs):
            local_out, dask_out = work / "local", work / "dask"
            figures["local"].append(_run([*common, "-o", str(local_out), "-j", "2"], lambda: 0.0))
            figures["dask"].append(_run([*common, "-o", str(dask_out), *dask], cluster.cpu))
            identical &= _files(local_out) == _files(dask_out)
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    load = [round(a, 1) for a in load_before] + [round(a, 1) for a in os.getloadavg()]
    print(_report(options, figures, identical, load))


HEADER = (
    "| run | CPU ms per image | the run's process and its workers | the cluster "
    "| wall s (shared machine) |"
)


def _report(
    options: argparse.Namespace,
    figures: dict[str, list[tuple[float, float, float]]],
    identical: bool,
    load: list[float],
) -> str:
    count = options.count

    def per_image(name: str, part: slice = slice(0, 2)) -> list[float]:
        return [sum(run[part]) / count * 1000 for run in figures[name]]

    local, dask = statistics.median(per_image("local")), statistics.median(per_image("dask"))
    ratios = [d / lo for d, lo in zip(per_image("dask"), per_image("local"), strict=True)]
    rows = []
    for name, label in (
        ("local", "`--workers 2` (local processes)"),
        ("dask", "`--executor dask`, 2 worker processes"),
    ):
        cpu, wall = per_image(name), [run[2] for run in figures[name]]
        run, cluster = per_image(name, slice(0, 1)), per_image(name, slice(1, 2))
        rows.append(
            f"| {label} | {statistics.median(cpu):.1f} ({min(cpu):.1f}-{max(cpu):.1f}) "
            f"| {statistics.median(run):.1f} | {statistics.median(cluster):.1f} "
            f"| {statistics.median(wall):.2f} ({min(wall):.2f}-{max(wall):.2f}) |"
        )
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    loads = f"load {' '.join(map(str, load[:3]))} before, {' '.join(map(str, load[3:]))} after"
    pairs = ", ".join(f"{r:.3f}" for r in ratios)
    same = "byte-identical" if identical else "**not** byte-identical"
    command = f"bench/bench_dask.py --count {count} --size {options.size} --pairs {options.pairs}"
    text = f"""
`{command}` ({machine}, {loads}): preset mixed, {count} images of {options.size} px, runs
alternating, medians (ranges). CPU is user + sys of the run's process and its workers,
and on dask of the scheduler, the nannies and the workers too.

{HEADER}
|---|---:|---:|---:|---:|
{chr(10).join(rows)}

dask costs **{dask / local:.3f}x** the CPU per image of `--workers 2` (pairs: {pairs});
the outputs are {same}.
"""
    if not options.no_docs:
        write_block("dask", text)
    return text.strip()


if __name__ == "__main__":
    main()
