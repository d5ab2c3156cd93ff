"""Regenerate every generated part of the docs: `make docs` runs this, then builds the site.

A generated part is a block between two markers in a page (or the README), each at the
start of a line, outside fenced code:

    <!-- generated: synth rules --markdown -->
    ...the command's standard output, never edited by hand...
    <!-- /generated -->

The command is a shell command run in the folder of the page that holds it, with the
project's virtualenv first on PATH (so `synth` and `python` are this checkout's). Its
standard output replaces the block; any files it writes (a figure beside the page, say)
are generated too, and CI fails if `make docs` changes anything committed. To add a
generated table or figure, write the marker pair where it goes; nothing else to register.

Run: .venv/bin/python docs/generate.py [PAGE ...]  (every page by default; `make docs`
runs it, then builds the site)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(
    r"^(?P<start><!-- generated: (?P<command>[^\n]+?) -->\n)"
    r"(?P<body>.*?)(?P<end>^<!-- /generated -->)",
    re.M | re.S,
)
STARTS, ENDS = re.compile(r"^<!-- generated:", re.M), re.compile(r"^<!-- /generated -->", re.M)
MARKERS = "<!-- generated: COMMAND --> then <!-- /generated -->"
# Fenced code blocks, whose markers are examples (docs/contributing.md shows one), not blocks.
FENCE = re.compile(r"(^```.*?^```)", re.M | re.S)
# Fixed, so a table is the same whoever runs it: no colour, no terminal width, one hash seed.
ENVIRONMENT = {
    "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    "PYTHONHASHSEED": "0",
    "NO_COLOR": "1",
    "COLUMNS": "100",
    "LC_ALL": "C.UTF-8",
    "TZ": "UTC",
}


def output_of(command: str, page: Path) -> str:
    """The command's standard output, or exit naming the page and the command."""
    done = subprocess.run(
        command,
        shell=True,
        cwd=page.parent,
        env={**os.environ, **ENVIRONMENT},
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"{page}: `{command}` failed:\n{done.stderr.strip()}")
    return done.stdout.strip()


def regenerate(page: Path) -> str:
    """The page's text with every generated block rewritten."""

    def fill(block: re.Match[str]) -> str:
        output = output_of(block["command"], page)
        body = f"{output}\n" if output else ""
        return f"{block['start']}{body}{block['end']}"

    parts = FENCE.split(page.read_text(encoding="utf-8"))
    for part in parts[::2]:  # outside fences, a marker that is not half of a pair is a mistake
        blocks = len(BLOCK.findall(part))
        if len(STARTS.findall(part)) != blocks or len(ENDS.findall(part)) != blocks:
            sys.exit(f"{page}: unpaired markers: {MARKERS}, each at the start of a line")
    return "".join(part if n % 2 else BLOCK.sub(fill, part) for n, part in enumerate(parts))


def main(pages: list[Path]) -> None:
    for page in pages:
        old = page.read_text(encoding="utf-8")
        if "<!-- " in old and (new := regenerate(page)) != old:
            page.write_text(new, encoding="utf-8")
            print(f"{page}: regenerated")


if __name__ == "__main__":
    main([Path(arg).resolve() for arg in sys.argv[1:]] or PAGES)
