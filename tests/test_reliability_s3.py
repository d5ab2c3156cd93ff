"""S3 faults: a stalled server, a bad endpoint, regions, claims, overwrite, missing buckets."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from synth.cli import cli
from synth.errors import OutputError
from synth.output import s3 as s3_module
from synth.run.generate import generate
from synth.run.merge import merge
from synth.validate import validate_manifest
from tests.helpers import AWS_CREDENTIALS
from tests.invariants import finish, one_line, start
from tests.proxy import losing
from tests.test_s3 import moto_server  # noqa: F401

pytest_plugins = ["pytester"]
SMALL = {"count": 3, "width": 64, "height": 64, "seed": 2}


@pytest.fixture
def stalled() -> Iterator[str]:
    """A server on loopback that takes connections and never answers: the kernel completes
    each connection into the listening socket's backlog, and nothing ever reads it."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as server:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


@dataclass(frozen=True)
class _Ran:
    returncode: int
    stderr: str


def _cli(*args: str, **env: str) -> _Ran:
    """`synth ARGS` with test credentials and `env`, in this process (CliRunner sets the
    environment for the call). An exception the command does not turn into its one line
    fails the test, as its traceback would."""
    environment = {**AWS_CREDENTIALS, "AWS_DEFAULT_REGION": "us-east-1", **env}
    runner = CliRunner(env=environment)
    result = runner.invoke(cli, list(args), prog_name="synth", catch_exceptions=False)
    return _Ran(result.exit_code, result.stderr)


def _keys(client: Any, bucket: str = "data") -> set[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def test_clients_have_timeouts_and_standard_retries(aws_env: None) -> None:
    config = s3_module.client().meta.config
    assert config.connect_timeout == config.read_timeout == s3_module.DEFAULT_TIMEOUT
    assert config.retries == {"total_max_attempts": s3_module.ATTEMPTS, "mode": "standard"}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["generate", "-n", "2", "--size", "64", "-o", "s3://data/p"], 1),
        (["validate", "s3://data/p/train.manifest"], 2),
        (["merge", "s3://data/p"], 1),
    ],
)
def test_a_stalled_server_ends_with_one_line(stalled: str, args: list[str], status: int) -> None:
    result = _cli(*args, "--endpoint-url", stalled, SYNTH_S3_TIMEOUT="0.5")
    assert result.returncode == status, result.stderr
    assert "did not answer within 0.5 s (3 attempts)" in one_line(result.stderr)


FROZEN_TIMEOUT = 2.0  # SYNTH_S3_TIMEOUT for the frozen server: the bound scales with it
FROZEN_ARGS = ["generate", "-p", "mixed", "-n", "6", "--size", "64", "-s", "4", "-o", "s3://data/p"]


def _objects(client: Any) -> dict[str, bytes]:
    return {key: client.get_object(Bucket="data", Key=key)["Body"].read() for key in _keys(client)}


@pytest.mark.slow  # waits out timeouts
@pytest.mark.parametrize(
    "frozen_at",
    [
        "/images/",  # mid-run: uploads in flight and queued, then the claim to remove
        ".manifest",  # the publish, then its rollback
    ],
)
def test_a_server_that_freezes_mid_run_is_given_up_within_the_bound(
    moto_server: str,  # noqa: F811
    tmp_path: Path,
    frozen_at: str,
) -> None:
    """A server that stops answering after the run has started costs the run at most
    `wait_bound(SYNTH_S3_TIMEOUT)` in all: the uploads in flight, those queued, the
    rollback and the claim's removal do not each wait out their own attempts."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"))
    client = boto3.client("s3", endpoint_url=moto_server)
    client.create_bucket(Bucket="data")
    options = [*FROZEN_ARGS[1:], "--endpoint-url", moto_server]
    clean = _cli(*FROZEN_ARGS[:1], *options)
    assert clean.returncode == 0, clean.stderr
    reference = _objects(client)
    for key in reference:
        client.delete_object(Bucket="data", Key=key)

    def freeze(method: str, path: str) -> bool:
        return method == "PUT" and frozen_at in path

    with losing(moto_server, lambda method, path: False, freeze) as proxy:
        env = {**AWS_CREDENTIALS, "AWS_DEFAULT_REGION": "us-east-1"}
        run = start(
            [*FROZEN_ARGS, "--endpoint-url", proxy.url],
            tmp_path,
            SYNTH_S3_TIMEOUT=str(FROZEN_TIMEOUT),
            **env,
        )
        code, stderr = finish(run, tmp_path)  # no process and no temporary file left
        ended = time.monotonic()
        assert proxy.frozen_at is not None, stderr
        waited = ended - proxy.frozen_at
    assert code == 1, stderr
    assert f"did not answer within {FROZEN_TIMEOUT:g} s" in one_line(stderr)
    # The bound, plus what ending the run itself takes (workers, interpreter exit).
    assert waited < s3_module.wait_bound(FROZEN_TIMEOUT) + 3, waited
    # Nothing published: no manifest, no dataset.json (a frozen server cannot be asked to
    # roll back what it stored before it froze: a sidecar published before the manifests).
    left = _keys(client)
    assert not [key for key in left if key.endswith((".manifest", "dataset.json"))], left
    # The frozen server kept the claim of a run now dead: the next run takes it over and
    # writes what a clean run writes.
    again = _cli(*FROZEN_ARGS[:1], *options, "--overwrite")
    assert again.returncode == 0, again.stderr
    assert _objects(client) == reference


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["generate", "-n", "2", "-o", "s3://data/p"], 1),
        (["validate", "s3://data/p/train.manifest"], 2),
        (["merge", "s3://data/p"], 1),
    ],
)
@pytest.mark.parametrize("url", ["notaurl", "http://127.0.0.1:99999", "http://h:9/p?x=1"])
def test_an_endpoint_that_is_not_a_url_is_one_line(args: list[str], status: int, url: str) -> None:
    """Checked before the first request, whose refusal named the lock or bucket it was for."""
    result = _cli(*args, "--endpoint-url", url)
    assert result.returncode == status
    assert (
        one_line(result.stderr)
        == f"Error: {url}: not an endpoint URL such as http://127.0.0.1:9000"
    )


def test_create_bucket_outside_us_east_1(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**AWS_CREDENTIALS, "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        dataset = generate("dents", out="s3://new-bucket/p", create_bucket=True, **SMALL)
        client = boto3.client("s3")
        location = client.get_bucket_location(Bucket="new-bucket")["LocationConstraint"]
        assert location == "eu-west-1"
        assert len(dataset.records()) == sum(dataset.counts["train"].values())


def test_mock_s3_outside_us_east_1() -> None:
    result = _cli(
        "generate",
        "-n",
        "2",
        "--size",
        "64",
        "-o",
        "s3://demo/p",
        "--mock-s3",
        AWS_DEFAULT_REGION="eu-west-1",
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_synth_s3_fixture_outside_us_east_1(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    pytester.makepyfile(
        """
        def test_bucket(synth_s3):
            assert synth_s3("dents", count=2).dataset.records()
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_missing_bucket_hint_only_where_the_option_exists(mocked: Any) -> None:
    with pytest.raises(OutputError, match="does not exist; pass create_bucket=True") as caught:
        generate("dents", out="s3://nope/p", **SMALL)
    assert "--create-bucket" in caught.value.for_cli()
    with pytest.raises(OutputError, match=r"does not exist$"):
        merge("s3://nope/p")


def test_s3_overwrite_unpublishes_before_the_first_object(
    mocked: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate("mixed", out="s3://data/p", broken_fraction=0.5, **SMALL)

    def failing(self: Any, key: str, data: bytes, content_type: str) -> None:
        raise OutputError(f"{key}: injected")

    with monkeypatch.context() as patch:
        patch.setattr(s3_module.S3Sink, "_put", failing)
        with pytest.raises(OutputError, match="injected"):
            generate("dents", out="s3://data/p", overwrite=True, test_fraction=0, **SMALL)
    left = _keys(mocked)
    assert not [k for k in left if k.endswith((".manifest", "dataset.json", ".jsonl"))]
    generate("dents", out="s3://data/p", overwrite=True, test_fraction=0, **SMALL)
    published = sorted(k for k in _keys(mocked) if k.endswith((".manifest", ".jsonl")))
    assert published == ["p/defects.jsonl", "p/train.manifest"]


def test_s3_publish_is_all_or_nothing(mocked: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    real_client = s3_module.client

    def failing_client(*args: Any, **kwargs: Any) -> Any:
        """A client whose third manifest upload fails, as a server error would."""
        client = real_client(*args, **kwargs)
        upload = client.upload_file

        def failing(*args: Any, **kwargs: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 3:
                raise s3_module.ClientError({"Error": {"Code": "InternalError"}}, "PutObject")
            return upload(*args, **kwargs)

        client.upload_file = failing
        return client

    monkeypatch.setattr(s3_module, "client", failing_client)
    with pytest.raises(OutputError, match="InternalError"):
        generate("mixed", out="s3://data/p", broken_fraction=0.5, **SMALL)
    assert calls["n"] == 3
    assert not [k for k in _keys(mocked) if k.endswith((".manifest", "dataset.json", ".jsonl"))]


def test_objects_in_a_missing_bucket_are_findings(mocked: Any) -> None:
    dataset = generate("dents", out="s3://data/p", **SMALL)
    lines = dataset.lines()
    foreign = lines[0].replace("s3://data/", "s3://other-bucket/")
    findings = validate_manifest("\n".join([foreign, *lines[1:]]) + "\n", objects=mocked)
    rules = {(f.line, f.rule) for f in findings}
    assert (1, "image.missing") in rules
    assert (1, "mask-image.missing") in rules
    assert not [f for f in findings if f.line and f.line > 1 and f.rule.endswith(".missing")]


def test_a_key_with_dot_segments_stays_inside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "bucket"
    generate("dents", out=root, **SMALL)
    (tmp_path / "secret.png").write_bytes((root / "images" / "000000.png").read_bytes())
    (root / "images" / "link.png").symlink_to(tmp_path / "secret.png")
    line = (root / "train.manifest").read_text().splitlines()[0]
    bucket = line.split('"source-ref":"s3://')[1].split("/")[0]
    for key in ("../secret.png", "images/../../secret.png", "images/link.png"):
        escaped = line.replace(f"s3://{bucket}/images/000000.png", f"s3://{bucket}/{key}")
        findings = validate_manifest(escaped + "\n", objects=root)
        assert "image.missing" in {f.rule for f in findings}, key


class _Stuck:
    """A client whose uploads wait until released, as on a frozen server."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()

    def put_object(self, **kwargs: Any) -> None:
        self.started.set()
        assert self.release.wait(60)


def test_uploads_cancelled_at_shutdown_are_not_reported(caplog: pytest.LogCaptureFixture) -> None:
    client = _Stuck()
    sink = s3_module.S3Sink(client, "data", concurrency=1)
    for index in range(3):  # one upload stuck, two queued behind it
        sink.put(f"k{index}", b"x", "image/png")
    assert client.started.wait(60)
    sink._pool.shutdown(wait=False, cancel_futures=True)  # what close() does, without waiting
    client.release.set()
    sink.close()
    assert not [r for r in caplog.records if "exception calling callback" in r.getMessage()]


@pytest.mark.parametrize(
    "stop", [OutputError("injected"), KeyboardInterrupt()], ids=["error", "signal"]
)
def test_a_failed_s3_run_leaves_nothing_of_its_own(
    mocked: Any, monkeypatch: pytest.MonkeyPatch, stop: BaseException
) -> None:
    """A run that fails (or is stopped) once its objects are up removes them, and keeps
    what is not its own."""
    mocked.put_object(Bucket="data", Key="p/notes.txt", Body=b"mine")

    def failing(self: s3_module.S3Sink, files: Any) -> None:
        raise stop

    monkeypatch.setattr(s3_module.S3Sink, "publish", failing)
    with pytest.raises(type(stop)):
        generate("mixed", out="s3://data/p", overwrite=True, **SMALL)
    assert _keys(mocked) == {"p/notes.txt"}
