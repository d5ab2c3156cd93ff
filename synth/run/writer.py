"""One run's output, in five steps: job, claim, render, store, publish.

- job: check the inputs and fix what every image shares; pure of the output, which
  it neither reads nor changes;
- claim: take the output for this run (or fail naming who holds it) and, for an
  overwrite, make the old dataset stop being visible: the first I/O on the output;
- render: make each image (pixels, files, line, broken twin), in index order, anywhere;
- store: put objects to the sink as they come, and spool the manifests' lines to disk;
- publish: make the run visible, the manifests last, once every object is confirmed.

Nothing a reader can see appears before `publish`, and `publish` is the one place
that decides what becomes visible and in which order.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import socket
from collections import Counter
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

from synth.annotate.manifest import CONTENT_TYPE as MANIFEST_CONTENT_TYPE
from synth.annotate.manifest import ManifestSpool, dumps
from synth.annotate.records import job_names, mask_job, styles_of
from synth.config.preset import Preset, from_dict
from synth.errors import OutputError, SynthError, option
from synth.faults import CATALOGUE, DATASET_FAULTS, ProjectFault, choose
from synth.faults.oracle import ClassLimit
from synth.imaging.encode import CONTENT_TYPES
from synth.imaging.render import Base, base_files, check_fits
from synth.imaging.textures import check_image, check_roi
from synth.output.base import Published, Sink, Sparse
from synth.output.folder import FolderSink
from synth.output.layout import Layout, Shard
from synth.output.location import check_held, open_destination
from synth.output.progress import Bar
from synth.output.remote import Destination, Folder
from synth.registry import LAYOUTS
from synth.run.config import RunConfig
from synth.run.dataset import Counts, Dataset, describe
from synth.run.executor import ordered_map
from synth.run.make import Job, Made, make, template
from synth.validate.dataset import SplitCounts, training_shortfalls


class Writer:
    """Writes the dataset a RunConfig describes to a sink that is already open."""

    def __init__(self, config: RunConfig, target: Sink) -> None:
        self.config = config
        self.target = target
        self._limits: dict[str, ClassLimit] = {}  # broken manifest -> its labels so far

    @property
    def indices(self) -> range:
        """The images this run makes: all, or its shard's."""
        shard, count = self.config.shard, self.config.preset.count
        return shard.indices(count) if shard else range(count)

    def write(self) -> Dataset:
        job = self.job()
        self.claim(job.layout)
        trainable = {split: SplitCounts() for split in self.config.preset.splits}
        with ManifestSpool(self.target.location) as spool:
            spool.touch(job.layout.defects)  # every layout has one, empty if no defect
            # Closed before the sink is: every worker is done writing when a failed run
            # removes what it wrote.
            with contextlib.closing(self.render(job)) as made:
                counts = self.store(job, made, spool, trainable)
            shard = self.config.shard
            projects = (
                LAYOUTS[job.layout.kind].manifests
                and self.config.preset.broken_fraction > 0
                and (shard is None or shard.index == 0)
            )
            if projects:
                _write_projects(job, spool)
            self.publish(job, spool, counts)
        return Dataset(
            location=self.target.location,
            bucket=self.target.bucket,
            layout=job.layout,
            count=self.config.preset.count,
            counts=counts,
            read=self.target.read,
            shortfalls=None
            if self.config.shard or not LAYOUTS[job.layout.kind].manifests
            else _shortfalls(self.config.preset, trainable),
        )

    def job(self) -> Job:
        """What every image shares, from the config and the inputs (checked here, before
        any work); the output is neither read nor changed."""
        config, preset = self.config, self.config.preset
        bases = _bases(config.base_dir, config.roi_dir, (preset.width, preset.height))
        check_fits(preset, bases, config.compress_level)  # before anything is written
        faults, dataset_faults = (
            ([], [])  # a layout without manifests draws its own faults (synth/faults/layouts/)
            if not LAYOUTS[preset.layout].manifests
            else choose(preset.faults)
            if preset.faults
            else (list(CATALOGUE.values()), [f for f in DATASET_FAULTS.values() if not _grows(f)])
        )
        grown = [f.name for f in dataset_faults if _grows(f)]
        if (
            grown
            and preset.broken_fraction > 0
            and (config.shard or not isinstance(self.target, FolderSink))
        ):
            raise OutputError(
                f"{self.target.location}: fault {grown[0]} writes a sparse file over 1 GB, "
                "which only a local folder holds for free (and a merge would copy): write "
                "it to a folder, without --shard"
            )
        jobs = job_names(config.seed)
        layout = Layout.of(
            self.target.prefix, preset.image_format, mask_job(preset, jobs), preset.layout
        )
        return Job(
            preset=preset,
            seed=config.seed,
            bucket=self.target.bucket,
            layout=layout,
            compress_level=config.compress_level,
            jobs=jobs,
            bases=bases,
            # A line among others: not the faults that are near-misses alone only.
            faults=tuple(fault.name for fault in faults if not fault.alone),
            dataset_faults=tuple(fault.name for fault in dataset_faults),
        )

    def claim(self, layout: Layout) -> None:
        """Take the output for this run; an overwrite then unpublishes the old dataset,
        and a shard checks that it shares the output with its own run's shards only."""
        config, shard = self.config, self.config.shard
        # Shards write into one shared output, so none of them may ask for it to be empty.
        self.target.prepare(overwrite=config.overwrite or shard is not None)
        self.target.claim(shard.suffix if shard else "")
        if shard is None and config.overwrite:
            unpublish(self.target, layout, shards=True, objects=True)
        elif shard is not None:
            self._check_shared(layout, overwrite=config.overwrite)

    def _check_shared(self, layout: Layout, *, overwrite: bool) -> None:
        """A shard shares its output with its run's other shards only, never a finished
        dataset, shards of another run or files of anything else; `overwrite` removes
        those (the other shards of its run are kept)."""
        if overwrite:
            unpublish(self.target, layout)
        elif published(self.target, layout):
            raise OutputError(
                f"{self.target.location}: holds a finished dataset; pass "
                f"{option('overwrite', flag=True)} to write a shard over it"
            )
        else:
            ours = {"broken/", "clean/", Layout.shards}
            ours |= LAYOUTS[layout.kind].folders(layout, self.config.preset)
            foreign = sorted(self.target.entries() - ours)
            if foreign:
                raise OutputError(
                    f"{self.target.location}: holds {foreign[0]!r}, which no shard writes; "
                    f"write shards into an empty output, or pass "
                    f"{option('overwrite', flag=True)} to write over it"
                )
        mine = self._summary({}, {})
        count = self.config.shard.count if self.config.shard else 0
        summaries: dict[Shard, str] = {}
        for key in self.target.keys(layout.shards):
            file = layout.shard_file(key)
            if file is not None and file.of is None:
                summaries[file.shard] = key
        for theirs_shard, key in sorted(summaries.items(), key=lambda item: item[1]):
            try:
                theirs = json.loads(self.target.read(key))
                same = theirs_shard.count == count and all(
                    theirs[name] == mine[name] for name in RUN_FIELDS
                )
            except (ValueError, RecursionError, TypeError, KeyError):
                same = False
            if same:
                continue
            if not overwrite:
                raise OutputError(
                    f"{self.target.location}: holds shards of another run ({key} differs in "
                    f"shard count, preset, seed or {', '.join(self.config.byte_options)}); "
                    f"pass {option('overwrite', flag=True)} to write over them"
                )
            for other in list(self.target.keys(layout.shards)):
                file = layout.shard_file(other)
                if file is None or file.shard == theirs_shard or file.shard.count != count:
                    self.target.delete(other)

    def render(self, job: Job) -> Generator[Made]:
        """Each image, in index order, from local processes or a dask cluster alike.

        Whoever makes an image writes its objects (into a folder; on a dask cluster, into
        a bucket too) and hands back its lines only; `store` puts the objects of images
        that come with theirs (local processes writing to S3, where the run's upload pool
        does it for them).
        """
        workers, scheduler = self.config.workers, self.config.scheduler
        destination = self.target.destination()
        if destination is not None and (scheduler is not None or isinstance(destination, Folder)):
            into = _Into(job, destination, check=scheduler is not None)
            yield from ordered_map(
                _make_into, into, self.indices, workers=workers, scheduler=scheduler
            )
        else:
            yield from ordered_map(make, job, self.indices, workers=workers, scheduler=scheduler)

    def store(
        self,
        job: Job,
        made: Iterable[Made],
        spool: ManifestSpool,
        trainable: dict[str, SplitCounts],
    ) -> Counts:
        """Objects to the sink as they come, lines to the spool; the counts per split
        (and, in `trainable`, what the training minimums count)."""
        layout, preset = job.layout, self.config.preset
        counts: dict[str, Counter[str]] = {split: Counter() for split in preset.splits}
        progress = self.config.progress
        disable = None if progress is None else not progress
        with Bar(total=len(self.indices), unit="img", desc="generate", disable=disable) as bar:
            for image in made:
                _put_objects(self.target, image)
                for key, line in image.lines:
                    spool.append(key, line)
                if image.line is not None and preset.broken_fraction > 0:
                    self._write_broken(layout, spool, image)
                counts[image.split]["anomaly" if image.anomalous else "normal"] += 1
                split = trainable[image.split]
                split.normal += not image.anomalous
                split.anomaly += image.anomalous
                if image.sole_class is not None:
                    split.single_label[image.sole_class] += 1
                bar.update()
            # Every object confirmed while this bar is up: a sink's own bar (S3 uploads),
            # drawn below it, is gone before it closes, and leaves nothing on the screen.
            self.target.flush()
        return {
            split: {"normal": c["normal"], "anomaly": c["anomaly"]}
            for split, c in counts.items()
            if c.total()
        }

    def publish(self, job: Job, spool: ManifestSpool, counts: Counts) -> None:
        """Once every object is confirmed: the manifests, then the run's description.

        All or none: the sink stages every file before any becomes visible. A shard's
        summary comes last and names each part's line count and digest, so `merge` can
        tell a finished shard from a lost or truncated part.
        """
        layout, preset, shard = job.layout, self.config.preset, self.config.shard
        self.target.flush()
        spooled = spool.finish()
        files: list[Published] = []
        grown = _grown(job) if shard is None else {}
        for key, path in spooled.items():
            if shard:
                files.append((layout.part(key, shard), path, MANIFEST_CONTENT_TYPE))
            elif key in grown:
                files.append((key, Sparse(path, grown[key]), MANIFEST_CONTENT_TYPE))
            else:
                files.append((key, *LAYOUTS[layout.kind].finish(key, path, preset)))
        if shard is None:
            description = describe(
                preset,
                self.config.seed,
                counts,
                layout,
                self.target.bucket,
                self.config.byte_options,
            )
            files.append((layout.dataset_file, description, "application/json"))
        else:
            parts = {key: part_check(path, spool.counts[key]) for key, path in spooled.items()}
            summary = json.dumps(self._summary(counts, parts)).encode()
            files.append((layout.summary(shard), summary, "application/json"))
        self.target.publish(files)

    def _summary(self, counts: Counts, parts: dict[str, dict[str, object]]) -> dict[str, object]:
        preset = self.config.preset
        return {
            "preset": {"name": preset.name, **preset.to_dict()},
            "seed": self.config.seed,
            "options": self.config.byte_options,
            "counts": counts,
            "parts": parts,
        }

    def _write_broken(self, layout: Layout, spool: ManifestSpool, image: Made) -> None:
        """The image's line in the broken manifest, its objects, and what a validator must say.

        Unsharded, the rules count the lines before (a shard sees only its own lines: the
        merge counts them)."""
        assert image.line is not None
        manifest = layout.broken(layout.manifest(image.split))
        limit = self._limits.setdefault(manifest, ClassLimit())
        if image.broken is None:
            spool.append(manifest, image.line)
            rules = limit.rules(image.line, ()) if self.config.shard is None else []
            expected: dict[str, object] = {"fault": None, "rules": rules, "warnings": []}
        else:
            text = image.broken.line
            spool.append(manifest, text)
            rules = sorted(image.broken.expected_rules)
            expected = {
                "fault": "+".join(image.broken.faults) or None,
                "rules": limit.rules(text, rules) if self.config.shard is None else rules,
                "warnings": sorted(image.broken.expected_warnings),
            }
            if image.related:  # a dataset fault: the rule holds between this line and those
                expected |= {"level": "dataset", "related": list(image.related)}
        line = {"manifest": manifest, "line": spool.counts[manifest], **expected}
        spool.append(layout.expected, json.dumps(line))


@dataclass(frozen=True, slots=True)
class _Into:
    """A job whose objects go straight to the output, written by whichever process makes them.

    `check`: the process may outlive the run (a dask worker), so it first makes sure the run
    still holds the output; a local worker dies with its run.
    """

    job: Job
    destination: Destination
    check: bool


def _make_into(into: _Into, index: int) -> Made:
    """Image `index` made and its objects written, in the process that made them.

    What returns to the run is the image's lines without the objects' bytes: handing an
    image's objects from a worker to the run (pickling, a pipe or the network, unpickling)
    costs nearly what writing them costs, and would leave all writing to the run's process.
    """
    image = make(into.job, index)
    try:
        if into.check:
            check_held(into.destination)
        target = open_destination(into.destination)
        try:
            _put_objects(target, image)
            target.flush()
        finally:
            target.close()
    except OutputError as exc:
        if not into.check:
            raise
        # A worker of a cluster: its host may have other credentials, mounts, disks.
        raise OutputError(f"on the dask worker at {socket.gethostname()}: {exc.args[0]}") from None
    broken = image.broken and dataclasses.replace(image.broken, objects={})
    return dataclasses.replace(image, objects=(), broken=broken)


def _put_objects(target: Sink, image: Made) -> None:
    """An image's objects, and its broken twin's, to the sink."""
    for key, data, content_type in image.objects:
        target.put(key, data, content_type)
    if image.broken is not None:
        for uri, data in image.broken.objects.items():
            # Objects of another bucket keep their key, where a folder reader finds them,
            # even a bucket S3 refuses (a fault's, named by the line); an empty key is none.
            key = uri.removeprefix("s3://").partition("/")[2]
            if key:
                target.put(key, data, _content_type(data))


def _write_projects(job: Job, spool: ManifestSpool) -> None:
    """The chosen project faults' text-only projects, and what a validator must say of each."""
    layout = job.layout
    chosen = [DATASET_FAULTS[name] for name in job.dataset_faults]
    normal, anomaly = template(job, anomalous=False), template(job, anomalous=True)
    for fault in (f for f in chosen if isinstance(f, ProjectFault)):
        keys = functools.partial(layout.project_object, fault.name)
        manifests, expected = fault.build(normal, anomaly, keys)
        for role, records in manifests.items():
            for line in records:
                spool.append(
                    layout.project(fault.name, role),
                    dumps(line, styles_of(job.preset)[0].separators),
                )
        entry = {
            "fault": fault.name,
            "project": [layout.project(fault.name, role) for role in manifests],
            "manifest": layout.project(fault.name, expected.role),
            "line": expected.line,
            "rules": sorted(fault.rules),
            "warnings": sorted(fault.warnings),
            "objects": False,  # judge the project as text: its lines name no written object
        }
        spool.append(layout.projects_expected, json.dumps(entry))


def _grows(fault: object) -> TypeGuard[ProjectFault]:
    return isinstance(fault, ProjectFault) and fault.grow_to > 0


def _grown(job: Job) -> dict[str, int]:
    """The projects a fault grows past their lines, by a hole: key -> size."""
    return {
        job.layout.project(fault.name, "train"): fault.grow_to
        for fault in (DATASET_FAULTS[name] for name in job.dataset_faults)
        if _grows(fault)
    }


def _shortfalls(preset: Preset, trainable: dict[str, SplitCounts]) -> tuple[str, ...]:
    """What keeps the written project from training, by the service's minimums."""
    # Every class of the color maps is an anomaly label of the project, as the validator counts.
    labels = [c.name for c in preset.classes] if preset.task == "segmentation" else []
    return tuple(str(short) for short in training_shortfalls(trainable, labels=labels))


RUN_FIELDS = ("preset", "seed", "options")  # what the shards of one run share


def part_check(path: Path, lines: int) -> dict[str, object]:
    """What a shard's summary says of one part: its line count and SHA-256."""
    with path.open("rb") as handle:
        return {"lines": lines, "sha256": hashlib.file_digest(handle, "sha256").hexdigest()}


def published(target: Sink, layout: Layout) -> list[str]:
    """The keys that make a dataset visible: its manifests, expected.jsonl, dataset.json,
    defects.jsonl and what else its layout publishes last (COCO's annotations)."""
    found = []
    kind = LAYOUTS[layout.kind]
    for key in target.keys(layout.prefix):
        name = key.removeprefix(layout.prefix)
        top = name.removeprefix("broken/")
        manifest = name.endswith(".manifest") and "/" not in top
        if (
            manifest
            or key in (layout.dataset_file, layout.expected, layout.defects)
            or key.startswith(layout.projects)
            or kind.publishes(name)
        ):
            found.append(key)
    return found


def unpublish(target: Sink, layout: Layout, *, shards: bool = False, objects: bool = False) -> None:
    """Before an overwrite writes its first object: the old dataset stops being visible.

    `shards`: also every shard's parts and summary, which a later merge would publish
    over the new run's objects. `objects`: also every object the old dataset owned
    (`owned`), so that the output ends as a clean run into an empty one would leave it;
    its dataset.json goes last, so a run stopped before then still knows what it owned.
    """
    old = owned(target, layout) if objects else []
    keys = published(target, layout) + (list(target.keys(layout.shards)) if shards else [])
    keys += [key for key in old if key not in keys]
    for key in sorted(keys, key=lambda k: k == layout.dataset_file):
        target.delete(key)


def owned(target: Sink, layout: Layout) -> list[str]:
    """The objects of the dataset (or of the unmerged shards) at the output.

    What the old run owned is read from its own description (dataset.json, else a shard's
    summary): its layout's folders (images/, masks/ or the mask job's folder, ...), broken/
    and clean/; every key below them is its. Files elsewhere (notes, a user's folders) are
    not, and nothing is when no description can be read.
    """
    old = _old_run(target, layout)
    if old is None:
        return []
    keys, preset = old
    kind = LAYOUTS.get(keys.kind)  # None: a layout of a plugin no longer installed
    folders = {"broken/", "clean/"} | (kind.folders(keys, preset) if kind else set())
    return [key for folder in sorted(folders) for key in target.keys(keys.prefix + folder)]


def _old_run(target: Sink, layout: Layout) -> tuple[Layout, Preset] | None:
    """The keys and preset of the run described by dataset.json, or else by a shard's
    summary (both name the preset and the seed); None if none can be read."""
    summaries = [
        key
        for key in sorted(target.keys(layout.shards))
        if (file := layout.shard_file(key)) is not None and file.of is None
    ]
    for key in [layout.dataset_file, *summaries]:
        try:
            found = json.loads(target.read(key))
            named = found["preset"]
            preset = from_dict({k: v for k, v in named.items() if k != "name"}, name=named["name"])
            jobs = job_names(found["seed"])
        except (
            OSError,
            SynthError,
            ValueError,
            RecursionError,
            TypeError,
            KeyError,
            AttributeError,
        ):
            continue
        return Layout.of(
            layout.prefix, preset.image_format, mask_job(preset, jobs), preset.layout
        ), preset
    return None


def _content_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return CONTENT_TYPES["png"]
    if data.startswith(b"\xff\xd8"):
        return CONTENT_TYPES["jpeg"]
    return "application/octet-stream"


def _bases(base_dir: Path | None, roi_dir: Path | None, cover: tuple[int, int]) -> tuple[Base, ...]:
    if base_dir is None:
        if roi_dir is not None:
            raise OutputError(f"{roi_dir}: {option('roi_dir')} goes with {option('base_dir')}")
        return ()
    if roi_dir is not None and not roi_dir.is_dir():
        raise OutputError(f"{roi_dir}: {option('roi_dir')} is not a folder")
    if not base_dir.is_dir():
        raise OutputError(f"{base_dir}: {option('base_dir')} is not a folder")
    found = base_files(base_dir, roi_dir)
    if not found:
        raise OutputError(f"{base_dir}: {option('base_dir')} holds no images (.png, .jpg, ...)")
    for base in found:  # checked up front, so a bad file stops the run before it starts
        if not base.image.is_file():  # a FIFO would wait for a writer forever
            raise OutputError(
                f"{base.image}: not a regular file (a FIFO, a device or a folder); "
                f"{option('base_dir')} takes image files"
            )
        check_image(base.image, cover)
        if base.roi is not None:
            check_roi(base.roi, base.image)
    return found
