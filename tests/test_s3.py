"""S3 output: in-process moto, moto over real HTTP, and the failure paths."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from synth.errors import OutputError
from synth.run.generate import Dataset, generate

SMALL = {"count": 4, "width": 64, "height": 64, "seed": 2}


@pytest.fixture
def moto_server(aws_env: None) -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _keys(s3: Any, bucket: str) -> set[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def _expected_keys(dataset: Dataset) -> set[str]:
    prefix = dataset.layout.prefix
    return (
        set(dataset.object_keys())
        | {dataset.manifest_key(split) for split in dataset.splits}
        | {f"{prefix}dataset.json", f"{prefix}defects.jsonl"}
    )


def _assert_references_resolve(s3: Any, dataset: Dataset) -> None:
    for split in dataset.splits:
        for record in dataset.records(split):
            for uri in (record["source-ref"], record["anomaly-mask-ref"]):
                bucket, _, key = uri.removeprefix("s3://").partition("/")
                assert bucket == dataset.bucket
                assert s3.head_object(Bucket=bucket, Key=key)["ContentType"] == "image/png"


def test_generate_into_moto_in_process(mocked: Any) -> None:
    dataset = generate("mixed", out="s3://data/runs/one", **SMALL)
    assert dataset.location == "s3://data/runs/one/"
    assert _keys(mocked, "data") == _expected_keys(dataset)
    assert all(key.startswith("runs/one/") for key in _keys(mocked, "data"))
    _assert_references_resolve(mocked, dataset)
    head = mocked.head_object(Bucket="data", Key="runs/one/train.manifest")
    assert head["ContentType"] == "application/x-ndjson"


def test_ground_truth_keys_in_moto(mocked: Any) -> None:
    dataset = generate("dents", out="s3://data/gt", style="ground-truth", **SMALL)
    keys = _keys(mocked, "data")
    assert keys == _expected_keys(dataset)
    output = "gt/anomaly-mask/annotations/consolidated-annotation/output/"  # the job: no -ref
    assert len([key for key in keys if key.startswith(output)]) == SMALL["count"]
    _assert_references_resolve(mocked, dataset)


def test_s3_bytes_equal_local_bytes(mocked: Any, tmp_path: Any) -> None:
    remote = generate("dents", out="s3://data/x", **SMALL)
    local = generate("dents", out=tmp_path, bucket="data", **SMALL)
    for key in local.object_keys():
        body = mocked.get_object(Bucket="data", Key=f"x/{key}")["Body"].read()
        assert body == (tmp_path / key).read_bytes()
    assert remote.records()[0]["source-ref"] == "s3://data/x/images/000000.png"


def test_generate_over_http_with_endpoint_url(moto_server: str) -> None:
    s3 = boto3.client(
        "s3", endpoint_url=moto_server, config=Config(s3={"addressing_style": "path"})
    )
    dataset = generate(
        "mixed", out="s3://http-bucket/ds", endpoint_url=moto_server, create_bucket=True, **SMALL
    )
    assert _keys(s3, "http-bucket") == _expected_keys(dataset)
    _assert_references_resolve(s3, dataset)


def test_existing_prefix_needs_overwrite(mocked: Any) -> None:
    generate("dents", out="s3://data/p", **SMALL)
    with pytest.raises(OutputError, match="already holds objects; pass overwrite=True"):
        generate("dents", out="s3://data/p", **SMALL)
    before = {
        k: mocked.get_object(Bucket="data", Key=k)["Body"].read() for k in _keys(mocked, "data")
    }
    generate("dents", out="s3://data/p", overwrite=True, **SMALL)
    after = {
        k: mocked.get_object(Bucket="data", Key=k)["Body"].read() for k in _keys(mocked, "data")
    }
    assert before == after


def test_missing_bucket_offers_create_bucket(mocked: Any) -> None:
    with pytest.raises(OutputError, match="'nope' does not exist; pass create_bucket=True"):
        generate("dents", out="s3://nope/p", **SMALL)
    generate("dents", out="s3://nope/p", create_bucket=True, **SMALL)
    assert "p/train.manifest" in _keys(mocked, "nope")


def test_failed_upload_leaves_no_manifest(mocked: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from synth.output import s3 as s3_module

    real = s3_module.S3Sink._put

    def flaky(self: Any, key: str, data: bytes, content_type: str) -> None:
        if key.endswith("masks/000002.png"):
            raise s3_module.explain(RuntimeError("connection reset"), self.bucket, key)
        real(self, key, data, content_type)

    monkeypatch.setattr(s3_module.S3Sink, "_put", flaky)
    with pytest.raises(OutputError, match=r"s3://data/f/masks/000002.png"):
        generate("dents", out="s3://data/f", **SMALL)
    assert not {k for k in _keys(mocked, "data") if k.endswith(".manifest")}


def test_unreachable_endpoint_is_one_sentence(aws_env: None) -> None:
    with pytest.raises(OutputError, match="cannot reach the S3 endpoint"):
        generate("dents", out="s3://data/p", endpoint_url="http://127.0.0.1:9", **SMALL)


def test_no_credentials(monkeypatch: pytest.MonkeyPatch, moto_server: str) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(OutputError, match="no AWS credentials found"):
        generate("dents", out="s3://data/p", endpoint_url=moto_server, **SMALL)


def test_validate_reads_an_s3_manifest_and_its_objects(moto_server: str) -> None:
    import io

    from synth.validate import report

    generate("mixed", out="s3://valid/ds", endpoint_url=moto_server, create_bucket=True, **SMALL)
    out = io.StringIO()
    code = report(
        "s3://valid/ds/train.manifest", objects=True, fmt="text", out=out, endpoint_url=moto_server
    )
    assert code == 0
    # A few images are too few to train on: training-minimum warnings, nothing else.
    assert {line.split(": ")[2] for line in out.getvalue().splitlines()} == {
        "dataset.training-minimum"
    }
    s3 = boto3.client("s3", endpoint_url=moto_server)
    s3.delete_object(Bucket="valid", Key="ds/masks/000000.png")
    out = io.StringIO()
    assert (
        report(
            "s3://valid/ds/train.manifest",
            objects=True,
            fmt="text",
            out=out,
            endpoint_url=moto_server,
        )
        == 1
    )
    assert "mask-image.missing" in out.getvalue()


def test_validate_refuses_an_oversized_s3_manifest_by_its_content_length(
    moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The object's ContentLength decides before a line is read (a limit lowered to its
    size - 1 stands in for 1 GB; the broken first line is never reported)."""
    import io

    import synth.validate

    s3 = boto3.client("s3", endpoint_url=moto_server)
    s3.create_bucket(Bucket="big")
    body = b"{not json\n" * 10
    s3.put_object(Bucket="big", Key="train.manifest", Body=body)
    monkeypatch.setattr(synth.validate, "MAX_MANIFEST_BYTES", len(body) - 1)
    out = io.StringIO()
    assert (
        synth.validate.report(
            "s3://big/train.manifest", objects=False, fmt="json", out=out, endpoint_url=moto_server
        )
        == 1
    )
    [finding] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert (finding["rule"], finding["line"]) == ("manifest.file-size", None)


def test_the_oversized_manifest_fault_is_refused_for_s3_output(moto_server: str) -> None:
    with pytest.raises(OutputError, match="sparse file over 1 GB"):
        generate(
            "dents",
            out="s3://big/p",
            endpoint_url=moto_server,
            create_bucket=True,
            broken_fraction=0.5,
            faults=["manifest.file-size"],
            **SMALL,
        )
