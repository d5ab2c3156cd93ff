"""Ordered, bounded parallel map over image indices.

Results come back in index order (so output bytes do not depend on the worker
count) and at most `window` are in flight, so memory stays flat however many
images a run makes.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import itertools
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sized
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from synth import environment
from synth.errors import SynthError, option
from synth.extras import require
from synth.processes import alive

C = TypeVar("C")
T = TypeVar("T")  # an item of work: an image's index, a line's facts
R = TypeVar("R")

_context: Any = None
WORKERS_PER_CPU = 4  # more processes than this only add memory and switching
# Images a worker makes per round trip: each trip costs CPU between the run and its worker
# (queues, pickling, thread hand-offs), small beside making a 512 px image; two halve it.
BATCH = 2
_WATCH_SECONDS = 0.5  # how often a worker checks that the run that started it is alive


def max_workers() -> int:
    """The most worker processes a run uses on this machine."""
    return WORKERS_PER_CPU * (os.cpu_count() or 1)


def start_method() -> str:
    """How the pool starts its workers: fork where that is safe, else a fresh interpreter.

    A forked worker has the run's imports already (numpy, scipy, the painters) and starts
    in milliseconds; a forkserver's or spawned worker imports them again, about 0.6 CPU s,
    a sixth of a 200-image run. Fork is safe only while no other thread runs (a lock that
    thread holds would stay locked in the child): so only on Linux (macOS's system
    libraries are not fork-safe), and only while this is the process's one Python thread.
    Native pools such as OpenBLAS's stop their threads around a fork themselves.
    """
    if sys.platform == "linux" and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _install(context: Any, parent: int) -> None:
    global _context
    _context = context
    # The run handles Ctrl-C and SIGTERM and shuts its workers down (a forked worker would
    # inherit its handlers); a worker only has to notice when the run is gone (kill -9,
    # the OOM killer) and not outlive it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="synth-watch").start()


def _watch(parent: int) -> None:
    # A dead run nobody has reaped yet still answers kill(pid, 0); but the children of a
    # process are handed to another the moment it dies, so a new parent (of a forked
    # worker: the run; of a forkserver's: the forkserver) is the sure sign. It is not
    # when the run died before this thread started (the first parent seen is already the
    # new one): where /proc tells, a zombie run is a dead one.
    first = os.getppid()
    while alive(parent) and os.getppid() == first:
        time.sleep(_WATCH_SECONDS)
    os._exit(1)


def _call(fn: Callable[[Any, T], R], batch: list[T]) -> list[R]:
    return [fn(_context, index) for index in batch]


def ordered_map(
    fn: Callable[[C, T], R],
    context: C,
    indices: Iterable[T],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    batch: int = BATCH,
    helping: bool = False,
) -> Iterator[R]:
    """`fn(context, i)` for each index, in order; `context` is sent to each worker once,
    the indices (or any other items) `batch` a round trip.

    `helping`: this thread makes the next batch itself, instead of waiting, while the
    workers have their window's worth of batches (for work that costs this thread little
    else: a worker's round trip is dearer than the work is to move); and from then on, a
    batch is as many items as this thread makes in `_BATCH_SECONDS` of CPU (see `_Sizes`).
    With `scheduler`, the work runs on that dask.distributed cluster instead.
    """
    if scheduler is not None:
        yield from _dask_map(fn, context, indices, scheduler)
        return
    if isinstance(indices, Sized):
        workers = min(workers, len(indices))
    workers = min(workers, max_workers())
    if workers <= 1:
        for index in indices:
            yield fn(context, index)
        return
    # Batches in flight: 4 items a worker, as memory allows, and two batches a worker.
    window = max(workers * 4 // batch, 2 * workers)
    method = start_method()
    mp_context = multiprocessing.get_context(method)
    if method == "forkserver":
        # The forkserver imports fn's module (numpy, scipy, the painters) once, and each
        # worker is forked from it with all that loaded, instead of importing it again.
        mp_context.set_forkserver_preload(["__main__", fn.__module__])
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp_context,
        initializer=_install,
        initargs=(context, os.getpid()),
    )
    started = threading.Event()
    starter = None
    pending: deque[Future[list[R]]] = deque()
    try:
        if method == "fork":
            _fork(pool, workers, started)
        else:
            # Starting the workers blocks on the forkserver's imports; a thread
            # waits for that while this one makes the first images itself, in order, so
            # start-up costs the run no time.
            starter = threading.Thread(
                target=_start, args=(pool, workers, started), daemon=True, name="synth-start"
            )
            starter.start()
        sizes = _Sizes(batch)
        for items in _batches(indices, sizes):
            if not started.is_set():  # nothing is in flight yet: these come next in order
                yield from (fn(context, index) for index in items)
                continue
            if not helping:
                pending.append(_submit(pool, fn, items, method))
                if len(pending) >= window:
                    yield from pending.popleft().result()
                continue
            while pending and pending[0].done():  # what is made, in order, as it comes
                yield from pending.popleft().result()
            if sum(not future.done() for future in pending) < window:
                pending.append(_submit(pool, fn, items, method))
            elif len(pending) < 2 * window:  # the workers are busy: this thread helps
                began = time.thread_time()
                pending.append(_made(fn, context, items))
                sizes.made(len(items), time.thread_time() - began)
            else:  # as far ahead of the oldest batch as memory allows
                yield from pending.popleft().result()
                pending.append(_submit(pool, fn, items, method))
        while pending:
            yield from pending.popleft().result()
    except BrokenProcessPool:
        raise SynthError(
            "a worker process died (killed by a signal or the system, often for lack of "
            f"memory); try fewer {option('workers')}"
        ) from None
    finally:
        if starter is not None:
            starter.join()
        pool.shutdown(wait=True, cancel_futures=True)


def _start(pool: ProcessPoolExecutor, workers: int, started: threading.Event) -> None:
    """Have the pool start its processes (one per task submitted while none is idle)."""
    try:
        # A failure to start (a long TMPDIR, a broken pool) is met again, and reported,
        # by the run's own next submit.
        with contextlib.suppress(Exception):
            for _ in range(workers):
                pool.submit(os.getpid)
    finally:
        started.set()


def _fork(pool: ProcessPoolExecutor, workers: int, started: threading.Event) -> None:
    """Fork every worker now, from this thread, before the pool starts its own threads."""
    with warnings.catch_warnings():
        # Python 3.12+ warns of any other thread, native ones too: the start_method check
        # found no other Python thread, and OpenBLAS's pool stops itself around a fork.
        warnings.filterwarnings("ignore", r".*multi-threaded.*fork", DeprecationWarning)
        _start(pool, workers, started)


def _made(fn: Callable[[C, T], R], context: C, items: list[T]) -> Future[list[R]]:
    """A batch made by this thread, as a worker's would come back."""
    made: Future[list[R]] = Future()
    made.set_result([fn(context, item) for item in items])
    return made


# A helping run's batches: as many items as take this much CPU, so that a round trip (a
# few tenths of a millisecond, both ends) stays about 1% of the work it carries, and the
# last batch of a run holds back its end for no longer. 64 at most: 20 ms of 64 px lines.
_BATCH_SECONDS = 0.02
_MAX_BATCH = 64


class _Sizes:
    """The size of the next batch: the one given, until this thread has made batches of
    its own; then as many items as it made in `_BATCH_SECONDS` of CPU, on average."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items = 0
        self._seconds = 0.0

    def made(self, items: int, seconds: float) -> None:
        self._items += items
        self._seconds += seconds
        if self._seconds > 0:
            fits = round(_BATCH_SECONDS * self._items / self._seconds)
            self.size = max(1, min(_MAX_BATCH, fits))


def _batches(indices: Iterable[T], size: int | _Sizes) -> Iterator[list[T]]:
    """Consecutive indices, `size` at a time (the last batch may be shorter)."""
    remaining = iter(indices)
    while batch := list(itertools.islice(remaining, size if isinstance(size, int) else size.size)):
        yield batch


def _submit(
    pool: ProcessPoolExecutor, fn: Callable[[Any, T], R], batch: list[T], method: str
) -> Future[list[R]]:
    try:
        return pool.submit(_call, fn, batch)
    except OSError as exc:  # the pool starts its processes on the first submit
        cause = (
            f"a limit on processes or memory: try fewer {option('workers')}"
            if method == "fork"
            else "a long TMPDIR is a common cause (the forkserver's socket lives there)"
        )
        raise SynthError(
            f"cannot start worker processes ({exc.strerror or exc}); {cause}"
        ) from None


# Images a dask task makes: each task costs the client, the scheduler and a worker about
# a millisecond of CPU each, a few percent of a 512 px image; eight make it under one.
DASK_BATCH = 8
NO_WORKER_ENV = "SYNTH_DASK_NO_WORKER_TIMEOUT"
# A cluster without a worker this long is not getting one back (an adaptive cluster that
# starts its workers on demand may need longer: raise it in the environment).
NO_WORKER_SECONDS = 30.0
_SCHEDULER_GONE = "the dask scheduler went away (its connection was lost)"
MAX_NO_WORKER_SECONDS = 86400.0  # a day: past that, no worker is coming


def _dask_map(
    fn: Callable[[C, T], R], context: C, indices: Iterable[T], scheduler: str
) -> Iterator[R]:
    """The images made on a dask cluster, `DASK_BATCH` a task; a cluster that fails (a
    wrong address, a scheduler gone, no worker left for `no_worker_seconds()`) ends the
    run with one line."""
    patience = no_worker_seconds()
    Client = require("dask.distributed", "dask", "--executor dask").Client
    with _quiet("distributed"):
        yield from _on_cluster(Client, fn, context, indices, scheduler, patience)


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    """The client's own logging held back while the run uses it: a lost scheduler or
    worker is the run's one line to say, not a page of reconnection tracebacks before it.

    distributed logs through handlers on its top logger, which its child loggers reach
    whatever the top logger's level: so the handlers drop the records.
    """
    handlers = logging.getLogger(name).handlers
    for handler in handlers:
        handler.addFilter(_drop)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(_drop)


def _drop(record: logging.LogRecord) -> bool:
    return False


def _on_cluster(
    Client: Any,
    fn: Callable[[C, T], R],
    context: C,
    indices: Iterable[T],
    scheduler: str,
    patience: float,
) -> Iterator[R]:
    failure = None
    try:
        client = Client(scheduler, timeout="10s")
    except (ValueError, TypeError) as exc:
        failure = SynthError(f"{scheduler}: not a dask scheduler address ({exc})")
    except OSError as exc:
        failure = SynthError(f"cannot reach the dask scheduler at {scheduler} ({exc})")
    if failure is not None:
        # A Client that failed to start closes itself when collected: now, and not in
        # the middle of a later Client's start, whose lock its close would wait on.
        gc.collect()
        raise failure
    pending: deque[Any] = deque()
    try:
        with client:
            try:  # an adaptive cluster may be starting its first worker
                client.wait_for_workers(1, timeout=patience)
            except TimeoutError:
                raise _no_worker(patience) from None
            shared = client.scatter(context, broadcast=True)
            window = 4 * max(1, sum(client.nthreads().values()))
            for batch in _batches(indices, DASK_BATCH):
                pending.append(client.submit(_call_on, fn, shared, batch, pure=False))
                if len(pending) >= window:
                    yield from _result(client, pending.popleft(), patience)
            while pending:
                yield from _result(client, pending.popleft(), patience)
    except SynthError:
        raise
    except Exception as exc:  # the cluster's failures, whatever dask calls them
        from distributed.comm.core import CommClosedError  # imported by now: a dask run

        if isinstance(exc, CommClosedError):  # the scheduler's stream closed under a gather
            raise SynthError(_SCHEDULER_GONE) from None
        raise SynthError(
            f"the dask cluster at {scheduler} failed: {type(exc).__name__}: {exc}"
        ) from None
    finally:
        if pending and client.status == "running":  # what has not started never will
            with contextlib.suppress(Exception):
                client.cancel(list(pending))


def _call_on(fn: Callable[[C, T], R], context: C, batch: list[T]) -> list[R]:
    _malloc_as_glibc_adapts()
    return [fn(context, index) for index in batch]


# What glibc's adaptive thresholds reach on 64-bit Linux once a process has freed a few
# large blocks: blocks up to 32 MiB come from the heap, which keeps up to twice that free.
_MMAP_THRESHOLD = 32 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters (malloc.h)


@functools.cache
def _malloc_as_glibc_adapts() -> None:
    """Give a dask worker the memory allocator a local worker has, once per process.

    A dask nanny starts its workers with MALLOC_TRIM_THRESHOLD_ set (so that they hand
    memory back to the system soon); glibc then stops adapting its thresholds, and every
    array of an image above 128 KiB is mapped and unmapped, its pages zeroed again each
    time: 45% more CPU per 512 px image. A worker whose allocator was tuned by hand
    (MALLOC_MMAP_THRESHOLD_ set) is left alone.
    """
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, 2 * _MMAP_THRESHOLD)
    except (OSError, AttributeError):  # not glibc: not its thresholds either
        pass


def no_worker_seconds() -> float:
    """How long a run waits while its dask cluster has no worker (SYNTH_DASK_NO_WORKER_TIMEOUT)."""
    return environment.seconds(NO_WORKER_ENV, NO_WORKER_SECONDS, MAX_NO_WORKER_SECONDS, SynthError)


def _result(client: Any, future: Any, patience: float) -> Any:
    """A future's result, waited for while the cluster can still make it."""
    idle_since: float | None = None
    while True:
        try:
            return future.result(timeout=_WATCH_SECONDS * 4)
        except TimeoutError:
            pass
        except CancelledError as exc:  # by the scheduler's loss, or by the scheduler itself
            if client.status == "running":
                raise SynthError(
                    "the dask cluster lost the run's work: the workers holding it died or "
                    f"left ({getattr(exc, 'reason', None) or 'cancelled'})"
                ) from None
        if client.status != "running":
            raise SynthError(_SCHEDULER_GONE)
        if client.nthreads():
            idle_since = None
            continue
        idle_since = idle_since or time.monotonic()
        if time.monotonic() - idle_since > patience:
            raise _no_worker(patience)


def _no_worker(patience: float) -> SynthError:
    return SynthError(
        f"the dask cluster has had no worker for {patience:g} s; start workers, raise "
        f"{NO_WORKER_ENV}, or run without --executor dask"
    )
