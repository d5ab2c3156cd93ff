"""`synth check`: run any validator over the probes and score it rule by rule.

The validator is a command (any language) or a Python callable. Each probe is written
to a folder of its own (the manifest, and its objects under a bucket-root folder) and
the validator's verdict read back (synth.testing.readers). A line that must be flagged
and is, is caught; one that is not, missed; a valid line flagged is a false alarm. A
crash or a timeout is a finding about the probe, never a traceback here.

For each rule missed and each case falsely flagged, the smallest failing probe is kept:
lines are removed one at a time (a dataset fault's line keeps the line it needs) while
the validator still fails it the same way, and what is left is saved as a reproducer.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import shlex
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from synth.config.styles import STYLES
from synth.errors import ArgumentError
from synth.format import RULES
from synth.testing.buckets import Endpoint
from synth.testing.probes import Probe, fixed, restrict
from synth.testing.readers import Outcome, Reader
from synth.testing.suite import MANIFEST, ROOT, write_probe

Result = Literal["caught", "missed", "false-alarm", "passed", "error"]
DEFAULT_TIMEOUT = 10.0


class Validator(Protocol):
    """Judges a manifest and its bucket root, within `timeout` seconds."""

    def judge(
        self, manifest: Path, root: Path, timeout: float, s3: tuple[str, str] | None = None
    ) -> Outcome:
        """`s3`: the endpoint's URL and the manifest's s3:// URI there, with --endpoint-url."""

    def describe(self, manifest: str, root: str) -> str:
        """How to run it by hand on a reproducer (the command line)."""


@dataclass(frozen=True)
class Command:
    """A command line; `{manifest}` and `{root}` in its arguments are replaced by the
    probe's paths (without `{manifest}` or `{manifest_uri}`, the manifest's path is added
    at the end); with an endpoint, `{endpoint}` by its URL and `{manifest_uri}` by the
    manifest's s3:// URI there."""

    argv: tuple[str, ...]
    reader: Reader = field(default_factory=Reader)

    def arguments(
        self, manifest: str, root: str, s3: tuple[str, str] = ("{endpoint}", "{manifest_uri}")
    ) -> list[str]:
        values = {"{manifest}": manifest, "{root}": root, "{endpoint}": s3[0]}
        values["{manifest_uri}"] = s3[1]
        args = [_filled(a, values) for a in self.argv]
        named = any("{manifest}" in a or "{manifest_uri}" in a for a in self.argv)
        return args if named else [*args, manifest]

    def describe(self, manifest: str, root: str) -> str:
        args = self.arguments(manifest, root)
        return " ".join(a if a in _PLACEHOLDERS else shlex.quote(a) for a in args)

    def judge(
        self, manifest: Path, root: Path, timeout: float, s3: tuple[str, str] | None = None
    ) -> Outcome:
        args = self.arguments(str(manifest), str(root), *([s3] if s3 else []))
        try:
            process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # a timeout kills what it started too
            )
        except OSError as exc:  # not a finding about a case: no case can run
            raise ArgumentError(f"cannot run {args[0]!r}: {exc.strerror or exc}") from None
        with _LIVE_LOCK:
            _LIVE.add(process)
        try:
            out, err = process.communicate(timeout=max(timeout, 0.01))
        except subprocess.TimeoutExpired:
            _kill_group(process)
            out, err = process.communicate()
            said = _text(out) + _text(err)
            return Outcome("timeout", detail=f"no verdict within {timeout:g} s", output=said)
        except BaseException:  # stopped (Ctrl-C, SIGTERM): nothing it started outlives the run
            _kill_group(process)
            raise
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(process)
        return self.reader.outcome(process.returncode, _text(out), _text(err), manifest)


# The commands running now, in any thread: a stopped run kills them all.
_LIVE: set[subprocess.Popen[bytes]] = set()
_LIVE_LOCK = threading.Lock()


def _kill_live() -> None:
    with _LIVE_LOCK:
        for process in _LIVE:
            _kill_group(process)


_PLACEHOLDERS = ("{manifest}", "{root}", "{endpoint}", "{manifest_uri}")


def _filled(argument: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        argument = argument.replace(placeholder, value)
    return argument


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


Verdict = bool | Iterable[Any] | None


@dataclass(frozen=True)
class Function:
    """A Python callable: `fn(manifest)` or `fn(manifest, root)`, paths. It returns the
    verdict: a bool (True: the manifest is valid), or what it flags (line numbers, or
    objects with a `line` attribute, or dicts with a "line" key; None or an empty
    collection: nothing). An exception it raises is a crash."""

    fn: Callable[..., Verdict]

    def describe(self, manifest: str, root: str) -> str:
        name = getattr(self.fn, "__qualname__", repr(self.fn))
        return f"{getattr(self.fn, '__module__', '?')}.{name}({manifest!r}, {root!r})"

    def judge(
        self, manifest: Path, root: Path, timeout: float, s3: tuple[str, str] | None = None
    ) -> Outcome:
        box: list[Outcome] = []

        def call() -> None:
            box.append(self._call(manifest, root))

        worker = _daemon(call)
        worker.join(max(timeout, 0.01))
        if not box:
            return Outcome("timeout", detail=f"no verdict within {timeout:g} s")
        return box[0]

    def _call(self, manifest: Path, root: Path) -> Outcome:
        try:
            verdict = self.fn(manifest, root) if _takes_two(self.fn) else self.fn(manifest)
        except Exception as exc:
            return Outcome("crash", detail=f"raised {type(exc).__name__}: {exc}")
        return _as_outcome(verdict)


def _daemon(target: Callable[[], None]) -> Any:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def _takes_two(fn: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    varargs = any(p.kind is p.VAR_POSITIONAL for p in parameters)
    return varargs or len(positional) >= 2


def _as_outcome(verdict: Verdict) -> Outcome:
    if isinstance(verdict, bool):
        return Outcome("ok", rejected=not verdict)
    lines: set[int] = set()
    whole = False
    for item in verdict or ():
        number = item if isinstance(item, int) else _line_of(item)
        if number is None:
            whole = True
        else:
            lines.add(number)
    return Outcome("ok", rejected=whole or bool(lines), lines=frozenset(lines))


def _line_of(item: Any) -> int | None:
    value = item.get("line") if isinstance(item, dict) else getattr(item, "line", None)
    return value if isinstance(value, int) else None


# ---- judging one outcome ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mark:
    """One verdict on one subject: a rule a line breaks, or a near-miss / valid line."""

    subject: str  # a rule id, a near-miss's name, or "valid"
    result: Result
    line: int | None  # 1-based, None for the manifest as a whole


def subjects(probe: Probe, index: int) -> tuple[str, ...]:
    """What line `index` tests: the rules it breaks, else its near-misses, else "valid"."""
    line = probe.lines[index]
    if line.rules:
        return tuple(sorted(line.rules))
    return tuple(line.faults) or ("valid",)


def judge(probe: Probe, outcome: Outcome) -> list[Mark]:
    """Each line's marks. With flagged lines, line by line; with a verdict only, the
    manifest's lines that must be flagged are caught or missed together, and a rejected
    manifest with none is a false alarm on each of its valid lines."""
    marks: list[Mark] = []
    if outcome.status != "ok":
        for index, line in enumerate(probe.lines):
            if not line.neutral:
                marks += [Mark(s, "error", index + 1) for s in subjects(probe, index)]
        return marks
    flagged = outcome.lines
    must = [i for i, line in enumerate(probe.lines) if line.must_flag]
    if flagged is None or (not flagged and not must):
        for index, line in enumerate(probe.lines):
            if line.neutral or (line.must_pass and must):
                continue
            if line.must_flag:
                result: Result = "caught" if outcome.rejected else "missed"
            else:
                result = "false-alarm" if outcome.rejected else "passed"
            marks += [Mark(s, result, index + 1) for s in subjects(probe, index)]
        return marks
    for index, line in enumerate(probe.lines):
        hit = index + 1 in flagged
        if line.must_flag:
            hit = hit or any(n + 1 in flagged for n in line.needs)
            result = "caught" if hit else "missed"
        elif line.must_pass:
            result = "false-alarm" if hit else "passed"
        else:
            continue
        marks += [Mark(s, result, index + 1) for s in subjects(probe, index)]
    return marks


# ---- the report's numbers -----------------------------------------------------------------


@dataclass
class Row:
    """One rule's (or near-miss's) tally over the run."""

    subject: str
    kind: str  # "rule", "near-miss" or "valid"
    caught: int = 0
    missed: int = 0
    false_alarms: int = 0
    passed: int = 0
    errors: int = 0

    @property
    def lines(self) -> int:
        """Lines judged on this subject (a line breaking two rules counts in both rows)."""
        return self.caught + self.missed + self.false_alarms + self.passed + self.errors

    @property
    def failed(self) -> bool:
        return bool(self.missed or self.false_alarms or self.errors)

    def add(self, result: Result) -> None:
        name = {"false-alarm": "false_alarms", "error": "errors"}.get(result, result)
        setattr(self, name, getattr(self, name) + 1)


@dataclass(frozen=True)
class Finding:
    """A crash or a timeout on one probe."""

    probe: str
    status: str
    detail: str
    subjects: tuple[str, ...]  # what the probe tests: its rules, or its near-misses


@dataclass(frozen=True)
class Reproducer:
    """The smallest probe found failing one subject, and where it was saved."""

    subject: str
    result: Result
    probe: Probe
    folder: Path | None
    command: str
    output: str
    line: int | None


@dataclass
class Report:
    rows: dict[str, Row]
    findings: list[Finding]
    reproducers: list[Reproducer]
    cases: int  # probes run
    planned: int  # probes there were to run, fixed and drawn
    seconds: float
    seed: int
    validator: str
    stopped: str = ""  # why the run stopped early ("" if it ran everything)

    @property
    def ok(self) -> bool:
        return not any(row.failed for row in self.rows.values())

    def totals(self) -> Row:
        total = Row("total", "")
        for row in self.rows.values():
            for name in ("caught", "missed", "false_alarms", "passed", "errors"):
                setattr(total, name, getattr(total, name) + getattr(row, name))
        return total


def _row_kind(subject: str) -> str:
    return "rule" if subject in RULES else ("valid" if subject == "valid" else "near-miss")


# ---- judging ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckSettings:
    """A check's settings: the fixed probes chosen, then up to `drawn` drawn ones within
    `seconds`."""

    drawn: int = 100
    seconds: float | None = None
    seed: int = 0
    timeout: float = DEFAULT_TIMEOUT
    rules: frozenset[str] | None = None
    objects: bool = True
    tasks: frozenset[str] | None = None
    styles: frozenset[str] | None = None
    profile: str = "docs"
    jobs: int = 1
    shrink: bool = True
    endpoint_url: str | None = None  # put each case's objects on this S3 endpoint too


def choose(probes: Iterable[Probe], settings: CheckSettings) -> list[Probe]:
    """The probes of the chosen tasks, styles and profile; with `rules`, the broken ones of
    those rules (dataset faults included) and every valid one and near-miss."""
    return [
        p
        for p in probes
        if p.profile == settings.profile
        and (settings.tasks is None or p.task in settings.tasks)
        and (settings.styles is None or p.style in settings.styles)
        and (settings.rules is None or p.valid or bool(p.rules & settings.rules))
    ]


class _Clock:
    def __init__(self, seconds: float | None) -> None:
        self.start = time.monotonic()
        self.end = None if seconds is None else self.start + seconds

    def left(self) -> float:
        return float("inf") if self.end is None else self.end - time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.start


def judge_probe(
    validator: Validator,
    probe: Probe,
    timeout: float,
    scratch: Path,
    endpoint: Endpoint | None = None,
) -> Outcome:
    """Write the probe to a fresh folder under `scratch` (and to the endpoint, if any) and
    run the validator on it."""
    folder = Path(tempfile.mkdtemp(dir=scratch))
    try:
        manifest, root = write_probe(probe, folder)
        if endpoint is None:
            return validator.judge(manifest, root, timeout)
        with endpoint.holding(probe) as uri:
            return validator.judge(manifest, root, timeout, (endpoint.url, uri))
    finally:
        _remove(folder)


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def check(
    validator: Validator,
    settings: CheckSettings,
    *,
    reproducers: Path | None = None,
    progress: bool = False,
    name: str = "",
) -> Report:
    """Run the validator on the chosen probes (fixed first, then drawn) and score it."""
    from synth.output.progress import Bar

    clock = _Clock(settings.seconds)
    endpoint = None if settings.endpoint_url is None else Endpoint(settings.endpoint_url)
    chosen = choose(
        fixed(settings.objects, tasks=settings.tasks, styles=_styles(settings)), settings
    )
    rows: dict[str, Row] = {}
    findings: list[Finding] = []
    failures: dict[tuple[str, Result], list[tuple[Probe, Outcome, int | None]]] = {}
    planned = len(chosen) + (settings.drawn if _draws(settings) else 0)
    stopped = ""
    done = 0
    with (
        tempfile.TemporaryDirectory(prefix="synth-check-") as scratch,
        Bar(total=planned, unit="case", disable=not progress, leave=False) as bar,
    ):

        def score(batch: Sequence[Probe]) -> bool:
            """Run a batch; False once the time budget is spent."""
            nonlocal done
            for probe, outcome in _judge_all(
                validator, batch, settings, clock, Path(scratch), endpoint
            ):
                if outcome is None:
                    return False
                done += 1
                bar.update(1)
                marks = judge(probe, outcome)
                if outcome.status != "ok":
                    tested = tuple(sorted({m.subject for m in marks}))
                    findings.append(Finding(probe.name, outcome.status, outcome.detail, tested))
                for mark in marks:
                    row = rows.setdefault(mark.subject, Row(mark.subject, _row_kind(mark.subject)))
                    row.add(mark.result)
                    if mark.result in ("missed", "false-alarm", "error"):
                        failures.setdefault((mark.subject, mark.result), []).append(
                            (probe, outcome, mark.line)
                        )
            return True

        if not score(chosen):
            stopped = f"the time budget ({settings.seconds:g} s) ran out"
        elif settings.drawn and _draws(settings):
            from synth.testing.drawn import draw_probes

            drawn = [_judged_by(p, settings) for p in draw_probes(settings, clock.left)]
            if not score(drawn) or len(drawn) < settings.drawn:
                stopped = f"the time budget ({settings.seconds:g} s) ran out"
        saved = _reproducers(
            validator, failures, settings, clock, reproducers, Path(scratch), endpoint
        )
    ordered = dict(sorted(rows.items(), key=lambda item: (_order(item[1]), item[0])))
    return Report(
        ordered,
        findings,
        saved,
        done,
        planned,
        clock.elapsed(),
        settings.seed,
        name or validator.describe("{manifest}", "{root}"),
        stopped,
    )


def _styles(settings: CheckSettings) -> set[str]:
    """The chosen styles whose lines are valid under its profile; none is a ValueError."""
    chosen = {s for s, style in STYLES.items() if style.profile == settings.profile}
    if settings.styles is not None:
        chosen &= settings.styles
    if not chosen:
        raise ValueError(
            f"no style chosen is valid under the {settings.profile} profile: "
            + ", ".join(f"{s} under {STYLES[s].profile}" for s in sorted(settings.styles or ()))
        )
    return chosen


def _draws(settings: CheckSettings) -> bool:
    """Whether drawn probes fit: the strategies write synth's style (docs profile)."""
    return settings.profile == "docs" and (settings.styles is None or "synth" in settings.styles)


def _judged_by(probe: Probe, settings: CheckSettings) -> Probe:
    """A drawn probe as the check judges it: on its rules only, without objects if asked."""
    rules = set(settings.rules or RULES)
    if not settings.objects:
        rules -= {r.id for r in RULES.values() if r.level == "object"}
        probe = replace(probe, objects={})
    return probe if rules == set(RULES) else restrict(probe, frozenset(rules))


def _order(row: Row) -> int:
    return {"rule": 0, "near-miss": 1, "valid": 2}[row.kind]


def _judge_all(
    validator: Validator,
    probes: Sequence[Probe],
    settings: CheckSettings,
    clock: _Clock,
    scratch: Path,
    endpoint: Endpoint | None,
) -> Iterator[tuple[Probe, Outcome | None]]:
    """Each probe with its outcome, in order; None once the time budget is spent (no probe
    starts after it, and none runs past it)."""

    stopped = threading.Event()

    def one(probe: Probe) -> Outcome | None:
        left = clock.left()
        if left <= 0 or stopped.is_set():
            return None
        return judge_probe(validator, probe, min(settings.timeout, left), scratch, endpoint)

    if settings.jobs <= 1 or endpoint is not None:  # on an endpoint, cases share keys
        for probe in probes:
            outcome = one(probe)
            yield probe, outcome
            if outcome is None:
                return
        return
    with ThreadPoolExecutor(settings.jobs) as pool:
        try:
            for probe, outcome in zip(probes, pool.map(one, probes), strict=True):
                yield probe, outcome
                if outcome is None:
                    return
        except BaseException:  # stopped: no case starts, none keeps running
            stopped.set()
            _kill_live()
            raise


def _still_fails(
    validator: Validator,
    subject: str,
    result: Result,
    settings: CheckSettings,
    clock: _Clock,
    scratch: Path,
    endpoint: Endpoint | None,
) -> Callable[[Probe], tuple[Outcome, int | None] | None]:
    def test(probe: Probe) -> tuple[Outcome, int | None] | None:
        left = clock.left()
        if left <= 0:
            return None
        outcome = judge_probe(validator, probe, min(settings.timeout, left), scratch, endpoint)
        mark = next(
            (m for m in judge(probe, outcome) if m.subject == subject and m.result == result), None
        )
        return None if mark is None else (outcome, mark.line)

    return test


def shrink(
    probe: Probe, failing: Callable[[Probe], tuple[Outcome, int | None] | None]
) -> tuple[Probe, tuple[Outcome, int | None] | None]:
    """The probe with every line removed that it still fails without (greedy, from the end:
    one pass, then again while a pass removes something)."""
    current, last = probe, None
    changed = True
    while changed and len(current.lines) > 1:
        changed = False
        for index in reversed(range(len(current.lines))):
            if index >= len(current.lines):
                continue
            keep = [i for i in range(len(current.lines)) if i != index]
            smaller = current.keep(keep)
            if len(smaller.lines) == len(current.lines):
                continue  # another line needs it
            found = failing(smaller)
            if found is not None:
                current, last, changed = smaller, found, True
    return current, last


def _size(item: tuple[Probe, Outcome, int | None]) -> tuple[int, int]:
    probe = item[0]
    return len(probe.lines), len(probe.manifest) + sum(map(len, probe.objects.values()))


def _reproducers(
    validator: Validator,
    failures: dict[tuple[str, Result], list[tuple[Probe, Outcome, int | None]]],
    settings: CheckSettings,
    clock: _Clock,
    out: Path | None,
    scratch: Path,
    endpoint: Endpoint | None,
) -> list[Reproducer]:
    """For each subject missed or falsely flagged (or crashed on), its smallest failing
    probe, shrunk, saved under `out` if given."""
    saved = []
    for (subject, result), seen in sorted(failures.items()):
        probe, outcome, line = min(seen, key=_size)
        if settings.shrink and len(probe.lines) > 1:
            test = _still_fails(validator, subject, result, settings, clock, scratch, endpoint)
            probe, found = shrink(probe, test)
            if found is not None:
                outcome, line = found
        folder = None
        if out is not None:
            folder = out / f"{_safe(subject)}.{result}"
            _remove(folder)
            manifest, root = write_probe(probe, folder)
            _write_notes(folder, validator, subject, result, outcome, manifest, root)
        command = validator.describe(
            str(folder / MANIFEST) if folder else MANIFEST, str(folder / ROOT) if folder else ROOT
        )
        saved.append(Reproducer(subject, result, probe, folder, command, outcome.output, line))
    return saved


def _safe(subject: str) -> str:
    return "".join(c if c.isalnum() or c in "-._" else "_" for c in subject)


def _write_notes(
    folder: Path,
    validator: Validator,
    subject: str,
    result: Result,
    outcome: Outcome,
    manifest: Path,
    root: Path,
) -> None:
    said = {"missed": "missed", "false-alarm": "falsely flagged", "error": "crashed or hung on"}
    text = [
        f"The validator {said[result]} {subject} on this manifest.",
        f"Run it again: {validator.describe(str(manifest), str(root))}",
        "",
        "What it printed:",
        outcome.detail or outcome.output or "(nothing)",
    ]
    (folder / "REPRODUCE.txt").write_text("\n".join(text).rstrip() + "\n", encoding="utf-8")


def check_validator(
    validator: Callable[..., Verdict] | Sequence[str],
    *,
    cases: int = 100,
    seconds: float | None = None,
    seed: int = 0,
    timeout: float = DEFAULT_TIMEOUT,
    rules: Collection[str] | None = None,
    objects: bool = True,
    tasks: Collection[str] | None = None,
    styles: Collection[str] | None = None,
    profile: str = "docs",
    reader: Reader | None = None,
    reproducers: Path | str | None = None,
    jobs: int = 1,
    endpoint_url: str | None = None,
) -> Report:
    """Score a validator: a Python callable (see `Function` for what it returns) or a
    command line (a list of arguments, `{manifest}` and `{root}` filled in).

        report = check_validator(my_validate, cases=200, seed=1)
        assert report.ok, format_text(report)

    `cases` drawn probes follow the fixed ones (every fault and near-miss once), all
    within `seconds` if given; the report's `reproducers` hold the smallest failing
    manifest for each rule missed, saved under `reproducers` when given.
    """
    unknown = set(rules or ()) - set(RULES)
    if unknown:
        raise ValueError(f"unknown rule ids: {', '.join(sorted(unknown))}")
    if callable(validator):
        subject: Validator = Function(validator)
    else:
        subject = Command(tuple(validator), reader or Reader())
    settings = CheckSettings(
        drawn=cases,
        seconds=seconds,
        seed=seed,
        timeout=timeout,
        rules=None if rules is None else frozenset(rules),
        objects=objects,
        tasks=None if tasks is None else frozenset(tasks),
        styles=None if styles is None else frozenset(styles),
        profile=profile,
        jobs=jobs,
        endpoint_url=endpoint_url,
    )
    folder = None if reproducers is None else Path(reproducers)
    return check(subject, settings, reproducers=folder)
