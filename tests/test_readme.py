"""Every code block of the docs runs, so the docs cannot drift from the code.

Python blocks that define tests run under pytest in a project of their own, beside
the user's functions they call (`my_validate`, `my_importer`, ...), written here on
top of synth; other Python blocks run as they are. Shell blocks run their `synth`
commands in order in one temporary folder, the TOML preset saved as my-preset.toml.
Skipped, and why: commands that need a real AWS account or a network endpoint
(`s3://` outputs without `--mock-s3`, `--endpoint-url`), the user's own manifest
(`cookies.manifest`), lines that are not synth commands (`make`, `pip install`), and
Python blocks that load anomalib (it pulls torch: `bench/check_anomalib.sh` runs that
check in a virtualenv of its own).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import hypothesis_conftest

ROOT = Path(__file__).parents[1]
# The pages in the site's order (mkdocs.yml's nav), so shell blocks run as a reader meets them.
PAGES = ["README.md"] + [
    f"docs/{name}"
    for name in re.findall(
        r"^\s+- (?:[^:\n]+: )?(\S+\.md)$", (ROOT / "mkdocs.yml").read_text(), re.M
    )
]
DOCS = "\n".join((ROOT / page).read_text() for page in PAGES)
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```", DOCS, re.M | re.S)

pytest_plugins = ["pytester"]
# Imports of packages too heavy for the suite, checked by a script of their own.
HEAVY = re.compile(r"^(?:from|import) anomalib\b", re.M)

# The user's code the docs' test examples call, written on synth itself.
USER_CODE = """
import json, types
from synth.validate import validate_manifest


def my_validate(manifest, objects):
    return {f.rule for f in validate_manifest(manifest, objects=objects) if f.severity == "error"}


def my_flagged_lines(manifest, objects):
    found = validate_manifest(manifest, objects=objects)
    return {f.line for f in found if f.severity == "error" and f.line is not None}


def my_importer(location):
    return open(location).read().splitlines()


def my_validator_rules(dataset, manifest, line):
    text = dataset.read(manifest).decode("utf-8", "surrogateescape").splitlines(keepends=True)
    root = dataset.location
    return {
        f.rule
        for f in validate_manifest(text[line - 1], objects=__import__("pathlib").Path(root))
        if f.severity == "error"
    }


def _import_manifest(uri):
    import boto3
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return types.SimpleNamespace(images=len(body.splitlines()))


my_pipeline = types.SimpleNamespace(import_manifest=_import_manifest)
"""


def _skip_reason(command: str) -> str | None:
    if "--endpoint-url" in command or ("s3://" in command and "--mock-s3" not in command):
        return "needs a real AWS account or a network endpoint"
    if "cookies.manifest" in command:
        return "the user's own manifest"
    return None


def _commands() -> list[str]:
    lines = []
    for lang, body in BLOCKS:
        if lang == "sh":
            for line in body.splitlines():
                command = line.split("  #")[0].strip()
                lines += [c.strip() for c in command.split(" / ") if c.startswith("synth ")]
    return lines


def test_the_docs_have_blocks_of_each_kind() -> None:
    kinds = {lang for lang, _ in BLOCKS}
    assert {"sh", "python", "toml"} <= kinds
    # The shell blocks run every subcommand that makes or reads a dataset; the listings
    # (faults, rules, layouts) and check (it needs a user's validator) are shown, not run.
    from synth.cli import cli

    ran = {command.split()[1] for command in _commands()}
    assert ran >= set(cli.commands) - {"check", "faults", "layouts", "rules"}


def _expanded(args: list[str], folder: Path) -> list[str]:
    """The arguments as a shell passes them: a pattern that matches files in `folder`
    becomes their sorted names (one that matches none stays as it is)."""
    expanded = []
    for arg in args:
        pattern = "*" in arg and not arg.startswith("/")
        matches = sorted(str(p.relative_to(folder)) for p in folder.glob(arg)) if pattern else []
        expanded += matches or [arg]
    return expanded


@pytest.mark.slow
def test_shell_blocks_run_in_order(tmp_path: Path) -> None:
    preset = next(body for lang, body in BLOCKS if lang == "toml" and "[image]" in body)
    (tmp_path / "my-preset.toml").write_text(preset)
    ran = []
    for command in _commands():
        if _skip_reason(command):
            continue
        args = _expanded(shlex.split(command)[1:], tmp_path)
        done = subprocess.run(
            [sys.executable, "-m", "synth", *args], cwd=tmp_path, capture_output=True, text=True
        )
        allowed = {0, 1} if args[0] == "validate" else {0}  # validate: 1 = findings
        assert done.returncode in allowed, (command, done.stderr[-2000:])
        assert "Traceback" not in done.stderr, command
        ran.append(command)
    assert any("--broken" in c for c in ran)
    assert (tmp_path / "data" / "broken" / "expected.jsonl").is_file()


def test_python_api_blocks_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    plain = [
        body
        for lang, body in BLOCKS
        if lang == "python" and "def test_" not in body and not HEAVY.search(body)
    ]
    assert plain
    for body in plain:
        exec(compile(body, "docs", "exec"), {})


@pytest.mark.slow
def test_python_test_blocks_pass(pytester: pytest.Pytester) -> None:
    tests = [body for lang, body in BLOCKS if lang == "python" and "def test_" in body]
    pytester.makeconftest(hypothesis_conftest())
    pytester.makepyfile(test_docs_examples=USER_CODE + "\n\n".join(tests))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    names = {m for body in tests for m in re.findall(r"def (test_\w+)", body)}
    assert names == set(re.findall(r"def (test_\w+)", DOCS))  # every test the pages show
    result.assert_outcomes(passed=len(names) - 1 + _parametrized())


def _parametrized() -> int:
    from synth.testing import every_case

    return len(every_case())
