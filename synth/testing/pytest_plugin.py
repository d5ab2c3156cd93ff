"""pytest fixtures for other projects' test suites, loaded through the `pytest11` entry point.

The module stays light: numpy, Pillow, boto3 and moto are imported inside the
fixtures, so a test run that uses none of them pays nothing for the plugin.

    def test_my_importer(synth_dataset):
        dataset = synth_dataset("dents", count=10)
        assert my_importer(dataset.manifest_location("train")).images == 10

Seeds come from the `synth_seed` fixture, as Faker's come from `faker_seed`: fixed by
default, so a test's data does not change when its file moves or is renamed, and
overridable in a conftest, a module or a class for other data.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from synth.extras import require
from synth.format import S3Uri

if TYPE_CHECKING:
    from synth.run.generate import Dataset

_DEFAULTS = {"count": 8, "width": 64, "height": 64}
DEFAULT_SEED = 0


def _key(preset: str | Mapping[str, Any], overrides: Mapping[str, Any]) -> str:
    import json

    return json.dumps([preset, sorted(overrides.items())], sort_keys=True, default=str)


class _Cache:
    """Datasets built once per session, by preset and overrides; tests get copies of them."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self.factory = factory
        self.datasets: dict[str, Dataset] = {}

    def get(self, preset: str | Mapping[str, Any], overrides: Mapping[str, Any]) -> Dataset:
        from synth.run.generate import generate

        key = _key(preset, overrides)
        if key not in self.datasets:
            self.datasets[key] = generate(preset, out=self.factory.mktemp("synth"), **overrides)
        return self.datasets[key]


def _copy(dataset: Dataset, folder: Path) -> Dataset:
    """The dataset copied into `folder`: what a test writes there stays its own."""
    import dataclasses
    import shutil

    from synth.output.folder import FolderSink

    shutil.copytree(dataset.location, folder)
    return dataclasses.replace(
        dataset, location=str(folder), read=FolderSink(folder, dataset.bucket).read
    )


@pytest.fixture(scope="session")
def _synth_dataset_cache(tmp_path_factory: pytest.TempPathFactory) -> _Cache:
    return _Cache(tmp_path_factory)


@pytest.fixture
def synth_seed() -> int:
    """The seed synth's fixtures use unless a call passes `seed`: override this fixture
    (in a conftest, module or class) to change every dataset of those tests at once."""
    return DEFAULT_SEED


@pytest.fixture
def synth_dataset(
    synth_seed: int, _synth_dataset_cache: _Cache, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Dataset]:
    """Build (or reuse) a dataset in a temporary folder: `synth_dataset("dents", count=10)`.

    Takes a preset name or a preset dict and any keyword of `synth.generate` (count,
    seed, width, height, broken_fraction, faults, ...). Small by default (8 images of
    64x64). The seed is `synth_seed`'s unless given. Datasets with the same arguments
    are built once per session, and each test gets its own copy (the same one for each
    call within the test): what one test writes or deletes there, no other test sees.
    """
    copies: dict[str, Dataset] = {}

    def build(preset: str | Mapping[str, Any] = "mixed", **overrides: Any) -> Dataset:
        options = {**_DEFAULTS, "seed": synth_seed, **overrides}
        key = _key(preset, options)
        if key not in copies:
            master = _synth_dataset_cache.get(preset, options)
            copies[key] = _copy(master, tmp_path_factory.mktemp("synth-copy") / "dataset")
        return copies[key]

    return build


@dataclass(frozen=True)
class MockedBucket:
    """A moto-mocked bucket holding a dataset: what a test needs to point its code at it."""

    client: Any
    bucket: str
    dataset: Dataset

    @property
    def manifest_uri(self) -> str:
        return self.dataset.manifest_uri("train")


@pytest.fixture
def synth_s3(synth_seed: int) -> Iterator[Callable[..., MockedBucket]]:
    """Fill a moto-mocked S3 bucket with a dataset: `synth_s3("dents", count=4)`.

    The mock is active for the rest of the test (boto3 anywhere in the test sees the
    bucket) and torn down after it. Fake credentials are set if none are.
    """
    import boto3

    mock_aws = require("moto", "mock", "the synth_s3 fixture").mock_aws

    from synth.run.generate import generate

    fake = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    fake["AWS_DEFAULT_REGION"] = "us-east-1"
    saved = {k: os.environ.get(k) for k in fake}
    for name, value in fake.items():
        os.environ.setdefault(name, value)
    with mock_aws():

        def fill(
            preset: str | Mapping[str, Any] = "mixed",
            *,
            bucket: str = "synth-test",
            prefix: str = "dataset",
            **overrides: Any,
        ) -> MockedBucket:
            options = {**_DEFAULTS, "seed": synth_seed, **overrides}
            dataset = generate(
                preset, out=str(S3Uri(bucket, prefix)), create_bucket=True, **options
            )
            return MockedBucket(boto3.client("s3"), bucket, dataset)

        yield fill
    for name, old in saved.items():
        if old is None:
            os.environ.pop(name, None)


__all__ = ["DEFAULT_SEED", "MockedBucket", "synth_dataset", "synth_s3", "synth_seed"]
