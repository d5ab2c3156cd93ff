"""Faults in the manifest text: a line that is not one JSON object, or not UTF-8.

Most of them stop the line being read at all, so they touch the whole LINE and compose
with nothing; a byte-order mark and a repeated key leave the object readable, and add
up with any field or object fault.
"""

from __future__ import annotations

import copy
import json

import numpy as np

from synth.faults.model import LINE, Case, fault
from synth.faults.ops import text
from synth.faults.registry import CATALOGUE


def _truncated(case: Case, rng: np.random.Generator) -> Case:
    """Cut somewhere inside: at least one character stays, and the closing brace goes."""
    line = case.line
    return text(case, line[: int(rng.integers(1, len(line)))])


def _job_name(case: Case) -> str | None:
    """The metadata (label's, else mask's) whose job-name is a string, if any."""
    for attribute in (case.label, case.mask):
        meta = case.record.get(f"{attribute}-metadata") if attribute else None
        if isinstance(meta, dict) and isinstance(meta.get("job-name"), str):
            return f"{attribute}-metadata"
    return None


def _not_utf8(case: Case, rng: np.random.Generator) -> Case:
    """Latin-1 é (byte 0xE9, escaped as a lone surrogate) inside a job-name's value: a free
    text no rule reads, so a reader that decodes leniently finds every key and value intact."""
    record = copy.deepcopy(case.record)
    meta = record[_job_name(case) or ""]
    meta["job-name"] += "\udce9"
    return text(case, json.dumps(record, separators=case.separators, ensure_ascii=False))


def _duplicate_key(case: Case, rng: np.random.Generator) -> Case:
    """The first key again, with the same value: what JSON parsers silently accept."""
    key, value = next(iter(case.record.items()))
    item, colon = case.separators  # written as the rest of the line is
    pair = f"{json.dumps(key)}{colon}{json.dumps(value, separators=case.separators)}"
    return text(case, f"{case.line[:-1]}{item}{pair}}}")


def _blank(case: Case, rng: np.random.Generator) -> Case:
    return text(case, "")


CATALOGUE.add(
    fault(
        "truncated-line",
        "text",
        ["manifest.json"],
        "The line is cut short, as by a partial write.",
        _truncated,
        touches=[LINE],
    ),
    fault(
        "trailing-garbage",
        "text",
        ["manifest.json"],
        "Text follows the JSON object on its line.",
        lambda case, rng: text(case, case.line + " ,"),
        touches=[LINE],
    ),
    fault(
        "byte-order-mark",
        "text",
        ["manifest.encoding"],
        "The line starts with a UTF-8 BOM: the manifest's first line only (after the first, "
        "U+FEFF is a character that breaks JSON, manifest.json).",
        lambda case, rng: text(case, "\ufeff" + case.line),
        touches=["text.start"],
        alone=True,
    ),
    fault(
        "not-utf8",
        "text",
        ["manifest.encoding"],
        "A byte that is not UTF-8 (Latin-1 é in a job-name).",
        _not_utf8,
        touches=[LINE],
        precondition=lambda case: _job_name(case) is not None,
    ),
    fault(
        "blank-line",
        "text",
        ["manifest.blank-line"],
        "An empty line where a JSON line should be.",
        _blank,
        touches=[LINE],
    ),
    fault(
        "json-array",
        "text",
        ["manifest.object"],
        "The line is a JSON array holding the object.",
        lambda case, rng: text(case, "[" + case.line + "]"),
        touches=[LINE],
    ),
    fault(
        "json-string",
        "text",
        ["manifest.object"],
        "The line is the object as a JSON string.",
        lambda case, rng: text(case, json.dumps(case.line)),
        touches=[LINE],
    ),
    fault(
        "duplicate-key",
        "text",
        ["manifest.duplicate-key"],
        "The line's first key appears twice in the object.",
        _duplicate_key,
        touches=["text.keys"],
        needs=["source"],  # a key left to repeat: source-ref, which no composed fault drops
        precondition=lambda case: bool(case.record),
    ),
)
