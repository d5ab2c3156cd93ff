"""`synth check` and `check_validator`: validators with planted bugs, in Python, sh and Node,
judged rule by rule; crashes, hangs and budgets; the report's formats."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from synth.cli import cli
from synth.faults import CATALOGUE, DATASET_FAULTS
from synth.format import Severity
from synth.testing.check import Report, check_validator
from synth.testing.readers import Reader
from synth.testing.report import render
from synth.validate import Finding, validate_manifest
from tests.invariants import PATIENCE, wait_until

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SYNTH = [sys.executable, "-m", "synth"]
# One rule a family (URI, label, mask, color map, objects, dataset): a validator lacking it.
FAMILIES = {
    "uri": "source-ref.uri",
    "label": "label.value",
    "mask": "mask.type",
    "color-map": "color-map.hex-color",
    "objects": "mask-image.color",
    "dataset": "dataset.duplicate-image",
}
ONE_STYLE = {"tasks": ["segmentation"], "styles": ["synth"]}


def _errors(manifest: Path, root: Path, profile: str = "docs") -> list[Finding]:
    found = validate_manifest(manifest, objects=root, profile=profile)
    return [f for f in found if f.severity is Severity.ERROR]


def _without(rule: str) -> Callable[[Path, Path], list[Finding]]:
    """synth's validator with one check taken out: the bug is that rule, never reported."""

    def validate(manifest: Path, root: Path) -> list[Finding]:
        return [f for f in _errors(manifest, root) if f.rule != rule]

    return validate


def _faults_of(rule: str) -> int:
    """How many line faults break `rule`: its fixed cases on one task and style."""
    return sum(rule in f.rules for f in CATALOGUE.values())


def _failed(report: Report) -> set[str]:
    return {row.subject for row in report.rows.values() if row.failed}


@pytest.mark.parametrize("rule", FAMILIES.values(), ids=FAMILIES.keys())
def test_a_planted_bug_is_the_one_rule_missed_and_its_reproducer_fails(
    rule: str, tmp_path: Path
) -> None:
    # The rule's own probes and the valid ones: that every other rule is caught is
    # test_synth_validate_misses_nothing_and_flags_nothing_valid's.
    report = check_validator(
        _without(rule), cases=5, rules=[rule], reproducers=tmp_path, **ONE_STYLE
    )
    assert _failed(report) == {rule}
    row = report.rows[rule]
    assert row.missed > 0
    assert row.false_alarms == row.errors == 0
    assert not report.ok
    [saved] = report.reproducers
    assert (saved.subject, saved.result) == (rule, "missed")
    assert saved.folder is not None
    manifest, root = saved.folder / "manifest.jsonl", saved.folder / "objects"
    breaking = {f.line for f in _errors(manifest, root) if f.rule == rule}
    assert breaking, "the reproducer breaks the rule"
    assert not breaking & {f.line for f in _without(rule)(manifest, root)}, "and is missed"
    assert (saved.folder / "expected.json").is_file()
    assert "missed " + rule in (saved.folder / "REPRODUCE.txt").read_text()


def test_a_dataset_reproducer_is_shrunk_to_the_two_lines_the_rule_needs(tmp_path: Path) -> None:
    rule = "dataset.image-dimensions"
    report = check_validator(_without(rule), cases=0, reproducers=tmp_path, **ONE_STYLE)
    [saved] = report.reproducers
    assert saved.probe.name.endswith("/other-image-size")
    assert len(saved.probe.lines) == 2  # the fixed probe's three, less the valid filler
    assert saved.line == 2


@pytest.mark.parametrize("profile", ["docs", "service"])
def test_synth_validate_misses_nothing_and_flags_nothing_valid(profile: str) -> None:
    def validate(manifest: Path, root: Path) -> list[Finding]:
        return _errors(manifest, root, profile)

    # One task and style a profile (synth's under docs, the console's under service), every
    # line and dataset fault among its probes; synth validate on every style's probes is
    # tests/test_suite.py's test_synth_validate_passes_every_case.
    styles = ["synth"] if profile == "docs" else ["console"]
    chosen = {"cases": 10 if profile == "docs" else 0, "tasks": ["segmentation"], "styles": styles}
    report = check_validator(validate, profile=profile, **chosen)
    assert report.ok, render(report, "text")
    assert report.cases == report.planned
    if profile == "docs":  # every rule a fault breaks was tried and caught, bar the project's
        caught = {row.subject for row in report.rows.values() if row.caught}
        lines = [*CATALOGUE.values(), *(f for f in DATASET_FAULTS.values() if f.level == "dataset")]
        assert caught == {rule for f in lines for rule in f.rules}


@pytest.mark.slow
def test_the_command_line_against_synth_validate_exits_0(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "check",
            "--rules",
            "color-map.hex-color,dataset.duplicate-image",
            "--task",
            "segmentation",
            "--style",
            "synth",
            "--cases",
            "2",
            "--jobs",
            "2",
            "--reproducers",
            str(tmp_path / "found"),
            "--json",
            str(tmp_path / "report.json"),
            "--",
            *SYNTH,
            "validate",
            "--objects",
            "--root",
            "{root}",
            "{manifest}",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report.json").read_text())
    rows = {row["subject"]: row for row in report["rows"]}
    assert rows["color-map.hex-color"]["caught"] >= 2  # hex-color-short, hex-color-name
    assert rows["dataset.duplicate-image"]["caught"] >= 1
    assert rows["keys-reordered"]["passed"] >= 1
    assert not (tmp_path / "found").exists()  # nothing failed: no reproducer


@pytest.mark.slow
def test_a_shell_validator_missing_one_condition(tmp_path: Path) -> None:
    """examples/check/validate.sh never checks the bucket's name: source-ref.uri is missed
    (by the bad-bucket fault), everything else it checks is caught."""
    script = EXAMPLES / "check" / "validate.sh"
    found = tmp_path / "found"
    result = CliRunner().invoke(
        cli,
        [
            "check",
            "--no-objects",
            "--rules",
            "manifest.blank-line,source-ref.missing,source-ref.uri",
            "--cases",
            "10",
            "--format",
            "json",
            "--reproducers",
            str(found),
            "--",
            "sh",
            str(script),
            "{manifest}",
        ],
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    rows = {row["subject"]: row for row in report["rows"]}
    assert {s for s, row in rows.items() if row["missed"] or row["false_alarms"]} == {
        "source-ref.uri"
    }
    assert rows["source-ref.uri"]["caught"] > 0
    assert rows["source-ref.missing"]["caught"] > 0
    [saved] = report["reproducers"]
    manifest = Path(saved["folder"]) / "manifest.jsonl"
    assert subprocess.run(["sh", str(script), str(manifest)]).returncode == 0  # still missed
    assert "source-ref.uri" in {f.rule for f in validate_manifest(manifest)}


_NODE_VALIDATOR = r"""
// Checks that each line is a JSON object and its color map's colors are #rrggbb, printing
// JSON lines. The bug: lower case only, so a valid #FF0000 is refused.
const fs = require("fs");
const lines = fs.readFileSync(process.argv[2], "utf8").split("\n").slice(0, -1);
lines.forEach((text, index) => {
  const say = (message) => console.log(JSON.stringify({ line: index + 1, message }));
  let value;
  try { value = JSON.parse(text); } catch (error) { return say("not JSON"); }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return say("not an object");
  }
  for (const [key, meta] of Object.entries(value)) {
    const map = key.endsWith("-metadata") && meta && meta["internal-color-map"];
    for (const entry of Object.values(map || {})) {
      if (!/^#[0-9a-f]{6}$/.test(entry["hex-color"])) say("bad hex-color");
    }
  }
});
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_a_node_validator_with_json_output_raises_a_false_alarm(tmp_path: Path) -> None:
    script = tmp_path / "validate.js"
    script.write_text(_NODE_VALIDATOR)
    report = check_validator(
        ["node", str(script), "{manifest}"],
        reader=Reader("json"),
        cases=0,
        objects=False,
        rules=["manifest.json", "manifest.object", "color-map.hex-color"],
        **ONE_STYLE,
    )
    assert _failed(report) == {"upper-case-hex"}
    assert report.rows["upper-case-hex"].false_alarms == 1
    assert report.rows["color-map.hex-color"].caught == _faults_of("color-map.hex-color")
    assert report.rows["manifest.json"].missed == 0


_UNRELIABLE = r"""
# Crashes on a five-digit color, hangs on an upper-case one, accepts the rest.
if grep -q '"#[0-9a-f]\{5\}"' "$1"; then kill -SEGV $$; fi
if grep -q '"#[0-9a-f]*[A-F]' "$1"; then sleep 600; fi
exit 0
"""


@pytest.mark.slow
def test_crashes_and_hangs_are_findings_one_line_each(tmp_path: Path) -> None:
    script = tmp_path / "unreliable.sh"
    script.write_text(_UNRELIABLE)
    started = time.monotonic()
    result = CliRunner().invoke(
        cli,
        [
            "check",
            "--rules",
            "color-map.hex-color",
            "--task",
            "segmentation",
            "--style",
            "synth",
            "--cases",
            "0",
            "--timeout",
            "10",  # long enough for a loaded machine to start sh; the hang is 600 s
            "--reproducers",
            str(tmp_path / "found"),
            "--",
            "sh",
            str(script),
        ],
    )
    assert time.monotonic() - started < 300  # the hang was killed, not waited for (600 s)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert "  segmentation/synth/hex-color-short: crash: killed by SIGSEGV" in lines
    assert "  segmentation/synth/upper-case-hex: timeout: no verdict within 10 s" in lines
    assert any(line.startswith("FAIL  color-map.hex-color") for line in lines)  # -name missed


@pytest.mark.slow
def test_the_run_ends_within_its_time_budget(tmp_path: Path) -> None:
    hangs = ["sh", "-c", "sleep 60", "{manifest}"]
    report = check_validator(hangs, cases=50, seconds=2, timeout=30, **ONE_STYLE)
    assert report.stopped  # by the budget: the cases' own 30 s timeouts come later
    assert report.cases < report.planned
    assert report.findings
    assert report.findings[0].status == "timeout"


def test_a_callable_that_raises_is_a_crash_not_a_traceback() -> None:
    def broken(manifest: Path) -> bool:
        raise KeyError("anomaly-label")

    report = check_validator(broken, cases=0, rules=["label.value"], **ONE_STYLE)
    assert not report.ok
    assert report.findings[0].detail == "raised KeyError: 'anomaly-label'"


def test_the_reports_say_the_same_in_every_format(tmp_path: Path) -> None:
    rule = "color-map.hex-color"
    report = check_validator(
        _without(rule), cases=0, rules=[rule], reproducers=tmp_path, **ONE_STYLE
    )
    text = render(report, "text")
    assert f"FAIL  {rule}" in text
    assert text.rstrip().endswith("FAILED")
    markdown = render(report, "markdown")
    faults = _faults_of(rule)
    assert f"| **`{rule}`** | {faults} | 0 | {faults} | 0 | 0 |" in markdown
    data = json.loads(render(report, "json"))
    assert data["ok"] is False
    assert [r["subject"] for r in data["reproducers"]] == [rule]
    suite = ET.fromstring(render(report, "junit"))
    failing = [
        case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None
    ]
    assert failing == [rule]
    assert suite.get("tests") == str(len(report.rows))


def _cli_stderr(stderr: int, cwd: Path) -> bytes:
    """What `synth check` prints on standard error when it is `stderr` (a pipe or a pty)."""
    args = [*SYNTH, "check", "--rules", "label.type", "--task", "classification"]
    args += ["--style", "synth", "--cases", "0", "--", "true"]
    done = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=stderr, timeout=PATIENCE, cwd=cwd)
    assert done.returncode == 1  # `true` accepts everything: label.type missed
    return done.stderr or b""


@pytest.mark.slow
def test_a_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    assert _cli_stderr(subprocess.PIPE, tmp_path) == b""
    leader, follower = pty.openpty()
    # A terminal 80 columns wide: a new pty has none, and tqdm draws no bar in 0 columns.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    try:
        _cli_stderr(follower, tmp_path)
        os.close(follower)
        follower = -1
        said = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            said += chunk
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    assert b"case/s" in said or b"s/case" in said


_S3_VALIDATOR = """
# Reads the manifest and each line's image from S3: the image is there, a PNG or a JPEG.
import json, sys, boto3
from botocore.config import Config

s3 = boto3.client("s3", endpoint_url=sys.argv[1], config=Config(s3={"addressing_style": "path"}))
def get(uri):
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()

for number, line in enumerate(get(sys.argv[2]).splitlines(), 1):
    try:
        data = get(json.loads(line)["source-ref"])
    except s3.exceptions.NoSuchKey:
        print(f"manifest.jsonl:{number}: no image")
        continue
    if not data.startswith((b"\\x89PNG", b"\\xff\\xd8")):
        print(f"manifest.jsonl:{number}: not a PNG or JPEG")
"""


@pytest.fixture
def moto_server(aws_env: None) -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.mark.slow
def test_on_an_s3_endpoint_the_validator_reads_the_objects_there(
    moto_server: str, tmp_path: Path
) -> None:
    import boto3

    script = tmp_path / "s3_images.py"
    script.write_text(_S3_VALIDATOR)
    report = check_validator(
        [sys.executable, str(script), "{endpoint}", "{manifest_uri}"],
        cases=0,
        rules=["image.missing", "image.format"],
        tasks=["classification"],
        styles=["synth"],
        endpoint_url=moto_server,
        reproducers=tmp_path,
    )
    assert report.ok, render(report, "text")
    assert report.rows["image.format"].caught == 2
    assert report.rows["image.missing"].caught == 1
    s3 = boto3.client("s3", endpoint_url=moto_server)
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert "synth-check-manifests" in buckets
    assert all(s3.list_objects_v2(Bucket=b)["KeyCount"] == 0 for b in buckets)  # cleaned up


@pytest.mark.slow
def test_a_stopped_run_leaves_no_validator_running(tmp_path: Path) -> None:
    """SIGTERM (or Ctrl-C) mid-case: the command it was running, in its own session, and
    what that started are killed too; synth check says it stopped."""
    mark = tmp_path / "started"
    # A sleep of its own (this machine may run another suite's copy of this test at once).
    sleeping = f"sleep 317.{os.getpid()}"
    hang = f"touch {mark}; exec {sleeping}"
    args = [*SYNTH, "check", "--rules", "label.type", "--task", "classification"]
    args += ["--style", "synth", "--cases", "0", "--timeout", "120", "--jobs", "2"]
    args += ["--", "sh", "-c", hang, "{manifest}"]
    run = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_until(lambda: mark.exists() or run.poll() is not None, PATIENCE, "the validator")
    assert mark.exists()
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=PATIENCE)
    assert run.returncode == 128 + signal.SIGTERM
    assert b"stopped by SIGTERM" in err
    assert b"Traceback" not in err
    left = subprocess.run(["pgrep", "-f", "-x", sleeping], capture_output=True)
    assert left.stdout == b""


def test_a_command_that_cannot_run_is_one_line(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-validator")
    args = ["check", "--cases", "0", "--task", "classification", "--style", "synth"]
    result = CliRunner().invoke(cli, [*args, "--", missing, "{manifest}"])
    assert result.exit_code == 2
    assert f"cannot run {missing!r}: No such file or directory" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
