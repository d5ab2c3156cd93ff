"""`synth suite`: the conformance suite as plain files, for any language's test runner.

In the manner of JSON-Schema-Test-Suite, one folder a case:

    OUT/index.json                  the version, the rule table's digest, every case
    OUT/rules.json                  the rule table the verdicts follow
    OUT/cases.tsv                   one case a line, for runners without a JSON parser
    OUT/cases/TASK/STYLE/FAULT/
        manifest.jsonl              the manifest to validate
        objects/KEY                 its objects: s3://BUCKET/KEY is objects/KEY
        expected.json               each line's verdict: rules, warnings, fault, source

The same synth version and seed give the same bytes, so a change of verdict shows in a
diff of two suites. Verdicts hold under the case's `profile` (the console style's lines
are valid only under `--profile service`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from synth.format import RULES, S3Uri
from synth.output.keys import folder_path
from synth.testing.probes import Line, Probe, fixed

SUITE_FORMAT = 1  # the layout's version; the verdicts' is the rule table's digest
MANIFEST = "manifest.jsonl"
ROOT = "objects"


def write_probe(probe: Probe, folder: Path) -> tuple[Path, Path]:
    """The probe as files under `folder`: its manifest, its objects under the bucket root
    and expected.json; returns the manifest's path and the root's."""
    root = folder / ROOT
    root.mkdir(parents=True, exist_ok=True)
    manifest = folder / MANIFEST
    manifest.write_bytes(probe.manifest)
    for uri, data in sorted(probe.objects.items()):
        parsed = S3Uri.find(uri)
        path = None if parsed is None else folder_path(root, parsed.key)
        if path is None:
            continue  # a key no file can be (a fault's odd URI): the object is missing
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (folder / "expected.json").write_text(_json(expected(probe)), encoding="utf-8")
    return manifest, root


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _verdict(line: Line) -> str:
    return "flag" if line.must_flag else ("either" if line.neutral else "pass")


def expected(probe: Probe) -> dict[str, Any]:
    """What a correct validator says of the probe, line by line (1-based)."""
    lines = [
        {
            "line": number,
            "verdict": _verdict(line),
            "rules": sorted(line.rules),
            "warnings": sorted(line.warnings),
            "faults": list(line.faults),
            **({"needs": [n + 1 for n in line.needs]} if line.needs else {}),
        }
        for number, line in enumerate(probe.lines, start=1)
    ]
    named = sorted(probe.rules | {w for line in probe.lines for w in line.warnings})
    return {
        "case": probe.name,
        "fault": probe.fault,
        "kind": probe.kind,
        "description": probe.doc,
        "task": probe.task,
        "style": probe.style,
        "profile": probe.profile,
        "valid": probe.valid,
        "manifest": MANIFEST,
        "root": ROOT,
        "flag": _flagged(probe),
        "either": _either(probe),
        "lines": lines,
        "rules": [{"id": r, "source": RULES[r].source, "summary": RULES[r].summary} for r in named],
    }


def rules_digest() -> str:
    """The rule table's digest: the suite's verdicts change only with it (or the faults)."""
    return hashlib.sha256(_json(_rule_table()).encode()).hexdigest()[:16]


def _rule_table() -> list[dict[str, str]]:
    return [
        {"id": r.id, "level": str(r.level), "source": r.source, "summary": r.summary}
        for r in RULES.values()
    ]


def write_suite(out: Path, *, seed: int = 0, probes: Iterable[Probe] | None = None) -> int:
    """Write the suite to `out` (its cases replaced, nothing else there touched); returns
    the number of cases."""
    from synth import __version__

    chosen = list(fixed(seed=seed) if probes is None else probes)
    cases = out / "cases"
    shutil.rmtree(cases, ignore_errors=True)
    for probe in chosen:
        write_probe(probe, cases / probe.name)
    index = {
        "format": SUITE_FORMAT,
        "synth": __version__,
        "seed": seed,
        "rules": rules_digest(),
        "cases": [_entry(probe) for probe in chosen],
    }
    (out / "index.json").write_text(_json(index), encoding="utf-8")
    (out / "rules.json").write_text(_json(_rule_table()), encoding="utf-8")
    rows = ["path\tprofile\tvalid\tflag\teither\trules", *map(_row, chosen)]
    (out / "cases.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return len(chosen)


def _flagged(probe: Probe) -> list[int]:
    return [n for n, line in enumerate(probe.lines, 1) if line.must_flag]


def _either(probe: Probe) -> list[int]:
    return [n for n, line in enumerate(probe.lines, 1) if line.neutral]


def _entry(probe: Probe) -> dict[str, Any]:
    return {
        "path": f"cases/{probe.name}",
        "fault": probe.fault,
        "kind": probe.kind,
        "profile": probe.profile,
        "valid": probe.valid,
        "flag": _flagged(probe),
        "either": _either(probe),
        "rules": sorted(probe.rules),
    }


def _row(probe: Probe) -> str:
    """cases.tsv's line: path, profile, valid or invalid, the lines to flag, the lines that
    may be flagged or not, the rules (- for none)."""
    return "\t".join(
        (
            f"cases/{probe.name}",
            probe.profile,
            "valid" if probe.valid else "invalid",
            ",".join(map(str, _flagged(probe))) or "-",
            ",".join(map(str, _either(probe))) or "-",
            ",".join(sorted(probe.rules)) or "-",
        )
    )
