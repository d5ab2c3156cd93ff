"""One run's configuration, decided before the run starts and frozen for its length.

The CLI, the pytest plugin and `synth.generate()` all build it with `RunConfig.build`,
so an option means the same everywhere and the list of preset overrides is written
once, in `Overrides`. It belongs to the run stage: it names the output, the encoding
level, the shard and the faults to draw, so it may read every stage below, and a bad
value is refused here, before any output is touched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypedDict, Unpack

from synth.config.preset import Preset, from_dict, load_preset
from synth.errors import ArgumentError, PresetError, option
from synth.faults import choose, choose_tree
from synth.imaging.encode import DEFAULT_COMPRESS_LEVEL, MAX_COMPRESS_LEVEL
from synth.output.base import DEFAULT_CONCURRENCY
from synth.output.layout import Shard
from synth.registry import LAYOUTS

PresetSource = str | Path | Mapping[str, Any] | Preset


def resolve_preset(source: PresetSource) -> Preset:
    """A preset from a built-in name, a TOML path, TOML-shaped data, or a Preset."""
    if isinstance(source, Preset):
        return source
    if isinstance(source, Mapping):
        return from_dict(source)
    return load_preset(source)


@dataclass(frozen=True, slots=True, kw_only=True)
class Overrides:
    """The preset values a run may change; None keeps the preset's."""

    count: int | None = None
    width: int | None = None
    height: int | None = None
    anomaly_fraction: float | None = None
    test_fraction: float | None = None
    broken_fraction: float | None = None
    faults: tuple[str, ...] | None = None  # fault names or rule ids
    bucket: str | None = None
    task: str | None = None  # segmentation or classification
    style: str | None = None  # a style of synth/config/styles.py, or a mix (a+b)
    mask_extent: str | None = None  # visible or core
    clean_twins: bool | None = None  # also write each anomalous image without its defects
    layout: str | None = None  # a name of synth.registry.LAYOUTS: lfv, mvtec, coco

    def apply(self, preset: Preset) -> Preset:
        """The preset with these values, checked like a preset file."""
        return preset.with_overrides(**{f.name: getattr(self, f.name) for f in fields(self)})


@dataclass(frozen=True, slots=True, kw_only=True)
class RunConfig:
    """Everything a run needs besides its output's connection: what to make and how."""

    preset: Preset  # with the overrides applied
    out: str | Path = "synth-data"  # a folder (the bucket's root) or s3://BUCKET/PREFIX
    seed: int = 0
    base_dir: Path | None = None  # paint onto these images instead of textures
    roi_dir: Path | None = None  # their regions of interest, if not beside them
    workers: int = 1
    overwrite: bool = False
    compress_level: int = DEFAULT_COMPRESS_LEVEL
    progress: bool | None = False  # None: bars only on a terminal
    endpoint_url: str | None = None  # an S3-compatible server
    create_bucket: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    shard: Shard | None = None  # make only this shard's images, kept as parts to merge
    scheduler: str | None = None  # a dask.distributed address: make images on that cluster

    def __post_init__(self) -> None:
        checks = {
            "seed": self.seed >= 0,
            "workers": self.workers >= 1,
            "compress_level": 0 <= self.compress_level <= MAX_COMPRESS_LEVEL,
            "concurrency": self.concurrency >= 1,
            "shard": self.shard is None
            or 0 <= self.shard.index < self.shard.count <= self.shard.MOST,
        }
        for name, ok in checks.items():
            if not ok:
                raise ArgumentError(f"{name}={getattr(self, name)!r} is out of range")
        problem = _faults_problem(self.preset)
        if problem:  # the catalogue is the run's to know: a preset only lists words
            raise PresetError(f"preset {self.preset.name!r}: dataset.faults: {problem}")

    @property
    def byte_options(self) -> dict[str, object]:
        """The options besides preset and seed that change the output's bytes."""
        base_dir = None if self.base_dir is None else str(self.base_dir)
        options: dict[str, object] = {"compress_level": self.compress_level, "base_dir": base_dir}
        if self.roi_dir is not None:  # only when given: datasets without one stay as they were
            options["roi_dir"] = str(self.roi_dir)
        return options

    @classmethod
    def build(cls, preset: PresetSource = "mixed", **options: Unpack[Options]) -> RunConfig:
        """The configuration for `generate(preset, **options)`: overrides and run options."""
        override_names = {f.name for f in fields(Overrides)}
        known = override_names | {f.name for f in fields(cls)} - {"preset"}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"unknown option {unknown[0]!r}; known: {', '.join(sorted(known))}")
        changes: dict[str, Any] = {k: v for k, v in options.items() if k in override_names}
        if changes.get("faults") is not None:
            changes["faults"] = tuple(changes["faults"])
        run: dict[str, Any] = {k: v for k, v in options.items() if k not in override_names}
        chosen = Overrides(**changes).apply(resolve_preset(preset))
        if changes.get("faults") is not None and (problem := _faults_problem(chosen)):
            raise PresetError(f"{option('faults')}: {problem}")  # the caller's, not the preset's
        if changes.get("faults") is not None and chosen.broken_fraction == 0:
            broken = option("broken_fraction")
            raise PresetError(
                f"{option('faults')} chooses the faults {broken} draws, and nothing is broken "
                f"(a broken fraction of 0): give {broken} F, above 0"
            )
        return cls(preset=chosen, **run)


def _faults_problem(preset: Preset) -> str | None:
    """Why the preset's faults cannot be drawn for its dataset, or None."""
    try:
        if not LAYOUTS[preset.layout].manifests:  # the layout's own faults (synth/faults/layouts)
            choose_tree(preset.faults)
            return None
        chosen, _ = choose(preset.faults)
    except ValueError as exc:
        return str(exc)
    masked = [fault.name for fault in chosen if fault.needs_mask]
    if preset.task == "classification" and preset.faults and masked:
        return (
            f"{masked[0]} breaks a mask, and classification lines have none; choose faults "
            "of other fields, or the segmentation task"
        )
    return None


class Options(TypedDict, total=False):
    """The keyword options of `generate()` and `RunConfig.build`, typed for mypy: the fields
    of `RunConfig` but the preset, then those of `Overrides` (tests/test_generate.py checks
    that these are exactly those fields). An option not given keeps the preset's value, or
    the run's default."""

    out: str | Path
    seed: int
    base_dir: Path | None
    roi_dir: Path | None
    workers: int
    overwrite: bool
    compress_level: int
    progress: bool | None
    endpoint_url: str | None
    create_bucket: bool
    concurrency: int
    shard: Shard | None
    scheduler: str | None
    count: int | None
    width: int | None
    height: int | None
    anomaly_fraction: float | None
    test_fraction: float | None
    broken_fraction: float | None
    faults: Sequence[str] | None
    bucket: str | None
    task: str | None
    style: str | None
    mask_extent: str | None
    clean_twins: bool | None
    layout: str | None
