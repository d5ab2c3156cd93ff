"""Shared test setup: Hypothesis profiles, and small datasets built once per session.

Profiles: `dev` (random, as Hypothesis is by default) and `ci` (derandomized: the same
examples on every run, so CI cannot go red by chance; failures print a reproduction
blob). `HYPOTHESIS_PROFILE` picks one; without it, `ci` when the CI variable is set.
`make test` runs the `ci` profile.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from synth.run.generate import Dataset, generate
from tests.helpers import AWS_CREDENTIALS, SMALL

settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", settings.get_profile("dev"), derandomize=True, database=None, print_blob=True
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


@pytest.fixture(scope="session")
def mixed_dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return generate("mixed", out=tmp_path_factory.mktemp("mixed"), seed=3, **SMALL)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Test credentials and a region: boto3 then talks to moto, never to AWS."""
    for name, value in {**AWS_CREDENTIALS, "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def mocked(aws_env: None) -> Iterator[Any]:
    """moto's in-process S3 holding one empty bucket, `data`: its client."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket="data")
        yield client
