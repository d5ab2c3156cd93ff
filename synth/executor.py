"""Ordered, bounded parallel map over image indices.

Results come back in index order (so output bytes do not depend on the worker
count) and at most `window` are in flight, so memory stays flat however many
images a run makes.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

C = TypeVar("C")
R = TypeVar("R")

_context: Any = None


def _install(context: Any) -> None:
    global _context
    _context = context


def _call(fn: Callable[[Any, int], R], index: int) -> R:
    return fn(_context, index)


def ordered_map(
    fn: Callable[[C, int], R], context: C, indices: Iterable[int], *, workers: int = 1
) -> Iterator[R]:
    """`fn(context, i)` for each index, in order; `context` is sent to each worker once."""
    if workers <= 1:
        for index in indices:
            yield fn(context, index)
        return
    window = workers * 4
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=_install,
        initargs=(context,),
    )
    pending: deque[Future[R]] = deque()
    try:
        for index in indices:
            pending.append(pool.submit(_call, fn, index))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
