"""The main job: preset -> plan -> images and masks -> records -> manifests -> output.

`generate()` is the Python API behind `synth generate` and the pytest fixtures; it
builds a `RunConfig` and hands it, with an open sink, to the `Writer`.
"""

from __future__ import annotations

from typing import Unpack

from synth.annotate.manifest import sweep_spools
from synth.output.base import Sink
from synth.output.location import open_sink
from synth.run.config import Options, PresetSource, RunConfig
from synth.run.dataset import Dataset
from synth.run.writer import Writer


def generate(
    preset: PresetSource = "mixed", *, sink: Sink | None = None, **options: Unpack[Options]
) -> Dataset:
    """Write a dataset to a folder or an s3:// prefix, and return what was written.

    `options` (typed by `synth.run.config.Options`) are the fields of `RunConfig` (out,
    seed, workers, overwrite, progress, shard, scheduler, ...) and of `Overrides` (count,
    width, height, bucket, ...), which take precedence over the preset; an unknown name is
    a TypeError listing the known ones. The same arguments give byte-identical output
    for any `workers`. For `out="s3://bucket/prefix"` the bucket comes from the URI, the client
    from boto3's usual chain (so it works inside `moto.mock_aws()`). With `shard`, only
    that shard's images are made, kept as parts for `synth.run.merge.merge`; with
    `scheduler` (a dask.distributed address), images are made on that cluster.
    """
    return write(RunConfig.build(preset, **options), sink=sink)


def write(config: RunConfig, *, sink: Sink | None = None) -> Dataset:
    """Write the dataset `config` describes, to `sink` or to the sink its `out` names."""
    sweep_spools()
    target = sink or open_sink(
        config.out,
        config.preset.bucket,
        endpoint_url=config.endpoint_url,
        create_bucket=config.create_bucket,
        concurrency=config.concurrency,
        progress=config.progress,
    )
    try:
        return Writer(config, target).write()
    finally:
        target.close()


__all__ = ["Dataset", "generate", "write"]
