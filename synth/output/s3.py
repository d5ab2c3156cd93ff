"""The S3 sink: a dataset written with boto3 to AWS S3, an S3-compatible server, or moto.

Uploads run on a bounded thread pool (boto3 clients are thread-safe); `flush` waits
for every one to be confirmed before the pipeline publishes a manifest, so a reader
never sees a manifest pointing at objects that are not there yet.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
)
from tqdm import tqdm

from synth.errors import OutputError
from synth.format import S3Uri
from synth.output.sinks import DEFAULT_CONCURRENCY


def client(endpoint_url: str | None = None, *, concurrency: int = DEFAULT_CONCURRENCY) -> Any:
    """An S3 client from boto3's usual chain, path-style, as every S3-compatible server takes."""
    config = Config(
        s3={"addressing_style": "path"},
        retries={"max_attempts": 3, "mode": "standard"},
        max_pool_connections=max(10, concurrency),
    )
    # A fresh session reads the environment now, not when the process first used boto3.
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)


def explain(exc: Exception, bucket: str, key: str | None = None) -> OutputError:
    """One sentence a user can act on, for what boto3 raised."""
    where = S3Uri(bucket, key or "")
    if isinstance(exc, NoCredentialsError):
        return OutputError(
            f"{where}: no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "or AWS_PROFILE (or use --mock-s3)"
        )
    if isinstance(exc, EndpointConnectionError):
        return OutputError(
            f"{where}: cannot reach the S3 endpoint {exc.kwargs.get('endpoint_url')}"
        )
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if code in ("NoSuchBucket", "404", "NotFound"):
            return OutputError(
                f"{where}: the bucket {bucket!r} does not exist; pass --create-bucket"
            )
        if code in (
            "AccessDenied",
            "403",
            "Forbidden",
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
        ):
            return OutputError(
                f"{where}: access denied ({code}); check the credentials' permissions"
            )
        return OutputError(
            f"{where}: S3 refused the request: {code} {error.get('Message', '')}".strip()
        )
    return OutputError(f"{where}: S3 request failed: {exc}")


@contextmanager
def translated(bucket: str, key: str | None = None) -> Iterator[None]:
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise explain(exc, bucket, key) from None


class S3Sink:
    def __init__(
        self,
        s3: Any,
        bucket: str,
        prefix: str = "",
        *,
        create_bucket: bool = False,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: bool | None = False,
    ) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.prefix = prefix
        self.location = str(S3Uri(bucket, prefix))
        self.create_bucket = create_bucket
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="synth-upload")
        # At most 4 uploads per thread held in memory: the pipeline waits, memory stays flat.
        self._slots = threading.BoundedSemaphore(concurrency * 4)
        self._lock = threading.Lock()
        self._pending: set[Future[None]] = set()
        self._failure: BaseException | None = None
        self._bar = tqdm(
            unit="B",
            unit_scale=True,
            desc="upload",
            disable=None if progress is None else not progress,
            leave=False,
        )
        self._objects = 0

    def prepare(self, *, overwrite: bool) -> None:
        try:
            self.s3.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            missing = str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchBucket")
            if not (missing and self.create_bucket):
                raise explain(exc, self.bucket) from None
            with translated(self.bucket):
                self.s3.create_bucket(Bucket=self.bucket)
        except BotoCoreError as exc:
            raise explain(exc, self.bucket) from None
        with translated(self.bucket, self.prefix):
            listing = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)
        if listing.get("KeyCount", 0) and not overwrite:
            raise OutputError(
                f"{self.location}: the prefix already holds objects; "
                "pass --overwrite to write over it"
            )

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._raise_failure()
        self._slots.acquire()
        future = self._pool.submit(self._put, key, data, content_type)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _put(self, key: str, data: bytes, content_type: str) -> None:
        with translated(self.bucket, key):
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        with self._lock:
            self._objects += 1
            self._bar.set_postfix(objects=self._objects, refresh=False)
            self._bar.update(len(data))

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)
            if future.exception() is not None and self._failure is None:
                self._failure = future.exception()
        self._slots.release()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def flush(self) -> None:
        with self._lock:
            pending = list(self._pending)
        wait(pending)
        self._raise_failure()

    def publish(self, key: str, path: Path, content_type: str) -> None:
        # upload_file uses multipart for large manifests; S3 makes the object visible whole.
        with translated(self.bucket, key):
            self.s3.upload_file(
                str(path), self.bucket, key, ExtraArgs={"ContentType": content_type}
            )

    def keys(self, prefix: str) -> Iterator[str]:
        with translated(self.bucket, prefix):
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                yield from (item["Key"] for item in page.get("Contents", []))

    def delete(self, key: str) -> None:
        with translated(self.bucket, key):
            self.s3.delete_object(Bucket=self.bucket, Key=key)

    def read(self, key: str) -> bytes:
        with translated(self.bucket, key):
            return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._bar.close()
