"""Profiles: how strictly a documented rule is held when the service is known to be lenient.

`docs` (the default) makes every documented rule an error. `service` turns into
warnings the deviations that files the service accepted carry: AWS's getting-started
cookie dataset, which the Lookout for Vision guide has every user import and train on,
and the lines AWS's console and tools wrote for import. Each leniency names one form
of one rule and the evidence for it; `profiles_markdown` renders them for docs/rules.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from synth.errors import ArgumentError
from synth.format import Severity


class Profile(StrEnum):
    DOCS = "docs"
    SERVICE = "service"


@dataclass(frozen=True, slots=True)
class Leniency:
    """One form of a rule's breach that the service accepted, and the evidence."""

    rule: str
    form: str  # what deviates, as a reader says it: "absent", "an integer", ...
    evidence: str


_LENIENCIES = (
    Leniency(
        "color-map.background",
        "no BACKGROUND entry",
        "the getting-started cookie dataset's color maps have no BACKGROUND entry "
        '(its one entry "0" is the anomaly class), and the DetectAnomalies API reference '
        "says a background anomaly type need not be declared",
    ),
    Leniency(
        "color-map.confidence",
        "no confidence",
        "the getting-started cookie dataset's color-map entries have no confidence",
    ),
    Leniency(
        "color-map.confidence",
        "an integer confidence",
        "JSON has one number type, and the service reads the label metadata's confidence "
        "as a number: the cookie dataset and AWS's csv_to_manifest.py and SDK write the "
        "integer 1 where Ground Truth writes floats; so a map entry's integer 0 is read as 0.0",
    ),
    Leniency(
        "mask-image.color",
        "fully transparent mask pixels",
        "the cookie dataset's console-drawn masks are palette PNGs whose background is "
        "index 0, black with alpha 0, around the anomaly color at up to 245 alpha levels; "
        "the service trained on them, so a pixel with alpha 0 is background and any other "
        "is its RGB color, alpha ignored (as the troubleshooting page's own check reads it)",
    ),
)
LENIENT: dict[tuple[str, str], Leniency] = {(x.rule, x.form): x for x in _LENIENCIES}


def parse_profile(value: str | Profile) -> Profile:
    """A profile by name; an ArgumentError naming the choices otherwise."""
    try:
        return Profile(value)
    except ValueError:
        choices = ", ".join(p.value for p in Profile)
        raise ArgumentError(f"unknown profile {value!r}; choose one of {choices}") from None


def lenient_severity(rule: str, form: str, chosen: Profile) -> Severity:
    """The severity of a deviation the service accepts, under the chosen profile."""
    lenient = chosen is Profile.SERVICE and (rule, form) in LENIENT
    return Severity.WARNING if lenient else Severity.ERROR


def explain(rule: str, form: str, chosen: Profile) -> str:
    """The sentence a profile-dependent finding ends with: which profile chose its severity."""
    evidence = LENIENT[rule, form].evidence
    if chosen is Profile.SERVICE:
        return f" (a warning under --profile service: {evidence})"
    return f" (an error under --profile docs; --profile service warns: {evidence})"


def profiles_markdown() -> str:
    """The table of docs/rules.md that says where `--profile service` differs, and why."""
    rows = ["| rule | form | evidence |", "|---|---|---|"]
    rows += [f"| `{x.rule}` | {x.form} | {x.evidence} |" for x in _LENIENCIES]
    return "\n".join(rows)
