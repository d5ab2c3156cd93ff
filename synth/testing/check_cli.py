"""`synth check` from the command line: options to its settings, the report to its outputs."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from synth.format import RULES
from synth.testing.check import CheckSettings, Command, check
from synth.testing.readers import Reader
from synth.testing.report import render


def _rules(value: str | None) -> frozenset[str] | None:
    if value is None:
        return None
    chosen = frozenset(r.strip() for r in value.split(",") if r.strip())
    unknown = sorted(chosen - set(RULES))
    if unknown:
        raise click.BadParameter(
            f"unknown rule ids: {', '.join(unknown)} (see `synth rules`)", param_hint="--rules"
        )
    return chosen


def _reader(verdict: str, line_regex: str | None) -> Reader:
    if line_regex is None:
        return Reader(verdict)
    try:
        pattern = re.compile(line_regex, re.MULTILINE)
    except re.error as exc:
        raise click.BadParameter(
            f"not a regular expression: {exc}", param_hint="--line-regex"
        ) from None
    if "line" not in pattern.groupindex and pattern.groups == 0:
        raise click.BadParameter(
            "the pattern needs a group for the line number, (?P<line>\\d+)",
            param_hint="--line-regex",
        )
    return Reader("file-line", pattern)


def _write(path: Path | None, text: str) -> None:
    if path is None:
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot write ({exc.strerror or exc})") from None


def run_check(
    command: tuple[str, ...],
    *,
    cases: int,
    seconds: float | None,
    seed: int,
    timeout: float,
    verdict: str,
    line_regex: str | None,
    rules: str | None,
    no_objects: bool,
    tasks: tuple[str, ...],
    styles: tuple[str, ...],
    profile: str,
    jobs: int,
    fmt: str,
    junit: Path | None,
    json_out: Path | None,
    markdown: Path | None,
    reproducers: Path,
    no_shrink: bool,
    endpoint_url: str | None,
) -> int:
    """Run the check and print its report; 0 if the validator passed, 1 if not."""
    settings = CheckSettings(
        drawn=cases,
        seconds=seconds,
        seed=seed,
        timeout=timeout,
        rules=_rules(rules),
        objects=not no_objects,
        tasks=frozenset(tasks) or None,
        styles=frozenset(styles) or None,
        profile=profile,
        jobs=jobs,
        shrink=not no_shrink,
        endpoint_url=endpoint_url,
    )
    validator = Command(command, _reader(verdict, line_regex))
    try:
        report = check(validator, settings, reproducers=reproducers, progress=sys.stderr.isatty())
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(
            f"{reproducers}: cannot write a reproducer ({exc.strerror or exc})"
        ) from None
    click.echo(render(report, fmt), nl=False)
    _write(junit, render(report, "junit"))
    _write(json_out, render(report, "json"))
    _write(markdown, render(report, "markdown"))
    return 0 if report.ok else 1
