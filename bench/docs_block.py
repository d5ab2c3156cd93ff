"""Keep a benchmark's figures in bench/results/NAME.md, never typed into the docs by hand.

Measurements are not made by `make docs` (they take minutes and vary with the machine):
`make bench` writes them here, and the page showing them holds the generated block
`<!-- generated: cat ../bench/results/NAME.md -->`, which `make docs` fills from the file.
"""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def write_block(name: str, text: str, results: Path = RESULTS) -> None:
    """Write the figures to results/NAME.md; `make docs` then puts them in their page."""
    path = results / f"{name}.md"
    path.write_text(f"{text.strip()}\n")
    print(f"wrote the {name} figures to {path}: run `make docs` to show them")
