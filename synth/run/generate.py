"""The main job: preset -> specs -> rendered images and masks -> records -> manifests -> sink.

`generate()` is the Python API behind `synth generate` and the pytest fixtures.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from tqdm import tqdm

from synth import __version__
from synth.annotate.manifest import CONTENT_TYPE as MANIFEST_CONTENT_TYPE
from synth.annotate.manifest import ManifestSpool, dumps
from synth.annotate.records import job_names, palette, record
from synth.config.preset import Preset, from_dict, load_preset
from synth.errors import OutputError
from synth.faults import CATALOGUE, Case, break_case, select
from synth.format import S3Uri, is_s3
from synth.imaging.encode import CONTENT_TYPES, DEFAULT_COMPRESS_LEVEL, encode_image, encode_mask
from synth.imaging.render import base_files, render
from synth.imaging.textures import check_image
from synth.output.sinks import Sink, open_sink
from synth.plan import image_spec
from synth.run.executor import ordered_map
from synth.seeding import Stream, image_rng

PresetSource = str | Path | Mapping[str, Any] | Preset
DATASET_FILE = "dataset.json"
_LIBRARIES = ("numpy", "scikit-image", "pillow", "faker")


@dataclass(frozen=True, slots=True)
class Layout:
    """Object keys of a dataset below its prefix; one place decides them."""

    prefix: str
    image_ext: str

    def image(self, stem: str) -> str:
        return f"{self.prefix}images/{stem}.{self.image_ext}"

    def mask(self, stem: str) -> str:
        return f"{self.prefix}masks/{stem}.png"

    def manifest(self, split: str) -> str:
        return f"{self.prefix}{split}.manifest"

    def broken(self, key: str) -> str:
        """Where the broken copy of an object goes: under broken/, beside its valid twin."""
        return f"{self.prefix}broken/{key.removeprefix(self.prefix)}"

    @property
    def expected(self) -> str:
        return f"{self.prefix}broken/expected.jsonl"

    @property
    def shards(self) -> str:
        return f"{self.prefix}shards/"

    def part(self, key: str, shard: Shard) -> str:
        """A shard's partial copy of a manifest (or of expected.jsonl)."""
        return f"{self.shards}{key.removeprefix(self.prefix)}.{shard.suffix}"

    def summary(self, shard: Shard) -> str:
        return f"{self.shards}{shard.suffix}.json"

    @property
    def dataset_file(self) -> str:
        return f"{self.prefix}{DATASET_FILE}"


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard `index` of `count`: a contiguous run of image indices, so shards concatenate."""

    index: int
    count: int

    @property
    def suffix(self) -> str:
        return f"part-{self.index:05d}-of-{self.count:05d}"

    def indices(self, images: int) -> range:
        return range(images * self.index // self.count, images * (self.index + 1) // self.count)


@dataclass(frozen=True, slots=True)
class _Job:
    """Everything a worker needs to make any image; sent to each worker once."""

    preset: Preset
    seed: int
    bucket: str
    layout: Layout
    compress_level: int
    jobs: tuple[str, str]
    bases: tuple[Path, ...]
    faults: tuple[str, ...]  # names: the catalogue's functions do not pickle


@dataclass(frozen=True, slots=True)
class _Made:
    split: str
    anomalous: bool
    line: str
    objects: tuple[tuple[str, bytes, str], ...]
    broken: Case | None  # the line and objects of the broken manifests, when this image is one


def _make(job: _Job, index: int) -> _Made:
    preset, layout = job.preset, job.layout
    spec = image_spec(preset, job.seed, index)
    rendered = render(preset, spec, job.seed, job.bases)
    image_key, mask_key = layout.image(spec.stem), layout.mask(spec.stem)

    def uri(key: str) -> str:
        return str(S3Uri(job.bucket, key))

    valid = record(
        preset, spec, job.seed, image_uri=uri(image_key), mask_uri=uri(mask_key), jobs=job.jobs
    )
    image = encode_image(rendered.image, preset.image_format, job.compress_level)
    mask = encode_mask(rendered.labels, palette(preset), job.compress_level)
    broken = None
    if spec.broken:
        twins = {
            "source-ref": layout.broken(image_key),
            preset.mask_attribute: layout.broken(mask_key),
        }
        case = Case(
            record={**valid, **{k: uri(v) for k, v in twins.items()}},
            objects={uri(twins["source-ref"]): image, uri(twins[preset.mask_attribute]): mask},
        )
        faults = [CATALOGUE[name] for name in job.faults]
        broken = break_case(case, faults, image_rng(job.seed, index, Stream.FAULT))
    return _Made(
        split=spec.split,
        anomalous=spec.anomalous,
        line=dumps(valid),
        objects=(
            (image_key, image, CONTENT_TYPES[preset.image_format]),
            (mask_key, mask, "image/png"),
        ),
        broken=broken,
    )


@dataclass(frozen=True)
class Dataset:
    """A written dataset: where it is and what it holds."""

    location: str
    bucket: str
    layout: Layout
    count: int
    counts: Mapping[str, Mapping[str, int]]
    read: Callable[[str], bytes] = field(repr=False, compare=False)

    @property
    def splits(self) -> tuple[str, ...]:
        return tuple(self.counts)

    def uri(self, key: str) -> str:
        return str(S3Uri(self.bucket, key))

    def manifest_key(self, split: str = "train") -> str:
        return self.layout.manifest(split)

    def manifest_uri(self, split: str = "train") -> str:
        return self.uri(self.manifest_key(split))

    def manifest_location(self, split: str = "train") -> str:
        """The manifest's file (local dataset) or URI (S3), to hand to the code under test."""
        return self.locate(self.manifest_key(split))

    def locate(self, key: str) -> str:
        """Where a user finds an object: its file in a local dataset, its URI in S3."""
        if is_s3(self.location):
            return self.uri(key)
        return str(Path(self.location, key))

    def object_keys(self) -> Iterator[str]:
        """Every image and mask key, in index order."""
        for index in range(self.count):
            stem = f"{index:06d}"
            yield self.layout.image(stem)
            yield self.layout.mask(stem)

    def lines(self, split: str = "train") -> list[str]:
        # Split on newlines only: JSON strings may hold U+2028, which splitlines() breaks at.
        return self.read(self.manifest_key(split)).decode("utf-8").split("\n")[:-1]

    def records(self, split: str = "train") -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines(split)]

    def broken_manifest_key(self, split: str = "train") -> str:
        return self.layout.broken(self.manifest_key(split))

    def expected(self) -> list[dict[str, Any]]:
        """Each line of the broken manifests: its fault, and the rules a validator must report."""
        return [json.loads(line) for line in self.read(self.layout.expected).splitlines()]


def resolve_preset(source: PresetSource) -> Preset:
    if isinstance(source, Preset):
        return source
    if isinstance(source, Mapping):
        return from_dict(source)
    return load_preset(source)


def generate(
    preset: PresetSource = "mixed",
    *,
    out: str | Path = "synth-data",
    seed: int = 0,
    count: int | None = None,
    width: int | None = None,
    height: int | None = None,
    anomaly_fraction: float | None = None,
    test_fraction: float | None = None,
    broken_fraction: float | None = None,
    faults: Sequence[str] | None = None,
    bucket: str | None = None,
    base_dir: Path | None = None,
    workers: int = 1,
    overwrite: bool = False,
    compress_level: int = DEFAULT_COMPRESS_LEVEL,
    progress: bool | None = False,
    endpoint_url: str | None = None,
    create_bucket: bool = False,
    concurrency: int = 8,
    shard: Shard | None = None,
    scheduler: str | None = None,
    sink: Sink | None = None,
) -> Dataset:
    """Write a dataset to a folder or an s3:// prefix, and return what was written.

    Keyword overrides take precedence over the preset; `progress=None` shows bars only
    on a terminal. The same arguments give byte-identical output for any `workers`.
    For `out="s3://bucket/prefix"` the bucket comes from the URI, the client from
    boto3's usual chain (so it works inside `moto.mock_aws()`), and `endpoint_url`
    points it at an S3-compatible server. With `shard`, only that shard's images are
    made, and its manifests are kept as parts for `synth.run.merge.merge`. With
    `scheduler` (a dask.distributed address), images are made on that cluster.
    """
    resolved = resolve_preset(preset).with_overrides(
        count=count,
        width=width,
        height=height,
        anomaly_fraction=anomaly_fraction,
        test_fraction=test_fraction,
        broken_fraction=broken_fraction,
        faults=None if faults is None else tuple(faults),
        bucket=bucket,
    )
    bases = _bases(base_dir)
    target = sink or open_sink(
        out,
        resolved.bucket,
        endpoint_url=endpoint_url,
        create_bucket=create_bucket,
        concurrency=concurrency,
        progress=progress,
    )
    try:
        return _write(
            resolved,
            seed,
            target,
            bases,
            overwrite,
            workers,
            compress_level,
            progress,
            shard,
            scheduler,
        )
    finally:
        target.close()


def _write(
    preset: Preset,
    seed: int,
    target: Sink,
    bases: tuple[Path, ...],
    overwrite: bool,
    workers: int,
    compress_level: int,
    progress: bool | None,
    shard: Shard | None,
    scheduler: str | None,
) -> Dataset:
    # Shards write into one shared output, so none of them may ask for it to be empty.
    target.prepare(overwrite=overwrite or shard is not None)
    indices = shard.indices(preset.count) if shard else range(preset.count)
    layout = Layout(
        prefix=target.prefix, image_ext="jpg" if preset.image_format == "jpeg" else "png"
    )
    job = _Job(
        preset=preset,
        seed=seed,
        bucket=target.bucket,
        layout=layout,
        compress_level=compress_level,
        jobs=job_names(seed),
        bases=bases,
        faults=tuple(
            f.name for f in (select(preset.faults) if preset.faults else CATALOGUE.values())
        ),
    )
    counts: dict[str, Counter[str]] = {split: Counter() for split in preset.splits}
    with (
        ManifestSpool() as spool,
        tqdm(
            total=len(indices),
            unit="img",
            desc="generate",
            disable=None if progress is None else not progress,
        ) as bar,
    ):
        for made in ordered_map(_make, job, indices, workers=workers, scheduler=scheduler):
            for key, data, content_type in made.objects:
                target.put(key, data, content_type)
            spool.append(layout.manifest(made.split), made.line)
            if preset.broken_fraction > 0:
                _spool_broken(target, spool, layout, made)
            counts[made.split]["anomaly" if made.anomalous else "normal"] += 1
            bar.update()
        summary = {
            split: {"normal": c["normal"], "anomaly": c["anomaly"]} for split, c in counts.items()
        }
        summary = {split: c for split, c in summary.items() if sum(c.values())}
        if shard is None:
            target.put(
                layout.dataset_file,
                describe(preset, seed, summary, layout, target.bucket),
                "application/json",
            )
        else:
            part = {"preset": {"name": preset.name, **preset.to_dict()}, "seed": seed}
            part["counts"] = summary
            target.put(layout.summary(shard), json.dumps(part).encode(), "application/json")
        target.flush()
        for key, path in spool.finish().items():
            target.publish(layout.part(key, shard) if shard else key, path, MANIFEST_CONTENT_TYPE)
    return Dataset(
        location=target.location,
        bucket=target.bucket,
        layout=layout,
        count=preset.count,
        counts=summary,
        read=target.read,
    )


def _spool_broken(target: Sink, spool: ManifestSpool, layout: Layout, made: _Made) -> None:
    """The image's line in the broken manifest, its objects, and what a validator must say."""
    manifest = layout.broken(layout.manifest(made.split))
    if made.broken is None:
        spool.append(manifest, made.line)
        expected: dict[str, object] = {"fault": None, "rules": [], "warnings": []}
    else:
        for uri, data in made.broken.objects.items():
            # Objects of another bucket are kept under their key, where a folder reader finds them.
            target.put(S3Uri.parse(uri).key, data, _content_type(data))
        spool.append(manifest, made.broken.line)
        expected = {
            "fault": "+".join(made.broken.faults) or None,
            "rules": sorted(made.broken.expected_rules),
            "warnings": sorted(made.broken.expected_warnings),
        }
    spool.append(
        layout.expected,
        json.dumps({"manifest": manifest, "line": spool.counts[manifest], **expected}),
    )


def _content_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    return "application/octet-stream"


def _bases(base_dir: Path | None) -> tuple[Path, ...]:
    if base_dir is None:
        return ()
    if not base_dir.is_dir():
        raise OutputError(f"{base_dir}: --base-dir is not a folder")
    found = base_files(base_dir)
    if not found:
        raise OutputError(f"{base_dir}: --base-dir holds no images (.png, .jpg, ...)")
    for path in found:  # a header check up front, so a bad file stops the run before it starts
        check_image(path)
    return found


def describe(
    preset: Preset, seed: int, counts: Mapping[str, Mapping[str, int]], layout: Layout, bucket: str
) -> bytes:
    """dataset.json: enough to regenerate the dataset and to know what it holds."""
    description = {
        "generator": {"name": "synth", "version": __version__},
        "libraries": {name: metadata.version(name) for name in _LIBRARIES},
        "preset": {"name": preset.name, **preset.to_dict()},
        "seed": seed,
        "count": preset.count,
        "counts": counts,
        "manifests": {split: str(S3Uri(bucket, layout.manifest(split))) for split in counts},
    }
    return (json.dumps(description, indent=2) + "\n").encode()
