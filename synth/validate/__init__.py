"""The reference validator: a manifest, and its objects if asked, against every rule of the format.

It streams: one line at a time, with O(1) state per line, so a manifest of any
length validates in bounded memory. It never raises on input: any bytes at all give
findings, not a traceback.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

from synth.errors import InputError
from synth.format import S3Uri, Severity, is_s3
from synth.validate.fields import LineFacts, check_line
from synth.validate.findings import Finding, format_json, format_text
from synth.validate.objects import ObjectReader, check_objects, object_reader

__all__ = [
    "Finding",
    "ValidationSetupError",
    "format_json",
    "format_text",
    "iter_findings",
    "run",
    "validate_manifest",
]

Source = Path | bytes | str | Iterable[str] | Iterable[bytes]
_BOM = b"\xef\xbb\xbf"


class ValidationSetupError(InputError):
    """The manifest or its objects cannot be reached at all (not a finding about them)."""


class _Duplicate(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _Duplicate(key)
        seen[key] = value
    return seen


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _encode(text: str) -> bytes:
    """Text as the bytes of a file: escaped bytes (surrogateescape) go back to what they were."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _lines(source: Source) -> Iterator[bytes]:
    if isinstance(source, Path):
        with source.open("rb") as handle:
            yield from handle
    elif isinstance(source, bytes | str):
        data = _encode(source) if isinstance(source, str) else source
        yield from io.BytesIO(data)
    else:
        for line in source:
            yield _encode(line) if isinstance(line, str) else line


def _finding(number: int | None, rule: str, where: str | None, message: str) -> Finding:
    return Finding(rule, Severity.ERROR, number, where, message)


def _parse(raw: bytes, number: int) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The line's object, or the text-level findings that stop it being read."""
    findings: list[Finding] = []
    if raw.startswith(_BOM):
        findings.append(_finding(number, "manifest.encoding", None, "the line starts with a BOM"))
        raw = raw[len(_BOM) :]
    raw = raw.rstrip(b"\n").removesuffix(b"\r")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        findings.append(
            _finding(
                number, "manifest.encoding", None, f"not UTF-8: byte {exc.start + 1} is invalid"
            )
        )
        return None, findings
    if not text.strip():
        findings.append(_finding(number, "manifest.blank-line", None, "a blank line"))
        return None, findings
    duplicate: str | None = None
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_no_constants)
    except _Duplicate as exc:
        duplicate = str(exc)
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        findings.append(
            _finding(number, "manifest.json", None, f"not one JSON value on this line: {reason}")
        )
        return None, findings
    if not isinstance(value, dict):
        kind = type(value).__name__.replace("NoneType", "null")
        findings.append(_finding(number, "manifest.object", None, f"a JSON {kind}, not an object"))
        return None, findings
    if duplicate is not None:
        findings.append(
            _finding(
                number, "manifest.duplicate-key", duplicate, f"key {duplicate!r} appears twice"
            )
        )
    return value, findings


def iter_findings(
    source: Source, *, objects: ObjectReader | Path | Mapping[str, bytes] | Any = None
) -> Iterator[Finding]:
    """Findings in line order, as the manifest is read."""
    reader = object_reader(objects) if objects is not None else None
    first_bucket: str | None = None
    number = 0
    for number, raw in enumerate(_lines(source), start=1):
        obj, findings = _parse(raw, number)
        yield from findings
        if obj is None:
            continue
        facts = LineFacts()
        for rule, where, message, severity in check_line(obj, facts):
            yield Finding(rule, severity, number, where, message)
        for where, bucket in facts.buckets:
            first_bucket = first_bucket or bucket
            if bucket != first_bucket:
                yield _finding(
                    number,
                    "dataset.bucket",
                    where,
                    f"bucket {bucket!r} differs from {first_bucket!r}: a dataset's images "
                    "and masks must be in one bucket",
                )
        if reader is not None:
            mask_field = next((w for w, _ in facts.buckets if w != "source-ref"), None)
            for rule, where, message, severity in check_objects(facts, reader, mask_field):
                yield Finding(rule, severity, number, where, message)
    if number == 0:
        yield _finding(None, "manifest.empty", None, "the manifest has no lines")


def validate_manifest(
    source: Source, *, objects: ObjectReader | Path | Mapping[str, bytes] | Any = None
) -> list[Finding]:
    """Every finding for a manifest given as a path, its text or bytes, or its lines."""
    return list(iter_findings(source, objects=objects))


def dataset_root(manifest: Path) -> Path:
    """The bucket root of a local manifest: the nearest folder up holding dataset.json."""
    for folder in (manifest.parent, *manifest.parent.parents):
        if (folder / "dataset.json").is_file():
            return folder
    return manifest.parent


def run(
    source: str,
    *,
    objects: bool,
    fmt: str,
    out: TextIO,
    root: Path | None = None,
    endpoint_url: str | None = None,
) -> int:
    """The `synth validate` command: 0 with no errors, 1 with errors."""
    lines: Source
    reader: Any = None
    if is_s3(source):
        lines, reader = _open_s3(source, endpoint_url)
    else:
        path = Path(source)
        if not path.is_file():
            raise ValidationSetupError(f"{source}: no such manifest file")
        lines = path
        reader = (root or dataset_root(path)) if objects else None
    formatter = format_json if fmt == "json" else format_text
    errors = 0
    try:
        for finding in iter_findings(lines, objects=reader if objects else None):
            errors += finding.severity is Severity.ERROR
            for text in formatter([finding], source):
                print(text, file=out)
    except BrokenPipeError:
        raise  # the reader of our output went away (`| head`): not a problem with the input
    except OSError as exc:
        raise ValidationSetupError(f"{source}: cannot read ({exc})") from None
    except Exception as exc:
        # boto3's errors reading an S3 manifest or its objects: the setup, not the input.
        if type(exc).__module__.startswith("botocore"):
            from synth.output import s3

            uri = S3Uri.find(source)
            raise ValidationSetupError(
                str(s3.explain(exc, uri.bucket, uri.key) if uri else s3.explain(exc, "?"))
            ) from None
        raise
    return 1 if errors else 0


def _open_s3(source: str, endpoint_url: str | None) -> tuple[Iterator[bytes], Any]:
    from synth.output import s3

    uri = S3Uri.find(source)
    if uri is None:
        raise ValidationSetupError(f"{source}: not an s3://BUCKET/KEY URI with a valid bucket name")
    client = s3.client(endpoint_url)
    with s3.translated(uri.bucket, uri.key):
        body = client.get_object(Bucket=uri.bucket, Key=uri.key)["Body"]
    return body.iter_lines(keepends=True), client
