"""docs/generate.py, which `make docs` runs: a marker pair's block is its command's output."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_block_becomes_its_commands_output_run_in_the_pages_folder(tmp_path: Path) -> None:
    page = tmp_path / "sub" / "page.md"
    page.parent.mkdir()
    fence = "```"
    page.write_text(
        "# Page\n\n"
        "<!-- generated: printf '| a |\\n' && pwd -->\nstale\n<!-- /generated -->\n\n"
        f"{fence}markdown\n<!-- generated: echo example -->\n<!-- /generated -->\n{fence}\n\n"
        "<!-- generated: touch figure.png > /dev/null -->\nold\n<!-- /generated -->\n"
    )
    _generate().main([page])
    assert page.read_text() == (
        "# Page\n\n"
        f"<!-- generated: printf '| a |\\n' && pwd -->\n| a |\n{page.parent}\n"
        "<!-- /generated -->\n\n"
        f"{fence}markdown\n<!-- generated: echo example -->\n<!-- /generated -->\n{fence}\n\n"
        "<!-- generated: touch figure.png > /dev/null -->\n<!-- /generated -->\n"
    )
    assert (page.parent / "figure.png").is_file()


def test_a_failing_command_names_the_page_and_the_command(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    text = "<!-- generated: echo oops >&2; exit 3 -->\nkept\n<!-- /generated -->\n"
    page.write_text(text)
    with pytest.raises(SystemExit, match=r"page\.md: `echo oops >&2; exit 3` failed:\noops"):
        _generate().main([page])
    assert page.read_text() == text


@pytest.mark.parametrize(
    "text",
    [
        "<!-- generated: echo a-->\n<!-- /generated -->\n",  # no space before -->
        "<!-- generated: echo a -->\nno end\n",
        "stray end\n<!-- /generated -->\n",
    ],
)
def test_a_marker_without_its_pair_is_refused(tmp_path: Path, text: str) -> None:
    page = tmp_path / "page.md"
    page.write_text(text)
    with pytest.raises(SystemExit, match="unpaired markers"):
        _generate().main([page])
    assert page.read_text() == text
