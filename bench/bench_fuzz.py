"""How many validator bugs synth's strategies find: a mutation benchmark, at two levels.

Rule ids: each mutant is synth's own (correct) validator with one bug planted, of the
kinds real validators have: a check switched off or narrowed (too lenient), or one
over-strict check added (too strict). A mutant is killed by a case when it does not
report exactly `case.expected_rules`; the cases are `@given(manifest_cases())`.

Verdict only: most validators have their own messages, so a test compares the lines they
flag. Each mutant is the independent reference validator of tests/reference with one
check switched off (one per condition a rule states, each broken by some fault); it is
killed by a manifest when the lines it flags differ from the correct reference's, read
with the objects or without them (a validator of the text alone). The manifests are
`@given(manifests())`.

For each of SEEDS Hypothesis seeds, each strategy runs at 100 and at 400 examples; a
mutant is killed by a run when any of its examples kills it (the examples an @given test
draws before its first failure do not depend on the test's body, so one run per seed and
size judges every mutant). `every_case()` and `every_manifest()` are judged once.

Run: .venv/bin/python bench/bench_fuzz.py [SEEDS] [--no-docs] [--level rules,verdict]
    [--examples 100,400] [--jobs N]
`--examples 100,400:6` runs 400 examples on seeds 0-5 only (a size's own seed count, for a
machine short of CPU: the table says so).
It prints the tables and each mutant's kills, and writes each level's table to
bench/results (fuzz.md, fuzz-verdict.md; unless --no-docs), which `make docs` shows in
docs/strategies.md.
"""

from __future__ import annotations

import io
import json
import os
import resource
import statistics
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from docs_block import write_block

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.reference
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from PIL import Image

from synth.faults import Case
from synth.format import MAX_IMAGE_SIDE, Severity
from synth.testing import ManifestCase, every_case, every_manifest, manifest_cases, manifests
from synth.validate import validate_manifest
from tests.reference.faults import DATASET_FAULT_CHECK, FAULT_CHECK
from tests.reference.validator import ERROR, Reference


@dataclass(frozen=True)
class Seen:
    """What a mutant may look at: the correct errors, the parsed line, the objects."""

    case: Case
    errors: frozenset[str]
    line: dict[str, Any] | None  # the line's JSON object, when it is one

    @property
    def fields(self) -> dict[str, Any]:
        """The line's JSON object, or {} when it is none."""
        return self.line or {}

    def meta(self, kind: str) -> dict[str, Any]:
        """The label ("label") or mask ("mask") metadata, or {}."""
        for key, value in (self.line or {}).items():
            mask = key.endswith("-ref-metadata")
            if key.endswith("-metadata") and isinstance(value, dict) and (kind == "mask") == mask:
                return value
        return {}

    def color_map(self) -> dict[str, Any]:
        cmap = self.meta("mask").get("internal-color-map")
        return cmap if isinstance(cmap, dict) else {}

    def image(self, which: str) -> Image.Image | None:
        """The image ("image") or mask ("mask") object, opened, if it opens."""
        line = self.line or {}
        uri = (
            line.get("source-ref")
            if which == "image"
            else next(
                (v for k, v in line.items() if k.endswith("-ref") and k != "source-ref"), None
            )
        )
        data = self.case.objects.get(uri) if isinstance(uri, str) else None
        try:
            return Image.open(io.BytesIO(data)) if data else None
        except OSError:
            return None


@dataclass(frozen=True)
class Mutant:
    name: str
    kind: str  # "lenient" or "strict"
    rule: str
    when: Callable[[Seen], bool]  # lenient: drop `rule` when true; strict: add it when true

    def __call__(self, seen: Seen) -> frozenset[str]:
        if self.kind == "lenient":
            return seen.errors - {self.rule} if self.when(seen) else seen.errors
        return seen.errors | {self.rule} if self.when(seen) else seen.errors


def off(name: str, rule: str, when: Callable[[Seen], bool] = lambda s: True) -> Mutant:
    return Mutant(name, "lenient", rule, when)


def strict(name: str, rule: str, when: Callable[[Seen], bool]) -> Mutant:
    return Mutant(name, "strict", rule, lambda s: s.line is not None and when(s))


def _parses(s: Seen) -> bool:
    try:
        datetime.fromisoformat(str(s.meta("label").get("creation-date")))
    except ValueError:
        return False
    return True


def _format(s: Seen, which: str, fmt: str) -> bool:
    opened = s.image(which)
    return opened is not None and opened.format == fmt


def _hexes(s: Seen) -> list[str]:
    return [str(e.get("hex-color")) for e in s.color_map().values() if isinstance(e, dict)]


MUTANTS = [
    # Too lenient: a check switched off, or narrower than the rule.
    off("BOM accepted", "manifest.encoding", lambda s: s.case.manifest.startswith(b"\xef\xbb\xbf")),
    off("Latin-1 accepted", "manifest.encoding", lambda s: s.case.manifest[:3] != b"\xef\xbb\xbf"),
    off("blank lines skipped", "manifest.blank-line"),
    off("duplicate keys accepted", "manifest.duplicate-key"),
    off("JSON arrays read", "manifest.object", lambda s: s.case.manifest.startswith(b"[")),
    off(
        "bucket name unchecked",
        "source-ref.uri",
        lambda s: (
            str((s.line or {}).get("source-ref", "")).count("/") >= 3
            and not str((s.line or {}).get("source-ref")).endswith("/")
        ),
    ),
    off("one bucket unchecked", "dataset.bucket"),
    off("label value unchecked", "label.value"),
    off("label metadata misspelling missed", "label.metadata-missing"),
    off("label human-annotated unchecked", "label.human-annotated"),
    off("date offsets accepted", "label.creation-date", _parses),
    off("mask attribute not required", "mask.missing"),
    off("mask type unchecked", "mask.type"),
    off(
        "BACKGROUND color unchecked",
        "color-map.background",
        lambda s: (
            isinstance(s.color_map().get("0"), dict)
            and s.color_map()["0"].get("class-name") == "BACKGROUND"
        ),
    ),
    off("duplicate colors accepted", "color-map.duplicate-color"),
    off("duplicate class names accepted", "color-map.duplicate-class"),
    off(
        "integer confidence accepted",
        "color-map.confidence",
        lambda s: all(
            isinstance(e, dict) and isinstance(e.get("confidence"), int | float)
            for e in s.color_map().values()
        ),
    ),
    off("color map keys unchecked", "color-map.key"),
    off(
        "minimum image size unchecked",
        "image.size",
        lambda s: (img := s.image("image")) is not None and max(img.size) <= MAX_IMAGE_SIDE,
    ),
    off("image file size unchecked", "image.file-size"),
    off("GIF images accepted", "image.format", lambda s: _format(s, "image", "GIF")),
    off("JPEG masks accepted", "mask-image.format", lambda s: _format(s, "mask", "JPEG")),
    off("mask size unchecked", "mask-image.size"),
    off("mask colors unchecked", "mask-image.color"),
    off(
        "empty anomaly masks accepted",
        "mask-image.label-agreement",
        lambda s: s.meta("label").get("class-name") == "anomaly",
    ),
    # Too strict: a check the format does not have.
    strict(
        "upper-case hex rejected",
        "color-map.hex-color",
        lambda s: any(h != h.lower() for h in _hexes(s)),
    ),
    strict(
        "Z dates rejected",
        "label.creation-date",
        lambda s: str(s.meta("label").get("creation-date", "")).endswith("Z"),
    ),
    strict("attribute names fixed", "label.missing", lambda s: "anomaly-label" not in s.fields),
    strict("extra keys rejected", "manifest.object", lambda s: "reviewed-by" in s.fields),
    strict(
        "label confidence required",
        "label.confidence",
        lambda s: "confidence" not in s.meta("label"),
    ),
    strict(
        "source-ref must come first",
        "manifest.object",
        lambda s: next(iter(s.fields), None) != "source-ref",
    ),
    strict(
        "unlabeled class-name an error",
        "label.class-name",
        lambda s: (
            s.meta("label").get("class-name") not in ("normal", "anomaly", None)
            and isinstance(s.meta("label").get("class-name"), str)
        ),
    ),
    strict(
        "palette masks required",
        "mask-image.format",
        lambda s: (
            (mask := s.image("mask")) is not None and mask.format == "PNG" and mask.mode != "P"
        ),
    ),
]


def _seen(case: Case) -> Seen:
    findings = validate_manifest(case.manifest, objects=case.objects)
    errors = frozenset(f.rule for f in findings if f.severity is Severity.ERROR)
    try:
        value = json.loads(case.manifest.decode("utf-8"))
    except ValueError:
        value = None
    return Seen(case, errors, value if isinstance(value, dict) else None)


def killed(cases: list[Case]) -> set[str]:
    """The mutants at least one case kills."""
    dead: set[str] = set()
    for case in cases:
        seen = _seen(case)
        dead |= {m.name for m in MUTANTS if m.name not in dead and m(seen) != case.expected_rules}
    return dead


def drawn(strategy: Any, examples: int, seed: int) -> list[Any]:
    found: list[Any] = []

    @hypothesis_seed(seed)
    @settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(strategy)
    def run(example: Any) -> None:
        found.append(example)

    run()
    return found


# Verdict-only mutants: the reference without one check, for each condition a fault breaks.
CHECKS = sorted(set(FAULT_CHECK.values()) | set(DATASET_FAULT_CHECK.values()))
CORRECT = Reference()
WITHOUT = {check: Reference(without={check}) for check in CHECKS}


def _flagged(failures: list[Any]) -> set[int]:
    return {f.line for f in failures if f.severity == ERROR and f.line is not None}


def killed_verdict(found: list[ManifestCase]) -> set[str]:
    """The checks whose mutant flags other lines than the reference on some manifest. A
    mutant can differ only where its check fails in the correct run, so only those run."""
    dead: set[str] = set()
    for m in found:
        for objects in (m.objects, None):
            failures = CORRECT.judge(m.manifest, objects)
            right = _flagged(failures)
            for check in {f.check for f in failures} & set(CHECKS) - dead:
                if WITHOUT[check].flagged(m.manifest, objects) != right:
                    dead.add(check)
    return dead


Level = tuple[str, Any, Callable[[list[Any]], set[str]], list[str], Callable[[], list[Any]]]
LEVELS: dict[str, Level] = {
    # name: (strategy label, strategy, killed, mutant names, the every_* cases)
    "rules": (
        "manifest_cases()",
        manifest_cases(),
        killed,
        [m.name for m in MUTANTS],
        lambda: [p.values[0] for p in every_case()],
    ),
    "verdict": (
        "manifests()",
        manifests(),
        killed_verdict,
        CHECKS,
        lambda: [p.values[0] for p in every_manifest()],
    ),
}
EVERY = {"rules": "every_case()", "verdict": "every_manifest()"}
TITLE = {
    "rules": "rule ids ({} mutants of synth's validator)",
    "verdict": "verdict only ({} reference validators, each one check short)",
}


def _run(level: str, examples: int, seed: int) -> set[str]:
    """The mutants one seed's run kills (a worker's job: the strategies are module-level)."""
    _, strategy, kill, _, _ = LEVELS[level]
    return kill(drawn(strategy, examples, seed))


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the workers)."""
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(
    seeds: int, docs: bool, levels: list[str], sizes: list[tuple[int, int]], jobs: int = 1
) -> None:
    """`sizes`: (examples, seeds) pairs, each size run on seeds 0 to its count - 1."""
    for level in levels:
        started = _cpu()
        label, _, kill, names, every_cases = LEVELS[level]
        rows: dict[str, list[float]] = {}
        per_mutant: dict[str, list[int]] = {name: [0] * len(sizes) for name in names}
        # Each (size, seed) run is independent of the others: `jobs` processes share them.
        with ProcessPoolExecutor(jobs) as pool:
            runs = {
                (examples, seed): pool.submit(_run, level, examples, seed)
                for examples, count in sizes
                for seed in range(count)
            }
            for column, (examples, count) in enumerate(sizes):
                default = " (Hypothesis' default)" if examples == 100 else ""
                if count != seeds:
                    default += f", seeds 0-{count - 1}"
                shares = []
                for seed in range(count):
                    dead = runs[examples, seed].result()
                    shares.append(len(dead) / len(names))
                    for name in dead:
                        per_mutant[name][column] += 1
                rows[f"`@given({label})`, {examples} examples{default}"] = shares
        every = kill(every_cases())
        rows[f"`{EVERY[level]}` (one param per fault)"] = [len(every) / len(names)]
        cpu = _cpu() - started
        load = " ".join(f"{n:.1f}" for n in os.getloadavg())
        spec = ",".join(f"{n}" if c == seeds else f"{n}:{c}" for n, c in sizes)
        spec = "" if spec == "100,400" else f" --examples {spec}"
        command = f"`.venv/bin/python bench/bench_fuzz.py {seeds} --level {level}{spec}`"
        table = [
            f"| {TITLE[level].format(len(names))}: tests ({command}) | killed: mean | worst seed |",
            "|---|---|---|",
        ]
        table += [f"| {k} | {statistics.mean(v):.1%} | {min(v):.1%} |" for k, v in rows.items()]
        measured = (
            f"{len(names)} mutants, {sum(c for _, c in sizes)} runs (a seed and a size each): "
            f"{cpu:,.0f} s of CPU (user+sys, the {jobs} workers' included; load {load})"
        )
        table += ["", f"Measured: {measured}."]
        print(f"{level}: {measured}")
        print("\n".join(table))
        print(f"\nper mutant (seeds that killed it, of (examples, seeds) {sizes}):")
        for name in names:
            flag = "" if name in every else f"  NOT KILLED by {EVERY[level]}"
            print(f"  {name:44} {' '.join(f'{n:3}' for n in per_mutant[name])}{flag}")
        if docs:  # one file a level: the two levels can run at once (--level)
            write_block("fuzz" if level == "rules" else f"fuzz-{level}", "\n".join(table))


def _option(name: str, default: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


if __name__ == "__main__":
    if {"-h", "--help"} & set(sys.argv):
        sys.exit(print(__doc__))
    numbers = [int(a) for a in sys.argv[1:] if a.isdigit()]
    seeds = numbers[0] if numbers else 20
    main(
        seeds,
        docs="--no-docs" not in sys.argv,
        levels=_option("--level", "rules,verdict").split(","),
        sizes=[
            (int(n), int(c or seeds))
            for n, _, c in (s.partition(":") for s in _option("--examples", "100,400").split(","))
        ],
        jobs=int(_option("--jobs", "1")),
    )
