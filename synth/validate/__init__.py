"""The reference validator: a manifest, and its objects if asked, against every rule of the format.

It streams: one line at a time; across lines it keeps only what the dataset rules need
(one entry per distinct image, per class, per size), so a manifest of the service's
largest size validates in a few megabytes. It never raises on input: any bytes at all
give findings, not a traceback. A project (a train manifest and its test manifests) is
judged as one: duplicates across them, training minimums per split.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from stat import S_ISREG
from typing import Any, TextIO

from synth.errors import InputError
from synth.format import MAX_LINE_CHARS, MAX_MANIFEST_BYTES, S3Uri, Severity, is_s3
from synth.validate.dataset import ProjectChecks
from synth.validate.fields import LineFacts, Problem, check_line
from synth.validate.findings import Finding, format_json, format_text
from synth.validate.mvtec import check_tree, trees
from synth.validate.objects import (
    FirstOf,
    FolderReader,
    ObjectReader,
    S3Reader,
    check_objects,
    object_reader,
)
from synth.validate.profiles import Profile, parse_profile

__all__ = [
    "Finding",
    "Profile",
    "ValidationSetupError",
    "format_json",
    "format_text",
    "iter_findings",
    "iter_project",
    "report",
    "validate_manifest",
    "validate_project",
]

Source = Path | bytes | str | Iterable[str] | Iterable[bytes]
_BOM = b"\xef\xbb\xbf"


class ValidationSetupError(InputError):
    """The manifest or its objects cannot be reached at all (not a finding about them)."""

    code = "validation-setup"


class _Duplicate(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen = dict(pairs)  # built in C; a key given twice makes it shorter than the pairs
    if len(seen) < len(pairs):
        raise _Duplicate(_repeated(pairs))
    return seen


def _repeated(pairs: list[tuple[str, Any]]) -> str:
    """The first key given twice."""
    keys: set[str] = set()
    for key, _ in pairs:
        if key in keys:
            return key
        keys.add(key)
    return ""


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One decoder for every line: json.loads with hooks builds a new one per call.
_STRICT_JSON = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_no_constants)
# The C scanner the decoder calls, without the decoder's wrapper around it.
_SCAN: Callable[[str, int], tuple[Any, int]] = _STRICT_JSON.scan_once  # type: ignore[attr-defined]


def _decode(text: str) -> Any:
    """The line's JSON value; json.loads only for its message about a second BOM, which the
    decoder lacks."""
    return (json.loads if text.startswith("\ufeff") else _STRICT_JSON.decode)(text)


def _encode(text: str) -> bytes:
    """Text as the bytes of a file: escaped bytes (surrogateescape) go back to what they were."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _lines(source: Source, budget: int) -> Iterator[bytes]:
    """The manifest's lines, as read; from a file or a stream (standard input), no more than
    `budget` bytes in all, even in a line without a newline: a stream past the size limit is
    never read whole, nor held (the caller stops at the limit)."""
    if isinstance(source, bytes | str):
        source = io.BytesIO(_encode(source) if isinstance(source, str) else source)
    if isinstance(source, Path):
        with source.open("rb") as handle:
            yield from _read(handle, budget)
    elif isinstance(source, io.IOBase):
        yield from _read(source, budget)
    else:
        for line in source:
            yield _encode(line) if isinstance(line, str) else line


def _read(handle: io.IOBase, budget: int) -> Iterator[bytes]:
    while budget > 0 and (line := handle.readline(budget)):
        budget -= len(line)
        yield _encode(line) if isinstance(line, str) else line


def _finding(number: int | None, rule: str, where: str | None, message: str) -> Finding:
    return Finding(rule, Severity.ERROR, number, where, message)


def _error(rule: str, where: str | None, message: str) -> Problem:
    return Problem(rule, where, message, Severity.ERROR)


def _parse(raw: bytes, number: int) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The line's object, or the text-level findings that stop it being read."""
    if raw[:1] == b"{" and raw[-2:] == b"}\n" and len(raw) <= MAX_LINE_CHARS:
        # The usual line, one object and a newline: the C scanner alone. Anything else about
        # it (bad UTF-8, a repeated key, more after the object) is for the checks below.
        try:
            text = raw[:-1].decode("utf-8")
            value, end = _SCAN(text, 0)
            if end == len(text):
                return value, []
        except (ValueError, StopIteration, RecursionError):
            pass
    findings: list[Finding] = []
    if number == 1 and raw.startswith(_BOM):  # later, U+FEFF is a character: not JSON
        findings.append(_finding(number, "manifest.encoding", None, "the file starts with a BOM"))
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
    if not text or text.isspace():  # as `not text.strip()`, without copying the line
        findings.append(_finding(number, "manifest.blank-line", None, "a blank line"))
        return None, findings
    if len(text) > MAX_LINE_CHARS:
        findings.append(
            Finding(
                "manifest.line-length",
                Severity.WARNING,
                number,
                None,
                f"the line is {len(text):,} characters; the service's entries hold "
                f"at most {MAX_LINE_CHARS:,}",
            )
        )
    duplicate: str | None = None
    try:
        value = _decode(text)
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


Objects = ObjectReader | Path | Mapping[str, bytes] | Any


def iter_findings(
    source: Source, *, objects: Objects = None, profile: str | Profile = Profile.DOCS
) -> Iterator[Finding]:
    """Findings in line order, as the manifest is read, then those across its lines.

    One manifest may be half of a project, so the project rules (image limits, training
    minimums) are left to `iter_project`.
    """
    checks = ProjectChecks()
    name = str(source) if isinstance(source, Path) else None
    yield from _manifest(source, name, checks, _reader(objects), _profile(profile))
    yield from checks.finish()


def iter_project(
    manifests: Sequence[tuple[str, Source]],
    *,
    objects: Objects = None,
    profile: str | Profile = Profile.DOCS,
) -> Iterator[Finding]:
    """Findings for a project: (name, manifest) pairs, the training manifest first.

    One manifest is a single-dataset project; further ones are its test dataset.
    """
    checks, reader, chosen = ProjectChecks(), _reader(objects), _profile(profile)
    for name, source in manifests:
        yield from _manifest(source, name, checks, reader, chosen)
    yield from checks.finish()
    yield from checks.finish_project()


def _reader(objects: Objects) -> ObjectReader | None:
    return object_reader(objects) if objects is not None else None


def _profile(value: str | Profile) -> Profile:
    try:
        return parse_profile(value)
    except ValueError as exc:
        raise ValidationSetupError(str(exc)) from None


def _manifest(
    source: Source,
    name: str | None,
    checks: ProjectChecks,
    reader: ObjectReader | None,
    chosen: Profile,
) -> Iterator[Finding]:
    def finding(number: int | None, problem: Problem) -> Finding:
        rule, where, message, severity, decided = Problem(*problem)
        return Finding(rule, severity, number, where, message, name, profile=decided)

    checks.start(name)
    known = _known_size(source)
    if known > MAX_MANIFEST_BYTES:  # refused by its size, before a byte is read
        checks.unread = True
        yield _too_large(known, name)
        return
    first_bucket: str | None = None
    number = size = 0
    for number, raw in enumerate(_lines(source, MAX_MANIFEST_BYTES + 1), start=1):
        size += len(raw)
        if size > MAX_MANIFEST_BYTES:  # a stream of unknown size (stdin) passing the limit
            checks.unread = True
            yield _too_large(size, name, whole=False)
            return
        obj, problems = _parse(raw, number)
        for problem_finding in problems:
            yield replace(problem_finding, source=name)
        if obj is None:
            continue
        facts = LineFacts()
        for problem in check_line(obj, facts, chosen):
            yield finding(number, problem)
        for where, bucket in facts.buckets:
            first_bucket = first_bucket or bucket
            if bucket != first_bucket:
                yield finding(
                    number,
                    _error(
                        "dataset.bucket",
                        where,
                        f"bucket {bucket!r} differs from {first_bucket!r}: a dataset's images "
                        "and masks must be in one bucket",
                    ),
                )
        if reader is not None:
            for problem in check_objects(facts, reader, facts.mask_attribute, chosen):
                yield finding(number, problem)
        yield from checks.line(number, facts)
    if number == 0:
        yield Finding(
            "manifest.empty", Severity.ERROR, None, None, "the manifest has no lines", name
        )


def _known_size(source: Source) -> int:
    """The manifest's size before reading it: a regular file's, or an S3 object's
    ContentLength; 0 when it is only known by reading (standard input, a FIFO, lines)."""
    if isinstance(source, Path):
        stat = source.stat()
        return stat.st_size if S_ISREG(stat.st_mode) else 0
    return getattr(source, "size", 0)


def _too_large(size: int, name: str | None, *, whole: bool = True) -> Finding:
    said = f"{size:,} bytes" if whole else f"over {MAX_MANIFEST_BYTES:,} bytes (read no further)"
    return Finding(
        "manifest.file-size",
        Severity.ERROR,
        None,
        None,
        f"the manifest is {said}; the limit is {MAX_MANIFEST_BYTES:,} (1 GB)",
        name,
    )


def validate_manifest(
    source: Source,
    *,
    objects: Objects = None,
    profile: str | Profile = Profile.DOCS,
) -> list[Finding]:
    """Every finding for a manifest: a file (a `Path`), its text (`str` or `bytes`), or
    its lines. A path is always a `Path`: a `str` is the manifest itself, as for
    `iter_findings`."""
    if isinstance(source, Path) and not source.is_file():
        raise ValidationSetupError(f"{source}: no such manifest file")
    return list(iter_findings(source, objects=objects, profile=profile))


def validate_project(
    *manifests: Path,
    objects: Objects = None,
    profile: str | Profile = Profile.DOCS,
) -> list[Finding]:
    """Every finding for a project: its training manifest, then its test manifests (files).

    Manifests that are not files (text, lines) go to `iter_project` with names of their own.
    """
    for manifest in manifests:
        if not isinstance(manifest, Path):
            raise TypeError(f"{manifest!r}: validate_project takes manifest files as Paths")
        if not manifest.is_file():
            raise ValidationSetupError(f"{manifest}: no such manifest file")
    return list(iter_project([(str(m), m) for m in manifests], objects=objects, profile=profile))


def dataset_root(manifest: Path) -> Path:
    """The bucket root of a local manifest: the nearest folder up holding dataset.json."""
    for folder in (manifest.parent, *manifest.parent.parents):
        if (folder / "dataset.json").is_file():
            return folder
    return manifest.parent


def report(
    source: str | Sequence[str],
    *,
    objects: bool,
    fmt: str,
    out: TextIO,
    root: Path | None = None,
    endpoint_url: str | None = None,
    profile: str = Profile.DOCS,
) -> int:
    """The `synth validate` command: print the findings, return 0 with no errors, 1 with.

    `source` is where the manifest is, as the command line gives it (a path, an s3://
    URI, or - for standard input), or a project's manifests: the training one first.
    """
    sources = [source] if isinstance(source, str) else list(source)
    formatter = format_json if fmt == "json" else format_text
    categories = [] if len(sources) > 1 or is_s3(sources[0]) else trees(Path(sources[0]))
    if categories:  # MVTec AD trees (--layout mvtec)
        errors = 0
        for problem in (found for tree in categories for found in check_tree(tree)):
            errors += 1
            for text in formatter([problem], sources[0]):
                print(text, file=out)
        return 1 if errors else 0
    manifests: list[tuple[str, Source]] = []
    client: Any = None
    folder: Path | None = None
    for name in sources:
        lines: Source
        if is_s3(name):
            lines, opened = _open_s3(name, endpoint_url)
            client = client or opened
        else:
            lines, found = _open_local(name, root)
            folder = folder or found
        manifests.append((name, lines))
    # Objects where the manifests are: S3, a folder, or both for a project of each.
    reader: Any = client if folder is None else folder
    if client is not None and folder is not None:
        reader = FirstOf(S3Reader(client), FolderReader(folder))
    errors = 0
    findings = iter_project(manifests, objects=reader if objects else None, profile=profile)
    # Only reading is guarded: a failure to print (`| head`, `> /dev/full`) is the caller's.
    while (finding := _next(findings, sources)) is not None:
        errors += finding.severity is Severity.ERROR
        for text in formatter([finding], sources[0]):
            print(text, file=out)
    return 1 if errors else 0


def _open_local(source: str, root: Path | None) -> tuple[Source, Path]:
    """A manifest file, a FIFO or device, or `-` for standard input; and its bucket root."""
    if source == "-":
        return sys.stdin.buffer, root or Path.cwd()
    if not source:
        raise ValidationSetupError("an empty manifest path; give a manifest file")
    path = Path(source)
    if path.is_dir():
        raise ValidationSetupError(
            f"{source}: is a folder; give a manifest file, such as {path / 'train.manifest'}, "
            "or an MVTec AD tree (a folder with train/good or ground_truth)"
        )
    if not path.exists():
        raise ValidationSetupError(f"{source}: no such manifest file")
    return path, root or dataset_root(path)


def _next(findings: Iterator[Finding], sources: Sequence[str]) -> Finding | None:
    """The next finding, with a failure to read the manifests or their objects as one line."""
    try:
        return next(findings, None)
    except OSError as exc:
        raise ValidationSetupError(f"{', '.join(sources)}: cannot read ({exc})") from None
    except Exception as exc:
        # boto3's errors reading an S3 manifest or its objects: the setup, not the input.
        if type(exc).__module__.startswith("botocore"):
            from synth.output import s3

            uri = S3Uri.find(sources[0])
            raise ValidationSetupError(
                str(s3.explain(exc, uri.bucket, uri.key) if uri else s3.explain(exc, "?"))
            ) from None
        raise


def _open_s3(source: str, endpoint_url: str | None) -> tuple[Iterable[bytes], Any]:
    from synth.output import s3

    uri = S3Uri.find(source)
    if uri is None:
        raise ValidationSetupError(f"{source}: not an s3://BUCKET/KEY URI with a valid bucket name")
    client = s3.client(endpoint_url)
    with s3.translated(uri.bucket, uri.key):
        found = client.get_object(Bucket=uri.bucket, Key=uri.key)
    return _S3Lines(found["Body"], found.get("ContentLength", 0)), client


class _S3Lines:
    """An S3 manifest's lines, read as they are iterated, and its size known up front."""

    def __init__(self, body: Any, size: int) -> None:
        self.body, self.size = body, size

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body.iter_lines(keepends=True))
