"""The reference validator: a manifest, and its objects if asked, against every rule of the format.

It streams: one line at a time; across lines it keeps only what the dataset rules need
(one entry per distinct image, per class, per size), so a manifest of the service's
largest size validates in a few megabytes. It never raises on input: any bytes at all
give findings, not a traceback. A project (a train manifest and its test manifests) is
judged as one: duplicates across them, training minimums per split.
"""

from __future__ import annotations

import functools
import io
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from stat import S_ISREG
from typing import Any, TextIO, cast

from synth.errors import InputError
from synth.format import MAX_LINE_CHARS, MAX_MANIFEST_BYTES, S3Uri, Severity, is_s3
from synth.validate.blocks import shaped
from synth.validate.dataset import ProjectChecks
from synth.validate.fields import LineFacts, Problem, check_line
from synth.validate.findings import Finding, format_json, format_text
from synth.validate.mvtec import check_tree, trees
from synth.validate.parse import (
    MAX_LINE_BYTES,
    Lines,
    Overlong,
    Source,
    not_a_manifest,
    parse,
    parse_exactly,
)
from synth.validate.profiles import Profile, parse_profile
from synth.validate.readers import FirstOf, FolderReader, ObjectReader, S3Reader, object_reader
from synth.validate.shapes import Shapes
from synth.validate.workers import Later, OrderedMap, Then

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


class ValidationSetupError(InputError):
    """The manifest or its objects cannot be reached at all (not a finding about them)."""

    code = "validation-setup"


def _error(rule: str, where: str | None, message: str) -> Problem:
    return Problem(rule, where, message, Severity.ERROR)


Objects = ObjectReader | Path | Mapping[str, bytes] | Any


def iter_findings(
    source: Source,
    *,
    objects: Objects = None,
    profile: str | Profile = Profile.DOCS,
    exact: bool = False,
    workers: int = 1,
    processes: OrderedMap | None = None,
) -> Iterator[Finding]:
    """Findings in line order, as the manifest is read, then those across its lines.

    One manifest may be half of a project, so the project rules (image limits, training
    minimums) are left to `iter_project`. `exact` reads every line with Python's json,
    checks every value afresh and decodes every object with Pillow: the same findings,
    several times slower (the reference the fast path is tested against). `workers`
    check the objects (see `synth.validate.workers`): the same findings, in the same order;
    threads, or processes for a folder's objects given `processes`
    (`synth.run.executor.ordered_map`, as the command line gives it).
    """
    checks = ProjectChecks()
    name = str(source) if isinstance(source, Path) else None
    shapes = None if exact else Shapes()
    reader, chosen = _reader(objects), _profile(profile)
    yield from _checked([(name, source)], checks, reader, chosen, shapes, workers, processes)
    yield from checks.finish()


def iter_project(
    manifests: Sequence[tuple[str, Source]],
    *,
    objects: Objects = None,
    profile: str | Profile = Profile.DOCS,
    exact: bool = False,
    workers: int = 1,
    processes: OrderedMap | None = None,
) -> Iterator[Finding]:
    """Findings for a project: (name, manifest) pairs, the training manifest first.

    One manifest is a single-dataset project; further ones are its test dataset.
    `exact`, `workers` and `processes` are `iter_findings`'.
    """
    checks, reader, chosen = ProjectChecks(), _reader(objects), _profile(profile)
    shapes = None if exact else Shapes()
    yield from _checked(manifests, checks, reader, chosen, shapes, workers, processes)
    yield from checks.finish()
    yield from checks.finish_project()


def _reader(objects: Objects) -> ObjectReader | None:
    return object_reader(objects) if objects is not None else None


def _profile(value: str | Profile) -> Profile:
    try:
        return parse_profile(value)
    except ValueError as exc:
        raise ValidationSetupError(str(exc)) from None


def _checked(
    manifests: Sequence[tuple[str | None, Source]],
    checks: ProjectChecks,
    reader: ObjectReader | None,
    chosen: Profile,
    shapes: Shapes | None,
    workers: int,
    processes: OrderedMap | None,
) -> Iterator[Finding]:
    """The findings of (name, manifest) pairs in turn (see `_manifest`), their objects
    checked by `workers`: one set of workers for them all."""
    if reader is None or workers <= 1:
        for name, source in manifests:
            # Without `later`, every item is a finding.
            found = _manifest(source, name, checks, reader, chosen, shapes)
            yield from cast(Iterator[Finding], found)
        return
    from synth.validate.workers import in_order

    stream = (
        item
        for name, source in manifests
        for item in _manifest(source, name, checks, reader, chosen, shapes, later=True)
    )
    yield from in_order(stream, reader, chosen, shapes is None, workers, processes)


def _manifest(
    source: Source,
    name: str | None,
    checks: ProjectChecks,
    reader: ObjectReader | None,
    chosen: Profile,
    shapes: Shapes | None,
    *,
    later: bool = False,
) -> Iterator[Finding | Later | Then]:
    """The manifest's findings; with `shapes`, the fast path (a line of a known shape is
    not parsed, any other is parsed by orjson and its shape kept), else the exact path.
    With `later`, a line that reaches its object checks is a `Later` in its place, its
    objects' findings and the dataset checks of it left to the caller, and the dataset
    checks start the manifest in its place too (a `Then`: after the lines before it)."""
    exact = shapes is None

    def finding(number: int | None, problem: Problem) -> Finding:
        rule, where, message, severity, decided = Problem(*problem)
        return Finding(rule, severity, number, where, message, name, profile=decided)

    if later:
        yield Then(functools.partial(checks.start, name))
    else:
        checks.start(name)
    known = _known_size(source)
    if known > MAX_MANIFEST_BYTES:  # refused by its size, before a byte is read
        checks.unread = True
        yield _too_large(known, name)
        return
    if reader is not None:  # the imaging libraries, only when objects are read
        from synth.validate.objects import check_objects
    first_bucket: str | None = None
    quiet_buckets: tuple[tuple[str, str], ...] | None = None  # the last that gave no finding
    number = 0
    reading = Lines(source, MAX_MANIFEST_BYTES + 1)
    by_blocks = shapes is not None and reader is None  # lines only, on the fast path

    def at_once(number: int, block: list[bytes], first_bucket: str) -> bool:
        """Whether the block's lines, from line `number` on, were judged at once: every
        one of a known shape in its values' places, with no finding (nor a bucket but
        the first); then they are counted and their images noted."""
        grouped = shaped(shapes, block) if shapes is not None and by_blocks else None
        return (
            grouped is not None
            and all(
                not shape.problems
                and all(bucket == first_bucket for _, bucket in shape.facts.buckets)
                for shape, _, _ in grouped
            )
            and checks.alike(number, len(block), [(s.facts, at, u) for s, at, u in grouped])
        )

    for block in reading.blocks():
        if number and first_bucket is not None and at_once(number + 1, block, first_bucket):
            number += len(block)  # no line gives a finding: counted, their images noted
            continue
        for raw in block:
            number += 1
            if reading.read > MAX_MANIFEST_BYTES:  # a stream (stdin) past the limit
                checks.unread = True
                yield _too_large(reading.read, name, whole=False)
                return
            if number == 1 and (kind := not_a_manifest(raw, cut=type(raw) is Overlong)) is not None:
                checks.unread = True  # one line says it all: no per-line or project findings
                yield Finding(
                    "manifest.encoding",
                    Severity.ERROR,
                    None,
                    None,
                    f"the file {kind}, not a manifest: a manifest is UTF-8 text, one JSON "
                    "object a line",
                    name,
                )
                return
            if type(raw) is Overlong:  # one finding, and the rest of the line skipped unread
                yield finding(number, _error("manifest.line-length", None, _OVERLONG))
                continue
            seen = shapes.match(raw) if shapes is not None else None
            if seen is not None:
                shape, facts = seen
                checked: Sequence[Problem] = shape.problems
            else:
                obj, unread = (parse_exactly if exact else parse)(raw, number)
                for problem_finding in unread:
                    yield replace(problem_finding, source=name)
                if obj is None:
                    continue
                facts = LineFacts()
                checked = check_line(obj, facts, chosen, memo=not exact)
                if shapes is not None and not unread:
                    shapes.learn(raw, obj, facts, checked)
            for problem in checked:
                yield finding(number, problem)
            if facts.buckets is not quiet_buckets:  # a shape's buckets: one tuple, checked once
                quiet = True
                for where, bucket in facts.buckets:
                    first_bucket = first_bucket or bucket
                    if bucket != first_bucket:
                        quiet = False
                        yield finding(
                            number,
                            _error(
                                "dataset.bucket",
                                where,
                                f"bucket {bucket!r} differs from {first_bucket!r}: a dataset's "
                                "images and masks must be in one bucket",
                            ),
                        )
                if quiet:
                    quiet_buckets = facts.buckets
            if later:
                yield Later(number, facts, finding, checks.line)
                continue
            if reader is not None:
                for problem in check_objects(
                    facts, reader, facts.mask_attribute, chosen, exact=exact
                ):
                    yield finding(number, problem)
            found = checks.line(number, facts)
            if found:
                yield from found
    if reading.read > MAX_MANIFEST_BYTES:  # reached skipping the rest of a long line
        checks.unread = True
        yield _too_large(reading.read, name, whole=False)
        return
    checks.lines += number
    if number == 0:
        yield Finding(
            "manifest.empty", Severity.ERROR, None, None, "the manifest has no lines", name
        )


_OVERLONG = (
    f"the line is over {MAX_LINE_BYTES:,} bytes, the longest line read (the service's "
    f"entries hold at most {MAX_LINE_CHARS:,} characters): the rest of it was not read"
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
    workers: int = 1,
    processes: OrderedMap | None = None,
) -> int:
    """The `synth validate` command: print the findings, return 0 with no errors, 1 with.

    `source` is where the manifest is, as the command line gives it (a path, an s3://
    URI, or - for standard input), or a project's manifests: the training one first.
    `workers` check the objects, processes given `processes` (see `iter_findings`).
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
    findings = iter_project(
        manifests,
        objects=reader if objects else None,
        profile=profile,
        workers=workers,
        processes=processes,
    )
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


class _S3Body(io.RawIOBase):
    """An S3 object's body as a raw stream, so a buffered reader finds its lines in C,
    holding no more than a line (not botocore's iter_lines, which holds a line whole)."""

    def __init__(self, body: Any) -> None:
        self.body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _S3Lines(io.BufferedReader):
    """An S3 manifest, read as its lines are, and its size known up front."""

    def __init__(self, body: Any, size: int) -> None:
        super().__init__(_S3Body(body), 1 << 20)
        self.size = size
