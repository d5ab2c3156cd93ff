"""`synth check`'s report: text for a terminal, markdown, JSON, and JUnit XML for CI.

One row per rule the probes break (caught, missed, false alarms, crashes and timeouts),
then one per near-miss and the valid lines (false alarms only), then the crashes and
timeouts one a line, then the reproducers. Every format says the same.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from synth.format import RULES
from synth.testing.check import Report, Reproducer, Row

FORMATS = ("text", "markdown", "json", "junit")
_HEAD = ("rule or case", "lines", "caught", "missed", "false alarms", "errors")


def _name(row: Row) -> str:
    return {"rule": row.subject, "valid": "valid lines"}.get(row.kind, f"{row.subject} (near-miss)")


def _cells(row: Row) -> tuple[str, ...]:
    caught = str(row.caught) if row.kind == "rule" else "-"
    missed = str(row.missed) if row.kind == "rule" else "-"
    return _name(row), str(row.lines), caught, missed, str(row.false_alarms), str(row.errors)


def _status(row: Row) -> str:
    return "FAIL" if row.failed else "ok"


def _verdict(report: Report) -> str:
    total = report.totals()
    said = (
        f"{report.cases} of {report.planned} cases in {report.seconds:.1f} s (seed {report.seed}): "
        f"{total.caught} caught, {total.missed} missed, {total.false_alarms} false alarms, "
        f"{total.errors} crashes or timeouts"
    )
    if report.stopped:
        said += f"; stopped early: {report.stopped}"
    return said


def _lost(item: Reproducer) -> str:
    said = {"missed": "missed", "false-alarm": "false alarm", "error": "crash or timeout"}
    where = f" line {item.line}" if item.line is not None else ""
    saved = f": {item.folder}" if item.folder is not None else ""
    lines = len(item.probe.lines)
    return (
        f"{said[item.result]} {item.subject} ({item.probe.name},{where} of a "
        f"{lines}-line manifest){saved}"
    )


def text(report: Report) -> str:
    """Aligned columns, failing rows marked, then the findings and reproducers."""
    rows = [_cells(row) for row in report.rows.values()]
    marks = [_status(row) for row in report.rows.values()]
    widths = [max(len(r[i]) for r in [_HEAD, *rows]) for i in range(len(_HEAD))]

    def fmt(cells: tuple[str, ...], mark: str) -> str:
        first = cells[0].ljust(widths[0])
        rest = "  ".join(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return f"{mark:<4}  {first}  {rest}".rstrip()

    out = [f"synth check: {report.validator}", fmt(_HEAD, "")]
    out += [fmt(cells, mark) for cells, mark in zip(rows, marks, strict=True)]
    if report.findings:
        out += ["", "crashes and timeouts:"]
        out += [f"  {f.probe}: {f.status}: {f.detail}" for f in report.findings]
    if report.reproducers:
        out += ["", "smallest failing manifests:"]
        out += [f"  {_lost(item)}" for item in report.reproducers]
    out += ["", _verdict(report), "PASSED" if report.ok else "FAILED"]
    return "\n".join(out) + "\n"


def _md(value: str) -> str:
    return value.replace("|", "\\|")


def markdown(report: Report) -> str:
    """A table for a pull request or a docs page."""
    out = [
        f"**synth check** `{report.validator}`: {'passed' if report.ok else 'FAILED'}",
        "",
        "| " + " | ".join(_HEAD) + " |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in report.rows.values():
        name, *rest = _cells(row)
        shown = name if row.kind == "valid" else name.replace(row.subject, f"`{row.subject}`")
        if row.failed:
            shown = f"**{shown}**"
        out.append("| " + " | ".join([shown, *rest]) + " |")
    if report.findings:
        out += ["", "Crashes and timeouts:", ""]
        out += [f"- `{f.probe}`: {f.status}: {_md(f.detail)}" for f in report.findings]
    if report.reproducers:
        out += ["", "Smallest failing manifests:", ""]
        out += [f"- {_md(_lost(item))}" for item in report.reproducers]
    out += ["", _verdict(report) + "."]
    return "\n".join(out) + "\n"


def as_dict(report: Report) -> dict[str, Any]:
    return {
        "validator": report.validator,
        "ok": report.ok,
        "seed": report.seed,
        "cases": report.cases,
        "planned": report.planned,
        "seconds": round(report.seconds, 3),
        "stopped": report.stopped or None,
        "rows": [
            {
                "subject": row.subject,
                "kind": row.kind,
                "caught": row.caught,
                "missed": row.missed,
                "false_alarms": row.false_alarms,
                "passed": row.passed,
                "lines": row.lines,
                "errors": row.errors,
            }
            for row in report.rows.values()
        ],
        "findings": [
            {"case": f.probe, "status": f.status, "detail": f.detail} for f in report.findings
        ],
        "reproducers": [
            {
                "subject": item.subject,
                "result": item.result,
                "case": item.probe.name,
                "line": item.line,
                "lines": len(item.probe.lines),
                "folder": None if item.folder is None else str(item.folder),
                "command": item.command,
            }
            for item in report.reproducers
        ],
    }


def as_json(report: Report) -> str:
    return json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"


def junit(report: Report) -> str:
    """One test case per row (classname: its kind), failing with what it missed or
    flagged and where the reproducer is; crashes and timeouts are errors."""
    suite = ET.Element(
        "testsuite",
        name="synth check",
        tests=str(len(report.rows)),
        failures=str(sum(bool(r.missed or r.false_alarms) for r in report.rows.values())),
        errors=str(sum(bool(r.errors) for r in report.rows.values())),
        time=f"{report.seconds:.3f}",
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (("validator", report.validator), ("seed", str(report.seed))):
        ET.SubElement(properties, "property", name=name, value=value)
    found = {(r.subject, r.result): r for r in report.reproducers}
    for row in report.rows.values():
        case = ET.SubElement(
            suite, "testcase", classname=f"synth.check.{row.kind}", name=row.subject
        )
        if row.kind == "rule" and row.subject in RULES:
            ET.SubElement(case, "system-out").text = RULES[row.subject].summary
        if row.missed or row.false_alarms:
            said = f"{row.missed} missed, {row.false_alarms} false alarms of {row.subject}"
            failure = ET.SubElement(case, "failure", message=said, type="verdict")
            failure.text = "\n".join(
                _lost(found[key])
                for key in ((row.subject, "missed"), (row.subject, "false-alarm"))
                if key in found
            )
        if row.errors:
            error = ET.SubElement(case, "error", message=f"{row.errors} crashes or timeouts")
            error.text = "\n".join(
                f"{f.probe}: {f.status}: {f.detail}"
                for f in report.findings
                if row.subject in f.subjects
            )
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, "unicode") + "\n"


def render(report: Report, fmt: str) -> str:
    return {"text": text, "markdown": markdown, "json": as_json, "junit": junit}[fmt](report)
