"""The object checks of many lines at once: processes for a folder's objects, threads for
any other reader's (S3's reads wait on the network), the findings in line order.

A line's objects are checked apart from the rest of validation: `check_objects` reads
only the line's facts and sets two of them (the image's size, the mask's colors). So
the manifest is read as ever, in this process, and each line that reaches its object
checks becomes a `Later`: its facts go to a worker, and the line's findings wait, in
order with every other finding, until its objects' come back; then the dataset checks
take the line, in line order as without workers. One set of workers serves a project's
manifests: the dataset checks start the next manifest once the last line of the one
before it is taken (a `Then`). The findings are the same, in the same
order, whatever the number of workers.

Light to import (no imaging library): `Later` is part of every validation.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from synth.validate.fields import LineFacts, Problem
from synth.validate.findings import Finding
from synth.validate.profiles import Profile
from synth.validate.readers import FolderReader, ObjectReader

if TYPE_CHECKING:
    from concurrent.futures import Future

# How workers run as processes: `synth.run.executor.ordered_map` (fn(context, item) for
# each item, in order, `workers` processes, `batch` items a round trip), given by the
# caller: validation stands before the run's stage and does not import it.
OrderedMap = Callable[..., Iterator[Any]]

# Lines a process checks a round trip, until the process reading the manifest has
# checked lines itself (then `ordered_map` sizes the batches by their CPU): each trip
# costs both ends pickling and queue hand-offs, a few tenths of a millisecond, beside
# about 2 ms a 512 px line.
_BATCH = 8


class Later(NamedTuple):
    """A line whose object findings, and the dataset findings after them, are to come."""

    number: int
    facts: LineFacts
    finding: Callable[[int, Problem], Finding]  # makes the line's findings
    after: Callable[[int, LineFacts], list[Finding]]  # the dataset checks of the line


class Then(NamedTuple):
    """A step of the dataset checks, taken in its place: after the lines before it (the
    start of a project's next manifest)."""

    step: Callable[[], None]


class _Context(NamedTuple):
    reader: ObjectReader
    chosen: Profile
    exact: bool


# What a worker is sent of a line: the facts its object checks read, as a plain tuple (a
# line of a known shape has facts of a class made for that shape, which no worker could
# unpickle; and a tuple pickles in a fifth of an object's time).
_Sent = tuple[str | None, str | None, str | None, frozenset[str] | None, str | None]
# What a worker sends back of a line: its object problems and the facts they set.
_Checked = tuple[tuple[Problem, ...], tuple[int, int] | None, frozenset[str] | None]


def _sent(facts: LineFacts) -> _Sent:
    return facts.image_uri, facts.mask_uri, facts.class_name, facts.colors, facts.mask_attribute


def _check(context: _Context, sent: _Sent) -> _Checked:
    from synth.validate.objects import check_objects  # Pillow: only where objects are read

    facts = LineFacts()
    facts.image_uri, facts.mask_uri, facts.class_name, facts.colors = sent[:4]
    facts.mask_attribute = sent[4]
    problems = tuple(
        check_objects(
            facts, context.reader, facts.mask_attribute, context.chosen, exact=context.exact
        )
    )
    return problems, facts.image_size, facts.mask_colors


def in_order(
    stream: Iterable[Finding | Later | Then],
    reader: ObjectReader,
    chosen: Profile,
    exact: bool,
    workers: int,
    processes: OrderedMap | None = None,
) -> Iterator[Finding]:
    """The findings of `stream`, each `Later` completed by `workers` processes (a folder's
    objects, with `processes`) or threads (any other reader's, or without it), in the
    order of the stream, its `Then` steps taken there."""
    held: deque[Finding | Later | Then] = deque()

    def facts() -> Iterator[_Sent]:
        for item in stream:
            held.append(item)
            if isinstance(item, Later):
                yield _sent(item.facts)

    context = _Context(reader, chosen, exact)
    if processes is not None and isinstance(reader, FolderReader):
        # The object checks' modules and Pillow's image plugins imported here, before the
        # workers start: a forked worker has them already, none imports them again.
        from PIL import Image

        import synth.validate.objects  # noqa: F401

        Image.preinit()
        results = processes(_check, context, facts(), workers=workers, batch=_BATCH, helping=True)
    else:
        results = _threads(context, facts(), workers)
    for problems, size, colors in results:
        while not isinstance(first := held.popleft(), Later):
            yield from _taken(first)
        first.facts.image_size, first.facts.mask_colors = size, colors
        for problem in problems:
            yield first.finding(first.number, problem)
        yield from first.after(first.number, first.facts)
    for item in held:  # what comes after the last line with objects
        assert not isinstance(item, Later), "every line's objects were checked"
        yield from _taken(item)


def _taken(item: Finding | Then) -> Iterator[Finding]:
    """A finding, or nothing once a step is taken."""
    if isinstance(item, Then):
        item.step()
    else:
        yield item


def _threads(context: _Context, lines: Iterator[_Sent], workers: int) -> Iterator[_Checked]:
    """`_check` of each line by `workers` threads, in order, a few lines a thread ahead."""
    from concurrent.futures import ThreadPoolExecutor

    pending: deque[Future[_Checked]] = deque()
    with ThreadPoolExecutor(workers, thread_name_prefix="synth-objects") as pool:
        try:
            for facts in lines:
                pending.append(pool.submit(_check, context, facts))
                if len(pending) >= 4 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
