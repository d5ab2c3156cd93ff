"""The `synth` command line: an edge of the program, where arguments become calls."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar, cast

import click

from synth import __version__, wakeup
from synth.config.choices import MASK_EXTENTS, MAX_COUNT, TASKS
from synth.config.styles import STYLES, mix_of
from synth.errors import ArgumentError, SynthError, one_line
from synth.extras import require
from synth.format import MAX_IMAGE_SIDE, MIN_IMAGE_SIDE, is_s3

if TYPE_CHECKING:
    from synth.validate.workers import OrderedMap

_stopped_by: int = signal.SIGINT  # the signal that stopped the run, for its one line


class _Group(click.Group):
    """Turns a user's mistake (a SynthError) into one line and exit 1, never a traceback.

    A signal (SIGINT, or SIGTERM as `timeout` and schedulers send) unwinds the run like
    an error, so workers, uploads and temporary files are cleaned up on the way out.
    """

    def invoke(self, ctx: click.Context) -> Any:
        from synth.output import signals

        signals.forget()
        try:
            try:
                return super().invoke(ctx)
            finally:
                _settle()  # the outcome is decided: a later signal does not change it
        except SynthError as exc:
            raise click.ClickException(exc.for_cli()) from None
        except KeyboardInterrupt:
            name = signal.Signals(_stopped_by).name
            done = signals.published()  # a signal held through the publish lands after it
            said = (
                f" after {done} was published in full"
                if done
                else "; nothing was published"
                if ctx.invoked_subcommand in _PUBLISHING
                else ""
            )
            click.echo(one_line(f"synth: stopped by {name}{said}"), err=True)
            ctx.exit(128 + _stopped_by)
        except OSError as exc:
            if exc.errno not in _STDOUT_ERRORS:
                raise
            _stdout_failed(exc, signals.published())
            ctx.exit(1)


_PUBLISHING = ("generate", "merge")  # the commands that publish a dataset all or nothing


# What writing our output can fail with: a reader gone, a full or too small device.
_STDOUT_ERRORS = (errno.EPIPE, errno.ENOSPC, errno.EFBIG, errno.EIO)


def _stdout_failed(exc: OSError, done: str | None = None) -> None:
    """Say once that standard output cannot be written, and keep Python quiet at exit."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if exc.errno != errno.EPIPE:  # `| head` going away is not worth a message
        after = f" ({done} was published in full)" if done else ""
        click.echo(
            one_line(f"Error: standard output: cannot write ({exc.strerror}){after}"), err=True
        )


class _ShardParam(click.ParamType):
    name = "I/N"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from synth.output.layout import Shard

        index, _, count = str(value).partition("/")
        try:
            shard = Shard(int(index), int(count))
        except ValueError:
            self.fail(f"{value!r} is not a shard such as 0/4", param, ctx)
        if not 1 <= shard.count <= Shard.MOST:
            self.fail(f"{value!r}: the shard count must be from 1 to {Shard.MOST:,}", param, ctx)
        if not 0 <= shard.index < shard.count:
            self.fail(f"{value!r}: the index must be from 0 to {shard.count - 1}", param, ctx)
        return shard


class _Size(click.ParamType):
    name = "WxH"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        width, _, height = str(value).lower().partition("x")
        try:
            size = int(width), int(height or width)
        except ValueError:
            self.fail(f"{value!r} is not a size such as 512 or 640x480", param, ctx)
        if not all(MIN_IMAGE_SIDE <= side <= MAX_IMAGE_SIDE for side in size):
            self.fail(
                f"{value!r}: each side must be from {MIN_IMAGE_SIDE} to {MAX_IMAGE_SIDE} pixels",
                param,
                ctx,
            )
        return size


class _Path(click.Path):
    """A path that is not empty: Path("") is the current folder, which `-o "$UNSET"` never
    meant (a run would write its dataset there, and `suite` replace its cases/)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value == "":
            self.fail("an empty path; name a file or folder", param, ctx)
        return super().convert(value, param, ctx)


class _Place(click.ParamType):
    """A folder or an s3:// URI, as text (for --out and merge's OUT); not empty, as `_Path`."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value == "":
            self.fail("an empty path; name a folder or an s3:// URI", param, ctx)
        return value


_Command = TypeVar("_Command", bound=Callable[..., Any])


def _folder(name: str, help: str) -> Callable[[_Command], _Command]:
    """An option naming a folder that must exist (--base-dir, --root)."""
    return click.option(name, type=_Path(path_type=Path, file_okay=False, exists=True), help=help)


def _whole(
    *decls: str, span: tuple[int, int | None], default: int, help: str
) -> Callable[[_Command], _Command]:
    """An option taking a whole number within `span` (None: no upper bound), default shown."""
    return click.option(
        *decls, type=click.IntRange(*span), default=default, show_default=True, help=help
    )


def _style(value: str | None) -> str | None:
    """A style or a mix of styles (synth.config.styles.mix_of), checked as it is read."""
    if value is not None:
        try:
            mix_of(value)
        except ArgumentError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


def _note_workers(workers: int) -> None:
    """Say so when `--workers` asks for more processes than a run uses on this machine."""
    from synth.run.executor import WORKERS_PER_CPU, max_workers

    if workers > max_workers():
        click.echo(
            f"note: --workers {workers} is more than this machine can use; "
            f"using {max_workers()} ({WORKERS_PER_CPU} per CPU)",
            err=True,
        )


def _seed(help: str) -> Callable[[_Command], _Command]:
    """The `--seed` option: every command that draws takes one, 0 unless given."""
    return _whole("--seed", "-s", span=(0, None), default=0, help=help)


# The listings' --markdown flag: the tables `make docs` writes into the documentation pages.
_DOCS_TABLE = click.option("--markdown", is_flag=True, help="Print the table the docs carry.")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="synth")
def cli() -> None:
    """Synthetic defect datasets and Lookout for Vision manifests, valid or broken on purpose."""


@cli.command()
@click.option(
    "--preset",
    "-p",
    default="mixed",
    show_default=True,
    help="A built-in preset (see `synth presets`) or a path to a TOML preset.",
)
@click.option(
    "--out",
    "-o",
    default="synth-data",
    show_default=True,
    type=_Place(),
    help="A folder, the bucket's root (s3://BUCKET/KEY is OUT/KEY), or s3://BUCKET/PREFIX.",
)
@click.option(
    "--count", "-n", type=click.IntRange(1, MAX_COUNT), help="Number of images [preset's]."
)
@_seed("The same seed gives the same bytes.")
@click.option("--size", type=_Size(), help="Image size, 512 or 640x480 [preset's].")
@click.option("--anomaly-fraction", type=click.FloatRange(0, 1), help="Share of anomalous images.")
@click.option("--test-fraction", type=click.FloatRange(0, 1, max_open=True), help="Share in test.")
@click.option(
    "--broken",
    "broken_fraction",
    type=click.FloatRange(0, 1),
    help="Share of lines to break in the broken/ manifests (valid ones are kept).",
)
@click.option(
    "--faults",
    help="Comma-separated fault names or rule ids to draw from [all; see `synth faults`].",
)
@click.option("--bucket", help="Bucket named in the manifests' s3:// URIs [preset's].")
@click.option(
    "--task",
    type=click.Choice(TASKS),
    help="classification: lines without masks, nothing under masks/ [preset's].",
)
@click.option(
    "--layout",
    help="Output layout: lfv (manifests), mvtec (MVTec AD's tree), coco [preset's; "
    "see `synth layouts`].",
)
@click.option(
    "--style",
    callback=lambda ctx, param, value: _style(value),
    help="Write the lines as a real producer does: one of "
    + ", ".join(STYLES)
    + "; or several joined by + (console+sdk-datasets), each line one of them, as a "
    "project mixes them (docs: Real data) [preset's].",
)
@click.option(
    "--mask-extent",
    type=click.Choice(MASK_EXTENTS),
    help="visible: every pixel a defect changes; core: its core only (docs/defects.md) [preset's].",
)
@click.option(
    "--clean-twins/--no-clean-twins",
    default=None,
    help="Also write each anomalous image without its defects, under clean/ [preset's].",
)
@_folder("--base-dir", "Paint onto your own images (a folder of PNG/JPEG) instead of textures.")
@_folder(
    "--roi-dir",
    "With --base-dir: masks NAME.png of the part in each image NAME (default: NAME.roi.png "
    "beside it); defects stay inside.",
)
@_whole(
    "--workers",
    "-j",
    span=(1, None),
    default=1,
    help="Processes; output is byte-identical for any number.",
)
@_whole(
    "--compress-level",
    span=(0, 12),  # libdeflate's levels (synth.imaging.encode, not imported here)
    default=2,  # encode.DEFAULT_COMPRESS_LEVEL
    help="PNG deflate level: 1 is fastest, 12 smallest.",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Where images are made: local processes, or a dask.distributed cluster.",
)
@click.option("--scheduler", help="The dask scheduler's address, with --executor dask.")
@click.option(
    "--shard",
    type=_ShardParam(),
    help="Make only shard I of N (0-based); join the shards with `synth merge OUT`.",
)
@click.option("--overwrite", is_flag=True, help="Write into a non-empty output folder or prefix.")
@click.option("--endpoint-url", help="S3-compatible server for s3:// output (moto, MinIO, ...).")
@click.option("--create-bucket", is_flag=True, help="Create the s3:// output's bucket if missing.")
@click.option(
    "--mock-s3",
    is_flag=True,
    help="Write to moto's in-process S3 mock (bucket created, gone at exit): a dry run.",
)
@_whole("--concurrency", span=(1, 64), default=8, help="Concurrent S3 uploads.")
def generate(
    preset: str,
    size: tuple[int, int] | None,
    faults: str | None,
    mock_s3: bool,
    executor: str,
    create_bucket: bool,
    **options: Any,
) -> None:
    """Generate images, masks and manifests from a preset.

    \b
    Examples:
      synth generate --preset dents --out ./data --count 200 --seed 1
      synth generate --preset mixed --out s3://my-bucket/datasets/mixed --workers 2
      synth generate --preset dents --out s3://demo/dents --mock-s3
      synth generate --preset mixed --out ./data --broken 0.2 --faults color-map.hex-color
    """
    from synth.run.config import RunConfig
    from synth.run.generate import write

    # Every other option is named as RunConfig.build takes it.
    if (executor == "dask") != (options["scheduler"] is not None):
        raise click.UsageError("--executor dask and --scheduler ADDRESS go together")
    if mock_s3 and not is_s3(options["out"]):
        raise click.UsageError("--mock-s3 needs an s3://BUCKET/PREFIX --out")
    if mock_s3 and executor == "dask":  # dask workers write the objects, to real S3
        raise click.UsageError("--mock-s3 mocks S3 in this process only, not on dask workers")
    if mock_s3 and options["endpoint_url"] is not None:  # a dry run never reaches a server
        raise click.UsageError("--mock-s3 is a dry run in this process: drop --endpoint-url")
    if not is_s3(options["out"]) and (options["endpoint_url"] is not None or create_bucket):
        given = "--endpoint-url" if options["endpoint_url"] is not None else "--create-bucket"
        raise click.UsageError(f"{given} needs an s3://BUCKET/PREFIX --out")
    width, height = size or (None, None)
    chosen = None if faults is None else [f.strip() for f in faults.split(",") if f.strip()]
    if chosen == []:  # `--faults ,` or `--faults "$UNSET"`: not "every fault"
        raise click.UsageError(
            "--faults names no fault: give names such as mask-jpeg, as `synth faults` lists"
        )
    with _mocked_s3() if mock_s3 else contextlib.nullcontext():
        config = RunConfig.build(
            preset,
            width=width,
            height=height,
            faults=chosen,
            create_bucket=create_bucket or mock_s3,
            progress=None,
            **options,
        )
        _note_workers(config.workers)
        try:
            dataset = write(config)
        except SynthError as exc:
            from synth.output.s3 import CredentialsError

            # Only this command has the mock to offer, and only to a local run.
            if isinstance(exc, CredentialsError) and executor != "dask":
                raise CredentialsError(f"{exc.for_cli()} (or use --mock-s3)") from None
            raise
    shard = config.shard
    if shard is not None:
        click.echo(f"{one_line(dataset.location)}: shard {shard.index} of {shard.count} written")
        return
    _report(dataset)


@cli.command()
@_DOCS_TABLE
def faults(markdown: bool) -> None:
    """List every fault with the rules it breaks (near-misses break none): a manifest's,
    then the MVTec AD tree's (level tree, `--layout mvtec`)."""
    from synth.faults import (
        CATALOGUE,
        DATASET_FAULTS,
        TREE_FAULTS,
        Fault,
        MultiLineFault,
        TreeFault,
        markdown_table,
    )

    if markdown:
        click.echo(markdown_table())
        return
    every: list[Fault | MultiLineFault | TreeFault] = [
        *CATALOGUE.values(),
        *DATASET_FAULTS.values(),
        *TREE_FAULTS.values(),
    ]
    width = max(len(f.name) for f in every)
    for fault in every:
        rules = ", ".join(sorted(fault.rules))
        if not rules:
            said = ", ".join(sorted(fault.warnings))
            rules = f"(valid near-miss; a warning: {said})" if said else "(valid near-miss)"
        click.echo(f"{fault.name:<{width}}  {fault.level:<7}  {rules}")


@cli.command()
@_DOCS_TABLE
def painters(markdown: bool) -> None:
    """List the defect painters (plugins' too) with their parameters, ranges and units."""
    from synth.imaging import listing

    click.echo(listing.painters_markdown() if markdown else "\n".join(listing.painter_lines()))


@cli.command()
@_DOCS_TABLE
def textures(markdown: bool) -> None:
    """List the base textures (plugins' too)."""
    from synth.imaging import listing

    click.echo(listing.textures_markdown() if markdown else "\n".join(listing.texture_lines()))


@cli.command()
@_DOCS_TABLE
def layouts(markdown: bool) -> None:
    """List the output layouts (plugins' too) that `--layout` takes."""
    from synth.registry import LAYOUTS

    if markdown:
        click.echo("| layout | what it writes |\n|---|---|")
        for name, layout in LAYOUTS.items():
            click.echo(f"| `{name}` | {layout.description} |")
        return
    width = max(map(len, LAYOUTS))
    for name, layout in LAYOUTS.items():
        click.echo(f"{name:<{width}}  {layout.description}")


@cli.command()
@_DOCS_TABLE
def rules(markdown: bool) -> None:
    """List every rule of the format: id, level, source and what it asks."""
    from synth.format import RULES, rules_markdown

    if markdown:
        click.echo(rules_markdown())
        return
    width = max(map(len, RULES))
    for rule in RULES.values():
        click.echo(f"{rule.id:<{width}}  {rule.level:<7}  {rule.summary}  ({rule.source})")


@cli.command()
@click.option(
    "--out",
    "-o",
    default="docs/gallery",
    type=_Path(path_type=Path, file_okay=False),
    help="Folder for the PNGs, created if missing [docs/gallery].",
)
@_seed("Seed of the defects drawn.")
@click.option("--markdown", is_flag=True, help="Then print the docs' table of the PNGs, by OUT.")
def gallery(out: Path, seed: int, markdown: bool) -> None:
    """Write one PNG per painter: its defect on two surfaces, each beside its mask."""
    from synth.imaging.gallery import gallery_markdown, write_gallery

    try:
        written = write_gallery(out, seed=seed)
    except OSError as exc:
        raise click.ClickException(f"{out}: cannot write ({exc.strerror or exc})") from None
    click.echo(
        gallery_markdown(out.as_posix())
        if markdown
        else f"{one_line(str(out))}: {len(written)} gallery rows"
    )


@cli.command()
@_DOCS_TABLE
def presets(markdown: bool) -> None:
    """List the built-in presets."""
    from synth.config.preset import builtin_presets, load_preset

    names = builtin_presets()
    if markdown:
        click.echo("| preset | what it makes |\n|---|---|")
        for name in names:
            click.echo(f"| `{name}` | {load_preset(name).description} |")
        return
    width = max(map(len, names))
    for name in names:
        click.echo(f"{name:<{width}}  {load_preset(name).description}")


@cli.command()
@click.option(
    "--preset", "-p", default="mixed", show_default=True, help="Preset name or TOML path."
)
@_seed("The images `synth generate` makes with this seed.")
@_whole("--count", "-n", span=(1, 64), default=8, help="Images on the sheet, anomalous ones first.")
@click.option("--size", type=_Size(), help="Image size, 512 or 640x480 [preset's].")
@_whole("--columns", span=(1, 16), default=4, help="Image and mask pairs a row.")
@click.option(
    "--one-per-class",
    is_flag=True,
    help="Instead of --count, the first image of each class (presets with one class per image).",
)
@click.option(
    "--out",
    "-o",
    default="preview.png",
    show_default=True,
    type=_Path(path_type=Path, dir_okay=False),
    help="The PNG to write.",
)
def preview(
    preset: str,
    seed: int,
    count: int,
    size: tuple[int, int] | None,
    columns: int,
    one_per_class: bool,
    out: Path,
) -> None:
    """Render a contact sheet: each image beside its mask, without writing a dataset."""
    from synth.imaging.preview import preview as render_sheet
    from synth.run.config import resolve_preset

    width, height = size or (None, None)
    chosen = resolve_preset(preset).with_overrides(width=width, height=height)
    sheet = render_sheet(
        chosen, seed=seed, count=count, columns=columns, one_per_class=one_per_class
    )
    count = len(chosen.classes) if one_per_class else count
    try:
        sheet.save(out)
    except ValueError:  # Pillow knows no format for the suffix
        raise click.ClickException(
            f"{out}: cannot tell the image type from {out.suffix or 'no suffix'!r}; "
            "end the name in .png or .jpg"
        ) from None
    except OSError as exc:
        with contextlib.suppress(OSError):  # its folder may be a file, or read-only
            out.unlink(missing_ok=True)
        raise click.ClickException(f"{out}: cannot write ({exc.strerror or exc})") from None
    click.echo(f"{one_line(str(out))}: {count} images of preset {chosen.name!r} beside their masks")


def _report(dataset: Any) -> None:
    if dataset.note is not None:
        click.echo(f"note: {one_line(dataset.note)}", err=True)
    kind = dataset.layout.kind
    for split, counts in dataset.counts.items():
        where = dataset.manifest_location(split) if kind == "lfv" else f"{dataset.location} {split}"
        click.echo(f"{one_line(where)}: {counts['normal']} normal, {counts['anomaly']} anomaly")
    if dataset.shortfalls == ():
        click.echo("the project meets Lookout for Vision's training minimums")
    for sentence in dataset.shortfalls or ():
        click.echo(f"warning: {sentence}: the service cannot train on it", err=True)


@contextlib.contextmanager
def _mocked_s3() -> Iterator[None]:
    moto = require("moto", "mock", "--mock-s3")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")
    # moto answers requests to AWS's own endpoints only: one set in the environment or a
    # profile (a real S3-compatible server) would receive the dry run's writes.
    ignore = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
    before = os.environ.get(ignore)
    os.environ[ignore] = "true"
    try:
        with moto.mock_aws():
            yield
    finally:
        if before is None:
            del os.environ[ignore]
        else:
            os.environ[ignore] = before


@cli.command()
@click.argument("out", type=_Place())
@click.option("--endpoint-url", help="S3-compatible server for an s3:// output.")
def merge(out: str, endpoint_url: str | None) -> None:
    """Join the shards written by `synth generate --shard I/N` into the final manifests.

    \b
    Example (any batch system can run the shards):
      synth generate -p mixed -o data -n 10000 --shard 0/2
      synth generate -p mixed -o data -n 10000 --shard 1/2
      synth merge data
    """
    from synth.run.merge import merge as join

    if endpoint_url is not None and not is_s3(out):
        raise click.UsageError("--endpoint-url needs an s3://BUCKET/PREFIX OUT")
    _report(join(out, endpoint_url=endpoint_url))


@cli.command()
@click.argument("manifests", nargs=-1, required=True)
@click.option(
    "--objects",
    is_flag=True,
    help="Also check the images and masks the manifest references.",
)
@_folder(
    "--root", "Bucket-root folder holding the objects [the nearest folder up with dataset.json]."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--endpoint-url", help="S3-compatible server for an s3:// manifest.")
@click.option(
    "--profile",
    type=click.Choice(["docs", "service"]),
    default="docs",
    show_default=True,
    help="docs: every documented rule is an error; service: deviations the service "
    "is known to accept (no BACKGROUND, no color-map confidence) are warnings.",
)
@_whole(
    "--workers",
    "-j",
    span=(1, None),
    default=1,
    help="With --objects: processes (threads for S3) checking the objects; the findings "
    "are the same, in the same order, for any number.",
)
@click.pass_context
def validate(
    ctx: click.Context,
    manifests: tuple[str, ...],
    objects: bool,
    root: Path | None,
    fmt: str,
    endpoint_url: str | None,
    profile: str,
    workers: int,
) -> None:
    """Check a project's manifests (TRAIN [TEST ...], files or s3://BUCKET/KEY) as one.

    Line rules per line; dataset rules across the manifests (duplicate images, one
    image size, training minimums per split). Prints one finding a line,
    `file:line: severity: rule: message`, and exits 0 when there is no error, 1 when
    there are errors, 2 when a manifest cannot be read or the findings written (a reader
    that stops early, `| head`, keeps the verdict).
    """
    from synth.validate import report

    if endpoint_url is not None and not any(is_s3(manifest) for manifest in manifests):
        raise click.UsageError("--endpoint-url needs an s3://BUCKET/KEY manifest")
    processes: OrderedMap | None = None
    if objects and workers > 1:  # the run's process pool, only when it is used
        from synth.run.executor import ordered_map

        processes = ordered_map
        _note_workers(workers)
    try:
        code = report(
            manifests,
            objects=objects,
            fmt=fmt,
            out=cast(TextIO, _Findings()),
            root=root,
            endpoint_url=endpoint_url,
            profile=profile,
            workers=workers,
            processes=processes,
        )
    except SynthError as exc:
        click.echo(f"Error: {exc.for_cli()}", err=True)
        ctx.exit(2)
    except OSError as exc:  # writing the findings: `> /dev/full`
        if exc.errno not in _STDOUT_ERRORS:
            raise
        _stdout_failed(exc)
        ctx.exit(2)
    try:
        sys.stdout.flush()
    except OSError as exc:
        _stdout_failed(exc)
        if exc.errno != errno.EPIPE:
            ctx.exit(2)
    ctx.exit(code)


class _Findings:
    """Standard output for the findings. A reader that stops early (`| head -3`) drops the
    rest, not the verdict: the run goes on quietly and its status is still the verdict."""

    def write(self, text: str) -> int:
        with self._reader_gone():
            if sys.stdout is not None:  # None: started with standard output closed
                sys.stdout.write(text)
        return len(text)

    def flush(self) -> None:
        with self._reader_gone():
            if sys.stdout is not None:
                sys.stdout.flush()

    @staticmethod
    @contextlib.contextmanager
    def _reader_gone() -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            _stdout_failed(exc)


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@_whole("--cases", "-n", span=(0, None), default=100, help="Drawn cases after the fixed ones.")
@click.option("--seconds", type=click.FloatRange(min=0, min_open=True), help="Time budget.")
@_seed("Seed of the drawn cases.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds one run may take; longer is a finding.",
)
@click.option(
    "--verdict",
    type=click.Choice(["auto", "status", "file-line", "json"]),
    default="auto",
    show_default=True,
    help="Read the exit status, FILE:LINE: prefixes, or JSON lines (auto: FILE:LINE: "
    "flags if printed, else the status).",
)
@click.option("--line-regex", help="Read flagged lines with this pattern (group `line`).")
@click.option("--rules", help="Comma-separated rule ids: broken cases of these rules only.")
@click.option("--no-objects", is_flag=True, help="Leave out faults in the images and masks.")
@click.option("--task", "tasks", multiple=True, type=click.Choice(TASKS), help="Only this task.")
@click.option(
    "--style", "styles", multiple=True, type=click.Choice(list(STYLES)), help="Only this style."
)
@click.option(
    "--profile",
    type=click.Choice(["docs", "service"]),
    default="docs",
    show_default=True,
    help="The rules the validator holds: docs (every documented rule) or service (the "
    "console style's lines, valid as the service accepts them).",
)
@_whole("--jobs", "-j", span=(1, 64), default=1, help="Cases run at once.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json", "junit"]),
    default="text",
    show_default=True,
    help="The report on standard output.",
)
@click.option("--junit", type=_Path(path_type=Path, dir_okay=False), help="Also JUnit XML.")
@click.option("--json", "json_out", type=_Path(path_type=Path, dir_okay=False), help="Also JSON.")
@click.option("--markdown", type=_Path(path_type=Path, dir_okay=False), help="Also markdown.")
@click.option(
    "--reproducers",
    type=_Path(path_type=Path, file_okay=False),
    default="synth-check",
    show_default=True,
    help="Folder for the smallest failing manifest of each rule missed.",
)
@click.option("--no-shrink", is_flag=True, help="Save failing manifests as found.")
@click.option(
    "--endpoint-url",
    help="Also put each case's objects and manifest on this S3 endpoint ({endpoint}, "
    "{manifest_uri}); cases then run one at a time.",
)
@click.pass_context
def check(ctx: click.Context, /, command: tuple[str, ...], **options: Any) -> None:
    """Run a validator (any command) on generated cases and score it rule by rule.

    \b
    {manifest} and {root} in COMMAND are the case's manifest and its bucket-root
    folder (s3://BUCKET/KEY is ROOT/KEY); without {manifest}, its path goes last.
    Exits 0 when nothing is missed or falsely flagged, 1 otherwise.

    \b
    Examples:
      synth check -- ./my-validator {manifest} --root {root}
      synth check --cases 500 --seconds 120 --junit report.xml -- node validate.js
      synth check --verdict json -- python -m my_validator --json {manifest}
      synth check --line-regex 'line (?P<line>\\d+)' -- java -jar v.jar {manifest}
    """
    from synth.testing.check_cli import run_check

    ctx.exit(run_check(command, **options))


@cli.command()
@click.option(
    "--out",
    "-o",
    required=True,
    type=_Path(path_type=Path, file_okay=False),
    help="Folder for the suite (its cases/ are replaced).",
)
@_seed("Seed of the images the cases are made from.")
def suite(out: Path, seed: int) -> None:
    """Write the conformance suite as plain files: one folder a case, for any test runner."""
    from synth.testing.suite import write_suite

    try:
        count = write_suite(out, seed=seed)
    except OSError as exc:
        raise click.ClickException(f"{out}: cannot write ({exc.strerror or exc})") from None
    click.echo(f"{one_line(str(out))}: {count} cases (index.json, cases.tsv)")


def _stop(signum: int, frame: object) -> None:
    """The first SIGINT or SIGTERM unwinds the run; later ones do not cut its cleanup short."""
    global _stopped_by
    _stopped_by = signum
    _settle()
    raise KeyboardInterrupt


def _stopped() -> None:
    """Say that a signal stopped synth before or after a command's run, and exit."""
    click.echo(f"synth: stopped by {signal.Signals(_stopped_by).name}", err=True)
    sys.exit(128 + _stopped_by)


def _settle() -> None:
    """Ignore SIGINT and SIGTERM from now on: the command's outcome is decided.

    Ignored, not handled: at exit Python puts back the default action of every signal it
    handles (a SIGTERM then kills the process silently, status 143, after the run's own
    result), but leaves an ignored signal ignored; and a signal already caught and not yet
    handled is dropped.
    """
    for each in (signal.SIGINT, signal.SIGTERM):
        signal.signal(each, signal.SIG_IGN)


def _reopen_closed_streams() -> None:
    """A standard stream its caller closed (`>&-`, `<&-`) reads or writes /dev/null.

    Else the first file the run opens takes its number, and what was meant for the
    stream (findings, messages) lands in a manifest or a lock.
    """
    for fd, name, flags in (
        (0, "stdin", os.O_RDONLY),
        (1, "stdout", os.O_WRONLY),
        (2, "stderr", os.O_WRONLY),
    ):
        try:
            os.fstat(fd)
        except OSError:
            opened = os.open(os.devnull, flags)
            if opened != fd:
                os.dup2(opened, fd)
                os.close(opened)
        if getattr(sys, name) is None:
            setattr(sys, name, open(fd, "r" if fd == 0 else "w", closefd=False))  # noqa: SIM115


def main(caught: Sequence[int] = ()) -> None:
    """The command line; `caught`: the signals that landed as synth started (synth.entry)."""
    _reopen_closed_streams()
    for each in (signal.SIGINT, signal.SIGTERM):
        signal.signal(each, _stop)
    wakeup.install()  # a stop that a pool's thread took still ends a read in this one
    if caught:  # landed as synth started, before any work: stopped with its line
        global _stopped_by
        _stopped_by = caught[0]
        _settle()
        _stopped()
    # Past `ulimit -f` a write fails (EFBIG) and is reported, instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    # Findings and messages echo what users wrote: on an ASCII terminal, escaped, not a crash.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        try:
            code = cli.main(prog_name="synth", standalone_mode=False)
        finally:
            _settle()  # whatever the outcome, it is said in full
    except KeyboardInterrupt:  # landed just before the outcome was decided
        _stopped()
    except click.UsageError as exc:  # one line, not usage, hint, blank line and error
        where = f"; see `{exc.ctx.command_path} --help`" if exc.ctx is not None else ""
        said = one_line(exc.format_message()).rstrip(".")
        click.echo(f"Error: {said}{where}", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"Error: {one_line(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except OSError as exc:  # the group's own --help or --version, outside _Group.invoke
        if exc.errno not in _STDOUT_ERRORS:
            raise
        _stdout_failed(exc)
        sys.exit(1)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):  # stopped outside a command's run
            _stopped()
        click.echo("synth: aborted", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
