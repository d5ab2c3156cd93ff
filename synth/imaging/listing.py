"""What `synth painters` and `synth textures` print, and the docs' tables, from the registries.

One source for all three, so a new painter or texture (built in or a plugin's) is listed
with its parameters without anyone editing a table.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from synth.imaging.defects import PAINTERS, Painter, ParamRange
from synth.imaging.textures import TEXTURES, Texture


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0] if (doc or "").strip() else ""


def _param(name: str, spec: ParamRange) -> str:
    low, high = spec.default
    return f"{name} [{low:g}, {high:g}] in [{spec.minimum:g}, {spec.maximum:g}] {spec.unit}"


def painter_lines(painters: Mapping[str, Painter] = PAINTERS) -> Iterator[str]:
    """Each painter, then one indented line per parameter: default range, bounds, unit, doc."""
    for name, painter in painters.items():
        yield f"{name}: {_first_line(type(painter).__doc__)}"
        for param, spec in painter.params.items():
            yield f"    {_param(param, spec)}: {spec.doc}"


def texture_lines(textures: Mapping[str, Texture] = TEXTURES) -> Iterator[str]:
    width = max(map(len, textures))
    for name, texture in textures.items():
        yield f"{name:<{width}}  {texture.description}"


def painters_markdown(painters: Mapping[str, Painter] = PAINTERS) -> str:
    """The docs' table of painters: name, what it paints, parameters as [default] in bounds."""
    rows = [
        "| painter | what it paints | parameters: default [low, high] in bounds |",
        "|---|---|---|",
    ]
    for name, painter in painters.items():
        params = "<br>".join(
            f"`{_param(param, spec)}`: {spec.doc}" for param, spec in painter.params.items()
        )
        rows.append(f"| `{name}` | {_first_line(type(painter).__doc__)} | {params} |")
    return "\n".join(rows)


def textures_markdown(textures: Mapping[str, Texture] = TEXTURES) -> str:
    rows = ["| texture | surface |", "|---|---|"]
    rows += [f"| `{name}` | {t.description} |" for name, t in textures.items()]
    return "\n".join(rows)
