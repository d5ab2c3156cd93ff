"""Profiles: how strictly a documented rule is held when the service is known to be lenient.

`docs` (the default) makes every documented rule an error. `service` turns into
warnings the deviations Lookout for Vision is known to have accepted (docs/real-data.md):
AWS's own getting-started cookie dataset, which the service trains on, has color maps
without a BACKGROUND entry and without confidences.
"""

from __future__ import annotations

from enum import StrEnum

from synth.errors import ArgumentError
from synth.format import Severity


class Profile(StrEnum):
    DOCS = "docs"
    SERVICE = "service"


# rule id -> the evidence that the service accepts the deviation (only its absence form).
LENIENT: dict[str, str] = {
    "color-map.background": "the getting-started cookie dataset's color maps have no BACKGROUND",
    "color-map.confidence": "the getting-started cookie dataset's color maps have no confidence",
}


def parse_profile(value: str | Profile) -> Profile:
    """A profile by name; an ArgumentError naming the choices otherwise."""
    try:
        return Profile(value)
    except ValueError:
        choices = ", ".join(p.value for p in Profile)
        raise ArgumentError(f"unknown profile {value!r}; choose one of {choices}") from None


def lenient_severity(rule: str, chosen: Profile) -> Severity:
    """The severity of a deviation the service accepts, under the chosen profile."""
    return Severity.WARNING if chosen is Profile.SERVICE and rule in LENIENT else Severity.ERROR


def explain(rule: str, chosen: Profile) -> str:
    """The sentence a profile-dependent finding ends with: which profile chose its severity."""
    if chosen is Profile.SERVICE:
        return f" (a warning under --profile service: {LENIENT[rule]}; the service trains on it)"
    return f" (an error under --profile docs; --profile service warns: {LENIENT[rule]})"
