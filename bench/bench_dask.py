"""Does a dask cluster pay its way? CPU per image of `synth generate` on a cluster of 2
worker processes against `--workers 2` on this machine, and the bytes of both.

The cluster is a `dask scheduler` and a `dask worker --nworkers 2 --nthreads 1` (nannies
included), started once on loopback before any run, as a user's cluster would be; it makes
one unmeasured run first, so its workers have imported synth. Each run is `synth generate`
in a fresh process. CPU (user + sys) counts everything a run costs the machine: the run's
process and its reaped children (getrusage of this process's children), and for a dask
run every process of the cluster too (their /proc times before and after the run). The
two alternate `--pairs` times, each at `--count` images and at `--small`: the difference
is what the further images cost, image for image (per image, without what a run costs
once whatever its size: imports, the workers' start, the client's connection), and the
rest is that once-a-run cost. Figures are medians with their ranges. Each pair's outputs
are compared byte for byte. Wall times come from a shared machine: its load is printed
beside them.
The figures go to bench/results/dask.md, which `make docs` shows in docs/distributed.md.

Run: .venv/bin/python bench/bench_dask.py [--count 200] [--small 40] [--size 512] [--pairs 3]
[--no-docs]
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
        environ = {**os.environ, **env}

        def spawn(*argv: str | Path) -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                argv,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=environ,
                start_new_session=True,
            )

        self.processes = [
            spawn(BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", str(port), *QUIET),
            spawn(
                BIN / "dask",
                "worker",
                self.address,
                "--host",
                "127.0.0.1",
                *WORKERS,
                *QUIET,
                "--local-directory",
                str(folder),
            ),
        ]
        from dask.distributed import Client

        with Client(self.address, timeout="60s") as client:  # type: ignore[no-untyped-call]
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
    parser.add_argument("--small", type=int, default=40, help="the smaller run's images")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--no-docs", action="store_true", help="print, do not write results")
    parser.add_argument(
        "--dask-defaults", action="store_true", help="workers without the docs' settings"
    )
    options = parser.parse_args()
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    cluster = Cluster(work / "space", {} if options.dask_defaults else TUNED)
    dask = ["--executor", "dask", "--scheduler", cluster.address]
    figures: Figures = {name: [] for name in ("local", "dask", "local small", "dask small")}
    identical = True

    def common(count: int) -> list[str]:
        return ["-p", "mixed", "-n", str(count), "--size", str(options.size), "--seed", "1"]

    try:  # workers import synth
        _run([*common(options.small), "-o", str(work / "warm"), *dask], cluster.cpu)
        for _ in range(options.pairs):
            for count, suffix in ((options.count, ""), (options.small, " small")):
                local_out, dask_out = work / f"local{count}", work / f"dask{count}"
                figures[f"local{suffix}"].append(
                    _run([*common(count), "-o", str(local_out), "-j", "2"], lambda: 0.0)
                )
                figures[f"dask{suffix}"].append(
                    _run([*common(count), "-o", str(dask_out), *dask], cluster.cpu)
                )
                identical &= _files(local_out) == _files(dask_out)
                shutil.rmtree(local_out)
                shutil.rmtree(dask_out)
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    load = [round(a, 1) for a in load_before] + [round(a, 1) for a in os.getloadavg()]
    print(_report(options, figures, identical, load))


Figures = dict[str, list[tuple[float, float, float]]]  # runs: (run's CPU, cluster's, wall)
HEADER = (
    "| run | CPU ms per image, {count} images | the further images, ms each "
    "| once a run, CPU s | the run's process and its workers, s | the cluster, s "
    "| wall s (shared machine) |"
)


def _report(
    options: argparse.Namespace, figures: Figures, identical: bool, load: list[float]
) -> str:
    count, small = options.count, options.small

    def cpu(name: str) -> list[float]:
        return [run[0] + run[1] for run in figures[name]]

    def per_image(name: str) -> list[float]:
        return [c / count * 1000 for c in cpu(name)]

    def further(name: str) -> list[float]:  # ms per image, pair by pair
        return [
            (big - little) / (count - small) * 1000
            for big, little in zip(cpu(name), cpu(f"{name} small"), strict=True)
        ]

    def once(name: str) -> list[float]:
        return [big - per * count / 1000 for big, per in zip(cpu(name), further(name), strict=True)]

    def spread(values: list[float], digits: int = 1) -> str:
        return (
            f"{statistics.median(values):.{digits}f} "
            f"({min(values):.{digits}f}-{max(values):.{digits}f})"
        )

    rows = []
    for name, label in (
        ("local", "`--workers 2` (local processes)"),
        ("dask", "`--executor dask`, 2 worker processes"),
    ):
        run = statistics.median(r[0] for r in figures[name])
        cluster = statistics.median(r[1] for r in figures[name])
        rows.append(
            f"| {label} | {spread(per_image(name))} | {spread(further(name))} "
            f"| {spread(once(name), 2)} | {run:.2f} | {cluster:.2f} "
            f"| {spread([r[2] for r in figures[name]], 2)} |"
        )
    totals = [d / lo for d, lo in zip(per_image("dask"), per_image("local"), strict=True)]
    margins = [d / lo for d, lo in zip(further("dask"), further("local"), strict=True)]
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    loads = f"load {' '.join(map(str, load[:3]))} before, {' '.join(map(str, load[3:]))} after"
    same = "byte-identical" if identical else "**not** byte-identical"
    command = (
        f"bench/bench_dask.py --count {count} --small {small} --size {options.size} "
        f"--pairs {options.pairs}"
    )
    text = f"""
`{command}` ({machine}, {loads}): preset mixed, images of {options.size} px, runs
alternating, medians (ranges). CPU is user + sys of the run's process and its workers,
and on dask of the scheduler, the nannies and the workers too. The further images are
the {count}-image run less the {small}-image run, per image; once a run is what is left
of the {count}-image run's CPU (imports, the workers' start, on dask the client's import
of `dask.distributed` and its connection).

{HEADER.format(count=count)}
|---|---:|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

Per further image, dask costs **{statistics.median(margins):.3f}x** the CPU of
`--workers 2` (pairs: {", ".join(f"{r:.3f}" for r in margins)}); all in, a run of
{count} images costs {statistics.median(totals):.3f}x (pairs:
{", ".join(f"{r:.3f}" for r in totals)}). The outputs are {same}.
"""
    if not options.no_docs:
        write_block("dask", text)
    return text.strip()


if __name__ == "__main__":
    main()
