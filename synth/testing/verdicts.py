"""Whole manifests for verdict-level fuzzing: each line carries at most one fault.

    from hypothesis import given
    from synth.testing import manifests

    @given(manifests())
    def test_my_validator_flags_the_right_lines(m):
        m.verify_lines(my_validator(m.manifest, m.objects))  # the lines it reports

Most validators report their own messages, not synth's rule ids, so what can be
compared is which lines they flag. When a line carries several faults, a validator
missing one check still flags it for another, and the missing check goes unseen; here
each line holds one fault (or a near-miss, or nothing), and each fault breaks one
condition (see docs/faults.md), so a validator that lacks any one check flags a line
too few. `ManifestCase.flagged` is the set of lines a correct validator flags;
`rules` the rule ids by line, for validators that speak synth's ids (the stricter test).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from hypothesis import strategies as st

from synth.config.preset import Preset
from synth.errors import ArgumentError
from synth.faults import CATALOGUE, DATASET_FAULTS, Case, DatasetFault, Fault, breaking, near_misses
from synth.seeding import Stream, image_rng
from synth.testing.cases import build_case

__all__ = ["ManifestCase", "every_manifest", "manifests"]


@dataclass(frozen=True, repr=False)
class ManifestCase:
    """A manifest of several lines, and what a correct validator says of each.

    Lines are numbered from 1, as a validator reports them. `lines[n - 1]` is line n's
    `Case`: its text, objects, `faults` (at most one) and `expected_rules`.
    """

    lines: tuple[Case, ...]

    @property
    def manifest(self) -> bytes:
        """The manifest's exact bytes: each line and its newline."""
        return b"".join(case.manifest for case in self.lines)

    @property
    def objects(self) -> dict[str, bytes]:
        """Every image and mask the lines reference, by s3:// URI."""
        return {uri: data for case in self.lines for uri, data in case.objects.items()}

    @property
    def rules(self) -> dict[int, frozenset[str]]:
        """The rule ids a correct validator reports, by line (only lines with errors)."""
        return {n: c.expected_rules for n, c in enumerate(self.lines, 1) if c.expected_rules}

    @property
    def warnings(self) -> dict[int, frozenset[str]]:
        """The warnings a validator may give, by line (only lines that have some)."""
        return {n: c.expected_warnings for n, c in enumerate(self.lines, 1) if c.expected_warnings}

    @property
    def flagged(self) -> frozenset[int]:
        """The lines a correct validator flags (reports an error on)."""
        return frozenset(self.rules)

    @property
    def valid(self) -> bool:
        return not self.flagged

    def verify_lines(self, flagged: Iterable[int]) -> None:
        """Assert a validator flagged exactly `self.flagged`; the message names each line
        missed or falsely flagged first, with its fault, then the manifest."""
        found = set(flagged)
        missed, false = sorted(self.flagged - found), sorted(found - self.flagged)
        if missed or false:
            raise AssertionError(self._explain(missed, false, lambda n: self.rules.get(n)))

    def verify_rules(self, reported: Mapping[int, Iterable[str]]) -> None:
        """Assert a validator reported exactly `self.rules` (rule ids by line; lines without
        errors may be absent or empty): the stricter test, for validators that speak synth's
        rule ids. The message names each rule missed or falsely reported, line by line."""
        found = {n: frozenset(r) for n, r in reported.items() if r}
        lines = sorted(set(found) | set(self.rules))
        wrong = [n for n in lines if found.get(n, frozenset()) != self.rules.get(n, frozenset())]
        if wrong:
            problems = []
            for n in wrong:
                want, got = self.rules.get(n, frozenset()), found.get(n, frozenset())
                for rule in sorted(want - got):
                    problems.append(f"line {n}: missed {rule} ({self._fault(n)})")
                for rule in sorted(got - want):
                    problems.append(f"line {n}: falsely reported {rule} ({self._fault(n)})")
            raise AssertionError("\n".join([*problems, "", self._pretty()]))

    def _fault(self, n: int) -> str:
        faults = self.lines[n - 1].faults
        return f"fault {'+'.join(faults)}" if faults else "no fault"

    def _explain(self, missed: list[int], false: list[int], rules: Any) -> str:
        lines = [
            f"line {n}: not flagged, but it breaks {', '.join(sorted(rules(n)))} ({self._fault(n)})"
            for n in missed
        ]
        lines += [f"line {n}: flagged, but it is valid ({self._fault(n)})" for n in false]
        return "\n".join([*lines, "", self._pretty()])

    def __repr__(self) -> str:
        return self._pretty()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """How Hypothesis prints a falsifying example: a line a manifest line, not 50 kB."""
        printer.text("ManifestCase(...)" if cycle else self._pretty())

    def _pretty(self) -> str:
        rows = []
        for n, case in enumerate(self.lines, 1):
            what = self._fault(n)
            if case.expected_rules:
                what += f" -> {', '.join(sorted(case.expected_rules))}"
            line = case.line
            if len(line) > 160:
                line = f"{line[:160]}... ({len(line):,} characters)"
            rows.append(f"    {n}: {what}\n       {json.dumps(line, ensure_ascii=False)}")
        return "ManifestCase(\n" + "\n".join(rows) + "\n)"


# How a line is drawn: valid lines first, so that a failing example shrinks to the lines
# and the one fault that matter (Hypothesis shrinks a choice towards its first option).
_KINDS = ("valid", "near-miss", "broken", "broken", "broken", "broken")


def _usable(faults: Iterable[Fault], objects: bool, masked: bool) -> tuple[Fault, ...]:
    return tuple(
        f
        for f in faults
        if not f.alone and (objects or f.level != "object") and (masked or not f.needs_mask)
    )


def manifests(
    min_lines: int = 1,
    max_lines: int = 12,
    *,
    objects: bool = True,
    dataset_faults: bool = True,
    task: str = "segmentation",
    preset: Preset | None = None,
) -> st.SearchStrategy[ManifestCase]:
    """Manifests of `min_lines` to `max_lines` lines of one drawn project (or `preset`),
    each line valid, a near-miss, or broken by one fault drawn uniformly from the
    catalogue (so every condition of every rule is drawn about as often); sometimes
    the manifest's first line starts with a byte-order mark. A fault in what later lines
    are compared with (a bucket name, an image size out of range: `Fault.across`) breaks
    one thing on the first line only, so only the first line draws it, half the time when
    it is broken (a line in a hundred would draw each otherwise). With `dataset_faults`, a
    quarter of the manifests also get a first valid line and a last line that breaks a
    rule across lines against it (the same image twice, another size, ...): the
    manifest then has `max_lines + 2` lines at most.

    `objects=False` draws no fault in the objects and leaves `objects` empty, for
    validators of the text alone; `task="classification"` draws lines without masks.
    """
    if not 1 <= min_lines <= max_lines:
        raise ArgumentError("need 1 <= min_lines <= max_lines")
    from synth.testing.strategies import presets

    masked = (preset.task if preset is not None else task) == "segmentation"
    broken = _usable(breaking(), objects, masked)
    later = tuple(f for f in broken if not f.across)  # a later line's: see Fault.across
    compared = tuple(f for f in broken if f.across)  # the first line's, half the time
    odd = _usable(near_misses(), objects, masked)
    bom = CATALOGUE["byte-order-mark"]

    def line(chosen: Preset, seed: int, kind: int, noise: bytes, first: bool) -> Case:
        """One line: valid, a near-miss or broken by `kind` (1, valid, is where a failing
        example shrinks to), its fault and label drawn from `noise`; a fault whose broken
        value later lines are compared with (`Fault.across`) on the `first` line only, and
        there half the time, as `noise`'s first byte says: a byte the shrinker can zero
        alone, so that a line made first by leaving others out keeps its fault."""
        rng = np.random.default_rng(list(noise[1:]))
        if _KINDS[(kind - 1) % len(_KINDS)] == "broken":
            fault = broken[int(rng.integers(len(broken)))]
            # Drawn from all, then redrawn: a line that becomes the first as others are left
            # out (shrinking) keeps its fault.
            faults = broken if first else later
            if fault not in faults:
                fault = faults[int(rng.integers(len(faults)))]
            elif first and noise[0] >= 128 and compared and not fault.across:
                fault = compared[int(rng.integers(len(compared)))]
            flag = fault.applies == "anomaly" if fault.applies != "any" else rng.random() < 0.5
            case = build_case(chosen, seed, bool(flag))
            if not fault.fits(case) and fault.applies == "any":
                # The other label, before another fault: the bucket faults fit lines without
                # a mask only, which are the normal ones in most presets.
                other = build_case(chosen, seed, not flag)
                case = other if fault.fits(other) else case
            if not fault.fits(case):  # a precondition the line misses: another fault
                fitting = [f for f in faults if f.fits(case)]
                fault = fitting[int(rng.integers(len(fitting)))]
            return fault.apply(case, rng)
        case = build_case(chosen, seed, rng.random() < 0.5)
        fitting = [f for f in odd if f.fits(case)]
        if _KINDS[(kind - 1) % len(_KINDS)] == "near-miss" and fitting:
            return fitting[int(rng.integers(len(fitting)))].apply(case, rng)
        return case

    # Every choice comes from one draw of bytes: Hypothesis' mutator copies a draw over
    # another of the same kind (one line's over the next, one manifest's into the next), and
    # its integers favour small values, so faults drawn line by line repeat within a
    # manifest and across manifests. Bytes shrink to zeros: the count byte 0 is `min_lines`
    # lines, a line's kind byte 0 leaves the line out (a failure shrinks to the lines that
    # matter), 1 makes it valid. The bytes come first: Hypothesis runs its first examples
    # (a tenth, up to 50) with every choice after the first random one at its simplest, so
    # bytes drawn later would be all zeros there (a one-line valid manifest, wasted); the
    # preset, drawn after them, is then the simplest one.
    noise = st.binary(min_size=16 + 9 * max_lines, max_size=16 + 9 * max_lines)
    spread = max_lines - min_lines + 1

    @st.composite
    def draw(draw: st.DrawFn) -> ManifestCase:
        bits = draw(noise)
        chosen = preset or draw(presets(task=task))
        head, kinds, rest = bits[:16], bits[16 : 16 + max_lines], bits[16 + max_lines :]
        count = min_lines + head[7] * spread // 256
        first = int.from_bytes(head[:4], "big")
        slots = [i for i in range(count) if kinds[i]]  # a random byte is rarely 0
        slots += [i for i in range(count) if not kinds[i]][: max(0, min_lines - len(slots))]
        slots.sort()
        seeds = [(first + i) % 2**32 for i in slots]  # one image each, a slot's own
        cases = [
            line(chosen, s, kinds[i] or 1, rest[8 * i : 8 * i + 8], i == slots[0])
            for i, s in zip(slots, seeds, strict=True)
        ]
        choice = np.random.default_rng(list(head[4:]))
        broken_lines = [i for i, case in enumerate(cases) if case.expected_rules]
        pair = dataset_faults and head[4] % 4 == 3
        bom_first = not pair and head[5] % 12 == 11
        across = bool(cases[0].faults) and CATALOGUE[cases[0].faults[0]].across != ""
        if bom_first:  # a byte-order mark: on the first line only, a valid one
            cases[0] = bom.apply(build_case(chosen, seeds[0], False), np.random.default_rng(0))
        elif broken_lines and not across and head[6] % 4 != 3:
            # A broken line first, most of the time: what a fault changes on the first line is
            # what later lines are compared with (its bucket, its size), so a validator that
            # misses the condition flags all the others instead of this one line. Zero bytes
            # move it too, so a failure shrinks to that line alone (the others' count drops).
            cases.insert(0, cases.pop(broken_lines[int(choice.integers(len(broken_lines)))]))
        if pair:
            # Seeds above the lines' (< 2**32), so the two new images are new to the manifest.
            seeds = [2**32 + first, 2**32 + first + 1]
            reference, target = (build_case(chosen, s, choice.random() < 0.5) for s in seeds)
            fitting = [
                f
                for f in DATASET_FAULTS.values()
                if isinstance(f, DatasetFault)
                and f.fits(reference, target)
                and (objects or "dataset.image-dimensions" not in f.rules)  # sizes are read
            ]
            fault = fitting[int(choice.integers(len(fitting)))]
            rng = image_rng(first, 1, Stream.FAULT)
            # The reference first, or after a first line whose fault is compared across
            # lines (its broken bucket or size is no project's: the reference's is the first).
            head_lines = cases[:1] if across and not bom_first else []
            rest_lines = cases[len(head_lines) :]
            cases = [*head_lines, reference, *rest_lines, fault.apply(reference, target, rng)]
        if not objects:
            cases = [replace(c, objects={}) for c in cases]
        return ManifestCase(tuple(cases))

    return draw()


def every_manifest(objects: bool = True) -> list[Any]:
    """`every_case()` as one-line manifests, and one more per dataset fault: a valid line
    and the line the fault breaks against it. A pytest param each, its id the fault's name:
    `@pytest.mark.parametrize("m", every_manifest())`."""
    import pytest

    from synth.config.preset import load_preset
    from synth.testing.cases import every_case

    params = [pytest.param(ManifestCase((p.values[0],)), id=p.id) for p in every_case(objects)]
    preset = replace(load_preset("mixed"), width=64, height=64)
    reference, target = build_case(preset, 1, True), build_case(preset, 2, True)
    for fault in DATASET_FAULTS.values():
        if not isinstance(fault, DatasetFault) or not fault.fits(reference, target):
            continue
        if not objects and "dataset.image-dimensions" in fault.rules:
            continue  # sizes are read from the images
        pair: tuple[Case, ...] = (
            reference,
            fault.apply(reference, target, np.random.default_rng(0)),
        )
        if not objects:
            pair = tuple(replace(case, objects={}) for case in pair)
        params.append(pytest.param(ManifestCase(pair), id=fault.name))
    return params
