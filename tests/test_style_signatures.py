"""Each output style writes its producer's lines: key for key, value form for value form.

A line's signature is its shape without its facts: the keys in order at every level,
the attribute names as roles (<label>, <mask>), and each value as its form (int, float,
s3-uri, iso-3Z, js-date, #HEX...). tests/data/real/signatures.json records each producer's
signature for an anomaly line and a normal line, with where it comes from: a corpus file
(re-derived here from the file when the corpus is laid out), a producer's code, or a
document. A generated line of each style must have exactly its producer's signature.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from synth.config.styles import STYLES
from synth.format import CLASSIFICATION_TYPE
from synth.run.generate import generate

HERE = Path(__file__).parent / "data" / "real"
SIGNATURES: dict[str, Any] = json.loads((HERE / "signatures.json").read_text(encoding="utf-8"))
FILES = Path(os.environ.get("SYNTH_REAL_CORPUS", HERE / "files"))

_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(\d+))?(Z?)")
_JS_DATE = re.compile(r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d{4} \d\d:\d\d:\d\d GMT[+-]\d{4} \(.+\)")
_LITERAL = {"type"}  # keys whose values are part of the shape


def _roles(line: dict[str, Any]) -> dict[str, str]:
    """The line's attribute names -> their roles: the label's and the mask's."""
    roles = {}
    for key, value in line.items():
        if key.endswith("-metadata") and isinstance(value, dict):
            name = key.removesuffix("-metadata")
            if value.get("type") == CLASSIFICATION_TYPE:
                roles[name] = "<label>"
            elif name.endswith("-ref") and name != "source-ref":
                roles[name] = "<mask>-ref"
    return roles


def _form(value: Any, key: str, roles: dict[str, str]) -> Any:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if not isinstance(value, str):
        return type(value).__name__
    if value.startswith("s3://"):
        return "s3-uri"
    if iso := _ISO.fullmatch(value):
        return f"iso-{len(iso[1] or '')}{iso[2]}"
    if _JS_DATE.fullmatch(value):
        return "js-date"
    if re.fullmatch(r"#[0-9A-F]{6}", value) and not value[1:].isdigit():
        return "#HEX"
    if re.fullmatch(r"#[0-9a-f]{6}", value) and not value[1:].isdigit():
        return "#hex"
    if value.isdigit():
        return "digits"
    if key == "human-annotated" and value in ("yes", "no"):
        return "yes|no"
    if key == "job-name":  # a job named after an attribute (a mask's with its -ref or not)
        for name, role in roles.items():
            value = value.replace(name, role)
        for name, role in roles.items():
            value = value.replace(name.removesuffix("-ref"), role.removesuffix("-ref"))
        return value if "<" in value or value.startswith("labeling-job/auto") else "job"
    return value if key in _LITERAL else "text"


def _shape(value: Any, key: str, roles: dict[str, str]) -> Any:
    if isinstance(value, dict):
        if key == "internal-color-map":
            first_key, first = next(iter(value.items()))
            return {
                "first-key": first_key,
                "background": any(e.get("class-name") == "BACKGROUND" for e in value.values()),
                "entry": _shape(first, "entry", roles),
            }
        return [[_name(k, roles), _shape(v, k, roles)] for k, v in value.items()]
    return _form(value, key, roles)


def _name(key: str, roles: dict[str, str]) -> str:
    base = key.removesuffix("-metadata")
    return roles.get(base, base) + key[len(base) :]


def signature(raw: str) -> dict[str, Any]:
    """The shape of one manifest line as written, separators included."""
    line = json.loads(raw)
    return {
        "separators": [", " if '", "' in raw else ",", ": " if '": ' in raw else ":"],
        "keys": _shape(line, "", _roles(line)),
    }


def _generated(style: str, task: str, tmp_path: Path) -> dict[str, str]:
    """A generated anomaly line and normal line of the style."""
    dataset = generate(
        "mixed", out=tmp_path, seed=5, count=12, width=64, height=64, style=style, task=task
    )
    lines = dataset.read("train.manifest").decode().splitlines()
    kinds = {}
    for raw in lines:
        meta = next(v for k, v in json.loads(raw).items() if k.endswith("label-metadata"))
        kinds.setdefault(meta["class-name"], raw)
    return kinds


@pytest.mark.parametrize("entry", SIGNATURES["styles"], ids=lambda e: e["style"])
def test_a_style_writes_its_producer_s_lines(entry: dict[str, Any], tmp_path: Path) -> None:
    lines = _generated(entry["style"], entry["task"], tmp_path)
    for kind in ("anomaly", "normal"):
        assert signature(lines[kind]) == entry["lines"][kind], (entry["producer"], kind)


def test_every_style_has_its_producer_s_signature() -> None:
    assert sorted(e["style"] for e in SIGNATURES["styles"]) == sorted(STYLES)


def test_every_style_names_its_remaining_differences() -> None:
    """The producers' table lists them (docs/real-data.md): a list for each style, empty
    only for the style that copies a page's example, which has nothing but that line."""
    for entry in SIGNATURES["styles"]:
        assert isinstance(entry["differences"], list), entry["style"]
        assert all(isinstance(d, str) and d for d in entry["differences"]), entry["style"]
        assert bool(entry["differences"]) == (not entry["from"].startswith("corpus:docs/")), entry


@pytest.mark.parametrize(
    "entry",
    [e for e in SIGNATURES["styles"] if e["from"].startswith("corpus:")],
    ids=lambda e: e["style"],
)
def test_recorded_signatures_are_the_real_files(entry: dict[str, Any]) -> None:
    """The signatures taken from the corpus are those of its lines, re-derived."""
    name = entry["from"].removeprefix("corpus:")
    path = FILES / name
    if not path.is_file():
        pytest.skip(f"{path} absent: lay the corpus out with tests/data/real/gather.py")
    lines = path.read_text(encoding="utf-8").splitlines()
    for kind, number in entry["corpus_lines"].items():
        assert signature(lines[number - 1]) == entry["lines"][kind], kind
