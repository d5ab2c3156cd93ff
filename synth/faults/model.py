"""What a fault is, and what it acts on: a `Case` (one manifest line and its objects).

A fault declares the rule ids (synth.format.RULES) a correct validator must report for the case it
makes (`rules`), the warnings it may see (`warnings`), and the parts of a line it
changes (`touches`) and relies on staying intact (`needs`). Two faults compose when
neither touches what the other touches or needs, so their rules add up by
construction; a fault that cannot apply to a case says so through `fits`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal, TypedDict, Unpack

import numpy as np

from synth.errors import ArgumentError
from synth.format import CLASSIFICATION_TYPE

Level = Literal["text", "field", "object"]
Applies = Literal["any", "anomaly", "normal"]

# The root of every part: a fault touching it (a line that no longer parses) hides all others.
LINE = "line"


class FaultError(ArgumentError):
    """A fault asked to apply where it cannot: the case lacks what it needs, or faults clash."""

    code = "fault"


@dataclass(frozen=True, repr=False)
class Case:
    """One manifest line (as a dict until serialised) and the objects it references.

    `label` and `mask` name the line's label and mask attributes; they are found in the
    valid record when not given, and follow the record through faults that rename them.
    """

    record: dict[str, Any]
    objects: dict[str, bytes]
    expected_rules: frozenset[str] = frozenset()
    expected_warnings: frozenset[str] = frozenset()
    faults: tuple[str, ...] = ()
    text: str | None = None  # set by text-level faults: the line exactly as written
    label: str = ""
    mask: str = ""
    # How the line is written (item, key) when no text fault wrote it: a style's separators.
    separators: tuple[str, str] = (",", ":")

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", _label_attribute(self.record))
        if not self.mask:
            object.__setattr__(self, "mask", _mask_attribute(self.record))

    @property
    def line(self) -> str:
        """The line as text; undecodable bytes appear as lone surrogates (surrogateescape)."""
        if self.text is not None:
            return self.text
        return json.dumps(self.record, separators=self.separators, ensure_ascii=False)

    @property
    def manifest(self) -> bytes:
        """The exact bytes of a one-line manifest holding this case: what to feed a validator.

        A blank-line case is `b"\\n"` (one empty line), not an empty manifest; a not-UTF-8
        case holds the raw invalid byte.
        """
        return self.line.encode("utf-8", "surrogateescape") + b"\n"

    def verify(self, reported: Iterable[str]) -> None:
        """Assert a validator reported exactly `expected_rules` (rule ids); the message says
        first each rule missed or falsely reported, and by which fault, then the case."""
        found = frozenset(reported)
        missed, false = self.expected_rules - found, found - self.expected_rules
        if missed or false:
            faults = "+".join(self.faults) or "no fault"
            lines = [f"missed {rule} ({faults})" for rule in sorted(missed)]
            lines += [f"falsely reported {rule} ({faults})" for rule in sorted(false)]
            raise AssertionError("\n".join([*lines, "", self._pretty()]))

    @property
    def anomalous(self) -> bool:
        meta = self.record.get(f"{self.label}-metadata")
        return isinstance(meta, dict) and meta.get("class-name") == "anomaly"

    def __repr__(self) -> str:
        return self._pretty()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis (and IPython) print a falsifying Case with this: a screen, not 10 kB."""
        printer.text("Case(...)" if cycle else self._pretty())

    def _pretty(self) -> str:
        line = self.line
        if len(line) > 1500:
            line = f"{line[:1500]}... ({len(line):,} characters)"
        objects = ", ".join(f"{uri!r}: {describe(data)}" for uri, data in self.objects.items())
        warnings = sorted(self.expected_warnings)
        return (
            "Case(\n"
            f"    faults={self.faults!r},\n"
            f"    expected_rules={sorted(self.expected_rules)!r},\n"
            + (f"    expected_warnings={warnings!r},\n" if warnings else "")
            + f"    line={line!r},\n"
            f"    objects={{{objects}}},\n"
            ")"
        )


def _label_attribute(record: dict[str, Any]) -> str:
    for key, value in record.items():
        if (
            key.endswith("-metadata")
            and isinstance(value, dict)
            and value.get("type") == CLASSIFICATION_TYPE
        ):
            return key.removesuffix("-metadata")
    raise FaultError("the record has no label attribute (no classification metadata)")


def _mask_attribute(record: dict[str, Any]) -> str:
    for key in record:
        if key.endswith("-ref") and key != "source-ref":
            return key
    return ""  # a classification line: no mask, and no fault that needs one fits it


def describe(data: bytes) -> str:
    """An object in a few words: `<PNG 64x64 P, 310 bytes>`, or its first bytes."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as picture:
            shape = f"{picture.width}x{picture.height} {picture.mode}"
            return f"<{picture.format} {shape}, {len(data):,} bytes>"
    except (OSError, ValueError):
        return f"<{len(data):,} bytes: {data[:24]!r}>"


Transform = Callable[[Case, np.random.Generator], Case]
Precondition = Callable[[Case], bool]


def overlaps(one: str, other: str) -> bool:
    """Two parts of a line overlap when one contains the other (dotted paths; LINE holds all)."""
    return (
        LINE in (one, other)
        or one == other
        or one.startswith(other + ".")
        or other.startswith(one + ".")
    )


@dataclass(frozen=True)
class Fault:
    name: str
    level: Level
    rules: frozenset[str]
    doc: str
    transform: Transform = field(repr=False)
    touches: frozenset[str] = field(repr=False)
    needs: frozenset[str] = field(default=frozenset(), repr=False)
    applies: Applies = "any"  # what the case must be labeled: lets a strategy draw a fitting one
    precondition: Precondition | None = field(default=None, repr=False)
    warnings: frozenset[str] = frozenset()
    # Means what it says alone, not among other lines: new attribute names warn
    # dataset.attribute-names on every line that differs from a manifest's first (a manifest
    # leaves it to a dataset fault); a byte-order mark is an encoding fault on the first line
    # only. Manifests of several lines and `synth generate` leave such faults out.
    alone: bool = False
    # The dataset rule that compares what this fault breaks with the manifest's first line
    # (the bucket, the image size): read by a validator that skips the fault's own
    # condition, the broken value is a bucket or a size like any other, so on a later line
    # it still breaks this rule and the line is flagged anyway. The fault breaks one thing
    # only on a manifest's first line, which is where manifests() puts it.
    across: str = ""

    @property
    def needs_mask(self) -> bool:
        """Whether the fault acts on a mask (its attribute, metadata or object)."""
        return any(
            part == "mask" or part.startswith(("mask.", "mask-image"))
            for part in self.touches | self.needs
        )

    def fits(self, case: Case) -> bool:
        """Whether this fault can make its rules' findings from `case`."""
        if self.needs_mask and not case.mask:
            return False
        if self.applies != "any" and (self.applies == "anomaly") != case.anomalous:
            return False
        return self.precondition is None or self.precondition(case)

    def apply(self, case: Case, rng: np.random.Generator) -> Case:
        if not self.fits(case):
            raise FaultError(f"fault {self.name!r} does not fit this case ({self.doc})")
        broken = self.transform(case, rng)
        return replace(
            broken,
            expected_rules=case.expected_rules | self.rules,
            expected_warnings=case.expected_warnings | self.warnings,
            faults=(*case.faults, self.name),
        )

    def clash(self, other: Fault) -> str | None:
        """Why the two cannot compose (one changes what the other changes or needs), or None."""
        for mine, theirs, verb in (
            (self.touches, other.touches | other.needs, "needs or changes"),
            (other.touches, self.touches | self.needs, "needs or changes"),
        ):
            for part in mine:
                hit = next((p for p in theirs if overlaps(part, p)), None)
                if hit is not None:
                    return f"one changes {part!r}, which the other {verb} ({hit!r})"
        return None


def fault(
    name: str,
    level: Level,
    rules: Iterable[str],
    doc: str,
    transform: Transform,
    *,
    touches: Iterable[str],
    needs: Iterable[str] = (),
    applies: Applies = "any",
    precondition: Precondition | None = None,
    warnings: Iterable[str] = (),
    alone: bool = False,
    across: str = "",
) -> Fault:
    """A Fault from plain iterables: the shape the catalogue modules write it in.

    A fault for anomalous or normal cases only relies on the label's class-name too.
    """
    needs = [*needs, *(["label.meta.class-name"] if applies != "any" else [])]
    return Fault(
        name,
        level,
        frozenset(rules),
        doc,
        transform,
        frozenset(touches),
        frozenset(needs),
        applies,
        precondition,
        frozenset(warnings),
        alone,
        across,
    )


@dataclass(frozen=True)
class MultiLineFault:
    """A fault no single line carries, so `Fault.fits` and `compose` do not apply to it.

    A dataset fault (`DatasetFault`) changes a line so that it breaks a rule when read
    after an earlier one; a project fault (`ProjectFault`) writes a small project whose
    shape breaks a rule. Both are in one registry (`DATASET_FAULTS`): `--faults` picks
    either by name or rule, and `synth faults` lists them with their `level`.
    """

    name: str
    rules: frozenset[str]
    doc: str
    warnings: frozenset[str] = field(default=frozenset(), kw_only=True)
    level: ClassVar[str]


class Conditions(TypedDict, total=False):
    """When a fault fits a case beyond the parts it needs (see `Fault.fits`)."""

    applies: Applies
    precondition: Precondition | None
    across: str


def rule_row(
    level: Level,
    name: str,
    rule: str,
    doc: str,
    transform: Transform,
    touches: Iterable[str],
    needs: Iterable[str] = (),
    **conditions: Unpack[Conditions],
) -> Fault:
    """A catalogue table row: a fault breaking one rule, its parts given in order.

    The field and object tables bind `level` (functools.partial) and write one row a fault.
    """
    return fault(name, level, [rule], doc, transform, touches=touches, needs=needs, **conditions)
