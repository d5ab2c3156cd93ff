"""The tree reads preset -> plan -> imaging -> annotate -> output -> run, never backwards.

Read from the source with `ast`, so every import counts (a lazy one inside a function
too), and nothing is imported or run. Only imports under `if TYPE_CHECKING:` are left
out: they never run, and a shared registry names the entry types it holds that way.
"""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import synth

ROOT = Path(synth.__file__).parent

# The stages in the order data flows through them. A module may import its own stage
# and earlier ones. validate/ and faults/ stand beside the pipeline: the run checks
# what it wrote (validate) and breaks copies on purpose (faults), and testing/ drives
# the run from pytest and Hypothesis.
STAGES = (
    "config",
    "plan",
    "imaging",
    "annotate",
    "faults",
    "output",
    "validate",
    "run",
    "testing",
    "entry",  # the command line and the public names: they may import anything
)
# Read by every stage; they import nothing of synth but each other.
SHARED = {
    "synth.format",
    "synth.errors",
    "synth.registry",
    "synth.seeding",
    "synth.extras",
    "synth.environment",
    "synth.processes",  # whether a claim's or a spool's holder is gone: annotate, output, run
    "synth.wakeup",  # reads a stop ends in any thread: installed by the command line
}
ENTRY = {"synth", "synth.cli", "synth.entry", "synth.__main__", "synth.strategies"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def stage(module: str) -> int:
    if module in ENTRY:
        return STAGES.index("entry")
    return STAGES.index(module.split(".")[1])


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported(module: str) -> set[str]:
    """The synth modules `module` imports, resolved to the module (not the name) it names."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:  # `from pkg import module` names the module
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return {name for name in found if name in MODULES and name != module}


def test_every_module_has_a_stage() -> None:
    # The walk found the package: every module Python's own walk of it finds.
    walked = pkgutil.walk_packages(synth.__path__, "synth.")
    assert set(MODULES) == {"synth"} | {module.name for module in walked}
    for module in MODULES:
        assert module in SHARED or module in ENTRY or module.split(".")[1] in STAGES, module


def test_no_stage_imports_a_later_one() -> None:
    backwards = []
    for module in MODULES:
        for target in sorted(imported(module)):
            if target in SHARED or target == "synth":  # every import runs it first anyway
                ok = True
            elif module in SHARED:
                ok = False  # a shared module would pull a stage into every other
            else:
                ok = stage(target) <= stage(module)
            if not ok:
                backwards.append(f"{module} imports {target}")
    assert backwards == []


def test_no_two_modules_import_each_other() -> None:
    graph = {module: imported(module) for module in MODULES}
    # Packages re-export their modules, and those modules' relative imports may name
    # the package back: that pair is one unit, not a cycle between units.
    cycles = sorted(
        f"{a} <-> {b}"
        for a in graph
        for b in graph[a]
        if a < b and a in graph[b] and not (b.startswith(a + ".") or a.startswith(b + "."))
    )
    assert cycles == []
