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


@dataclass(frozen=True, slots=True)
class Reading:
    """An odd form real files have, what each profile says of it (`valid`, or the one
    rule it breaks), the near-miss or fault that writes it, and why."""

    form: str
    docs: str
    service: str
    case: str  # a near-miss or fault of synth.faults; "" where none writes it alone
    why: str


VALID = "valid"
SILENT = "the spec is silent, so the demanding reading: "

READINGS = (
    Reading(
        "a label value that disagrees with class-name (0 on an anomaly line)",
        VALID,
        VALID,
        "label-value-flipped",
        'the segmentation page: the value "is required by Amazon Lookout for Vision, but it '
        'isn\'t used" and "the value of class-name determines if the image is normal or '
        "anomalous\"; the Lookout for Vision SDK's Manifest writes every value so (1 normal, "
        "0 anomaly) for import",
    ),
    Reading(
        "a normal line's color map holding only BACKGROUND",
        VALID,
        VALID,
        "background-only-map",
        'a non-empty map whose entry "0" is BACKGROUND in white is all the page asks, and '
        "a normal mask is all background; DefectDetectionApplication's alien manifest "
        "writes its normal line so",
    ),
    Reading(
        'a color map keyed from "1", BACKGROUND its entry "1"',
        "color-map.background",
        "color-map.background",
        "color-map-keys-from-one",
        'the segmentation page: "the entry 0 must contain the class-name BACKGROUND"; the '
        "evidence of leniency (the cookie dataset) is a map without BACKGROUND, not "
        "BACKGROUND under another key, so an error under both profiles",
    ),
    Reading(
        'a color map without BACKGROUND keyed from "1" (the console\'s, renumbered)',
        "color-map.background",
        VALID,
        "",
        SILENT + "keys are non-negative integers and a pixel's class is found by its "
        "color; no rule asks for a first key or consecutive keys, so it is read as the "
        "console's map (a warning under service); the console style renumbered shows it",
    ),
    Reading(
        "a palette mask whose palette is shorter than 256 entries",
        VALID,
        VALID,
        "mask-palette-short",
        "PNG allows 1 to 256 palette entries, and the cookie dataset's console masks, "
        "which the service trained on, have palettes as long as their colors (imageio 2.9 "
        "with recent Pillow crashes on them: a reader's bug, not the file's)",
    ),
    Reading(
        "an RGBA mask, alpha 255 everywhere",
        VALID,
        VALID,
        "mask-rgba-opaque",
        "the page asks for a PNG whose colors are the map's, and the troubleshooting "
        "page's own check reads a mask's RGB, alpha ignored",
    ),
    Reading(
        "an RGBA mask whose alpha fades along edges, never to 0",
        VALID,
        VALID,
        "mask-rgba-alpha",
        "alpha is ignored by the troubleshooting page's check, and the cookie masks' "
        "anti-aliased alpha (up to 245 levels) trained; every pixel's RGB is a map color",
    ),
    Reading(
        "an RGBA mask whose background is transparent black (alpha 0)",
        "mask-image.color",
        VALID,
        "mask-rgba-transparent",
        "the cookie masks' background is transparent black (through tRNS) and the service "
        "trained on them, so under service alpha 0 is background whatever the encoding (a "
        "warning); read as RGB, as the troubleshooting page's check does, black is no map "
        "color",
    ),
)


def readings_markdown() -> str:
    """The table of docs/rules.md that gives each odd form its verdict per profile."""
    rows = [
        "| form | `--profile docs` | `--profile service` | written by | why |",
        "|---|---|---|---|---|",
    ]
    for x in READINGS:
        docs, service = (v if v == VALID else f"`{v}`" for v in (x.docs, x.service))
        case = f"`{x.case}`" if x.case else "(a test)"
        rows.append(f"| {x.form} | {docs} | {service} | {case} | {x.why} |")
    return "\n".join(rows)


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
