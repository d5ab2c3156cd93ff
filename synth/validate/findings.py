"""Findings: what the validator reports, and how it prints them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

from synth.errors import one_line
from synth.format import Severity


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str  # an id of synth.format.RULES
    severity: Severity
    line: int | None  # 1-based; None for the manifest (or the project) as a whole
    field: str | None  # a JSON path such as anomaly-mask-ref-metadata.internal-color-map.0
    message: str  # a sentence a person can act on
    source: str | None = None  # the manifest, when a project of several is judged
    related: tuple[str, ...] = ()  # file:line of the other lines a dataset rule involves
    profile: str | None = None  # the profile that chose the severity, for profile-dependent rules

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "severity": str(self.severity), "related": list(self.related)}


def format_text(findings: Iterable[Finding], source: str) -> Iterator[str]:
    """`file:line: severity: rule: message`, as compilers print, so editors can jump to it."""
    for f in findings:
        name = f.source or source
        where = f"{name}:{f.line}" if f.line is not None else name
        field = f" [{f.field}]" if f.field else ""
        also = f" (see {', '.join(f.related)})" if f.related else ""
        # A key may hold a line break; one finding stays one line of output.
        yield one_line(f"{where}: {f.severity}: {f.rule}: {_short(f.message)}{also}{field}")


# A message past this many characters (a value of megabytes quoted) is cut for a terminal.
_SHOWN = 2000


def _short(message: str) -> str:
    if len(message) <= _SHOWN:
        return message
    return (
        f"{message[: _SHOWN // 2]}... ({len(message):,} characters; --format json prints "
        "them all) ..."
        f"{message[-_SHOWN // 4 :]}"
    )


def format_json(findings: Iterable[Finding], source: str) -> Iterator[str]:
    for f in findings:
        yield json.dumps({"file": f.source or source, **f.to_dict()}, ensure_ascii=False)
