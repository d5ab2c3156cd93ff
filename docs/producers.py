"""The tables of docs/real-data.md, from the corpus description (tests/data/real).

`corpus`: each real file, its producer, and the findings `synth validate` must report
for it under each profile (tests/test_real_corpus.py holds it to them). `styles`: each
output style, the producer whose lines it reproduces, where that producer's shape comes
from (tests/test_style_signatures.py holds it to it), and each difference from the
producer that remains, by name (signatures.json's `differences`).

Run: python docs/producers.py corpus|styles  (make docs runs it through the page's markers)
"""

from __future__ import annotations

import json
import sys
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

REAL = Path(__file__).resolve().parent.parent / "tests" / "data" / "real"


def _verdict(rows: list[dict[str, Any]]) -> str:
    counts = Counter(row["severity"] for row in rows for _ in row["lines"])
    if not counts:
        return "clean"
    rules = sorted({f"`{row['rule']}`" for row in rows if row["severity"] == "error"})
    said = [
        f"{counts[s]} {s}{'s' if counts[s] > 1 else ''}"
        for s in ("error", "warning")
        if s in counts
    ]
    return ", ".join(said) + (f" ({', '.join(rules)})" if rules else "")


def corpus() -> str:
    described = tomllib.loads((REAL / "corpus.toml").read_text(encoding="utf-8"))
    rows = [
        "| file | producer | source | `--profile service` | `--profile docs` |",
        "|---|---|---|---|---|",
    ]
    for entry in described["file"]:
        source = described["source"][entry["source"]]["repo"]
        objects = " (objects too)" if "objects" in entry else ""
        rows.append(
            f"| `{entry['name']}`{objects} | {entry['producer']} | {source} @ "
            f"{entry['commit'][:8]} | {_verdict(entry['expected']['service'])} | "
            f"{_verdict(entry['expected']['docs'])} |"
        )
    return "\n".join(rows)


def styles() -> str:
    from synth.config.styles import STYLES

    signatures = json.loads((REAL / "signatures.json").read_text(encoding="utf-8"))
    rows = [
        "| style | profile | producer | its lines' shape from | remaining differences |",
        "|---|---|---|---|---|",
    ]
    for entry in sorted(signatures["styles"], key=lambda e: list(STYLES).index(e["style"])):
        origin, differences = (
            _cell(text) for text in (entry["from"], "; ".join(entry["differences"]) or "none")
        )
        rows.append(
            f"| `{entry['style']}` | `{STYLES[entry['style']].profile}` | "
            f"{entry['producer']} | {origin} | {differences} |"
        )
    return "\n".join(rows)


def _cell(text: str) -> str:
    """Text for a table cell: no column bar, no tag."""
    return text.replace("|", "/").replace("<", "&lt;")


if __name__ == "__main__":
    print({"corpus": corpus, "styles": styles}[sys.argv[1]]())
