"""The S3 sink: a dataset written with boto3 to AWS S3, an S3-compatible server, or moto.

Uploads run on a bounded thread pool (boto3 clients are thread-safe); `flush` waits
for every one to be confirmed before the pipeline publishes a manifest, so a reader
never sees a manifest pointing at objects that are not there yet.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import urllib.parse
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConfigParseError,
    ConnectTimeoutError,
    EndpointConnectionError,
    InvalidRegionError,
    NoCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

from synth import environment
from synth.errors import OutputError, option
from synth.format import S3Uri
from synth.output import signals
from synth.output.base import (
    DEFAULT_CONCURRENCY,
    LOCK,
    Published,
    Sparse,
    claim,
    claimant,
    is_lock,
)
from synth.output.progress import Bar
from synth.output.remote import Bucket, Claimed
from synth.processes import holder_text, stale

# Seconds to wait for a connection and for each answer; 3 attempts in standard retry
# mode, and one more for the cleanup (`Patience`): a frozen server ends a run within
# `wait_bound` seconds (64 by default), however many requests were in flight or left to clean up.
TIMEOUT_ENV = "SYNTH_S3_TIMEOUT"
DEFAULT_TIMEOUT = 15.0
ATTEMPTS = 3
# botocore waits this long for a `100 Continue` before it sends an upload's body anyway.
CONTINUE_WAIT = 1.0


def wait_bound(timeout: float) -> float:
    """The longest synth waits on a server that stopped answering, in all: ATTEMPTS
    attempts of the request that found it frozen (each `timeout`, plus the wait for a
    `100 Continue`, plus standard mode's backoffs, under 0.2 s in all), then one attempt
    of the cleanup."""
    return (ATTEMPTS + 1) * timeout + ATTEMPTS * CONTINUE_WAIT + 1


class Unanswered(ReadTimeoutError):  # type: ignore[misc]  # botocore has no type hints
    """Not sent: this server left a request and a cleanup attempt unanswered already."""


class Patience:
    """How long a client waits on a server that does not answer, counted across requests.

    Each request retries on its own (standard mode, ATTEMPTS attempts), so a run that
    cleans up after a timed-out request (pending uploads, the rollback, the claim) would
    wait again for each. Here, once a request has gone unanswered for all its attempts,
    every later request gets one attempt; once one of those too goes unanswered, no
    request is sent at all. An answer from the server starts the count afresh.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.unanswered = 0  # requests in a row that timed out

    def install(self, events: Any) -> None:
        events.register("before-send.s3", self._before_send)
        events.register_first("needs-retry.s3", self._needs_retry)
        events.register("after-call.s3", self._answered)
        events.register("after-call-error.s3", self._failed)

    def _before_send(self, request: Any, **_: Any) -> None:
        if self.unanswered >= 2:
            raise Unanswered(endpoint_url=request.url)

    def _needs_retry(self, caught_exception: Exception | None = None, **_: Any) -> None:
        if self.unanswered and caught_exception is not None:
            raise caught_exception  # no retry: the server has left one request unanswered

    def _answered(self, **_: Any) -> None:
        with self._lock:
            self.unanswered = 0

    def _failed(self, exception: Exception, **_: Any) -> None:
        if isinstance(exception, ConnectTimeoutError | ReadTimeoutError):
            with self._lock:
                self.unanswered += 1


class _Paths(list[str]):
    """A loader's search paths, each taken once: boto3 appends its own on every session."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


@functools.cache
def _loader(data_path: str) -> botocore.loaders.Loader:
    """botocore's loader of the service models, one per process (per AWS_DATA_PATH): it
    keeps what it parsed, where each new session would read and parse S3's model again
    (0.24 CPU s a client, 0.04 s with the loader shared)."""
    paths = [str(Path(p).expanduser()) for p in data_path.split(os.pathsep) if p]
    return botocore.loaders.Loader(extra_search_paths=_Paths(paths))


def _session() -> boto3.session.Session:
    """A new boto3 session (it reads the environment now) on the process' loader."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _loader(os.environ.get("AWS_DATA_PATH", "")))
    return boto3.session.Session(botocore_session=core)


def client(
    endpoint_url: str | None = None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    region: str | None = None,
) -> Any:
    """An S3 client from boto3's usual chain, path-style, as every S3-compatible server takes.

    `region`: the client's, if not the environment's (a worker's client, the run's region).

    Explicit timeouts (SYNTH_S3_TIMEOUT seconds, 15 by default), botocore's standard
    retry mode, and a `Patience` across requests: a server that stops answering fails
    the run with one line within `wait_bound` seconds.
    """
    timeout = _timeout()
    config = Config(
        s3={"addressing_style": "path"},
        retries={"total_max_attempts": ATTEMPTS, "mode": "standard"},
        connect_timeout=timeout,
        read_timeout=timeout,
        max_pool_connections=max(10, concurrency),
    )
    # A fresh session reads the environment now, not when the process first used boto3.
    try:
        if endpoint_url is not None:
            _check_endpoint(endpoint_url)
        session = _session()
        made = session.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)
        Patience().install(made.meta.events)
        return made
    except ProfileNotFound as exc:
        raise OutputError(
            f"AWS_PROFILE={exc.kwargs.get('profile')!r}: no such profile in the AWS config "
            "and credentials files; name one of theirs, or unset AWS_PROFILE"
        ) from None
    except ConfigParseError as exc:
        path = str(exc.kwargs.get("path"))
        credentials = os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
        kind, variable = (
            ("credentials", "AWS_SHARED_CREDENTIALS_FILE")
            if Path(path).expanduser() == Path(credentials).expanduser()
            else ("config", "AWS_CONFIG_FILE")
        )
        raise OutputError(
            f"{path}: cannot read this AWS {kind} file (not INI sections "
            f"of key = value lines); fix it, or point {variable} elsewhere"
        ) from None
    except InvalidRegionError as exc:
        raise OutputError(
            f"{exc.kwargs.get('region_name')!r}: not an AWS region name such as us-east-1 "
            "(from AWS_DEFAULT_REGION, AWS_REGION or the profile)"
        ) from None
    except ValueError:
        raise OutputError(_bad_endpoint(endpoint_url)) from None
    except BotoCoreError as exc:
        raise OutputError(f"cannot set up the S3 client: {exc}") from None


def _bad_endpoint(given: str | None) -> str:
    """What made botocore's endpoint invalid, as a line: the URL given, else the one the
    environment sets, else the region the endpoint is made of (an empty one)."""
    example = "not an endpoint URL such as http://127.0.0.1:9000"
    if given is not None:
        return f"{given}: {example}"
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        if os.environ.get(name):
            return f"{name}={os.environ[name]!r}: {example}"
    named = [
        f"{n}={os.environ[n]!r}" for n in ("AWS_REGION", "AWS_DEFAULT_REGION") if n in os.environ
    ]
    return f"{', '.join(named) or 'the region'}: not an AWS region name such as us-east-1"


def _check_endpoint(url: str) -> None:
    """Raise ValueError unless `url` is what botocore takes, checked here and not at the
    first request (whose message named the lock or the bucket, not the URL)."""
    parts = urllib.parse.urlsplit(url)
    parts.port  # noqa: B018  ValueError past 65535
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(url)


MAX_TIMEOUT = 3600.0  # an hour per answer: past that, a server is not coming back


def _timeout() -> float:
    return environment.seconds(TIMEOUT_ENV, DEFAULT_TIMEOUT, MAX_TIMEOUT, OutputError)


class CredentialsError(OutputError):
    """No credentials: a command that can mock S3 (generate --mock-s3) says so."""

    code = "credentials"


def explain(
    exc: Exception, bucket: str, key: str | None = None, *, can_create: bool = False
) -> OutputError:
    """One sentence a user can act on, for what boto3 raised.

    `can_create`: the caller has a create_bucket option the user did not pass.
    """
    where = S3Uri(bucket, key or "")
    if isinstance(exc, NoCredentialsError):
        return CredentialsError(
            f"{where}: no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "or AWS_PROFILE"
        )
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return OutputError(
            f"{where}: the S3 endpoint {exc.kwargs.get('endpoint_url')} did not answer "
            f"within {_timeout():g} s ({ATTEMPTS} attempts)"
        )
    if isinstance(exc, EndpointConnectionError):
        return OutputError(
            f"{where}: cannot reach the S3 endpoint {exc.kwargs.get('endpoint_url')}"
        )
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if code in ("NoSuchBucket", "404", "NotFound"):
            hint = f"; pass {option('create_bucket', flag=True)} to create it" if can_create else ""
            return OutputError(f"{where}: the bucket {bucket!r} does not exist{hint}")
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
        # Made at the first upload, below the run's bar, and gone before it (`flush`): a
        # bar made first would sit above the run's, which then leaves a copy of itself.
        self._progress = progress
        self._bar: Bar | None = None
        self._objects = 0
        self._claim: str | None = None
        # The objects this run put while holding its claim: removed at close unless it
        # published them (a PUT is atomic, so no object is ever seen half-written).
        self._written: list[str] = []

    def prepare(self, *, overwrite: bool) -> None:
        try:
            self.s3.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            missing = str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchBucket")
            if not (missing and self.create_bucket):
                raise explain(exc, self.bucket, can_create=not self.create_bucket) from None
            with translated(self.bucket):
                self._create_bucket()
        except BotoCoreError as exc:
            raise explain(exc, self.bucket) from None
        # Claims sort first (".synth-lock" < letters): the first other key ends the listing.
        if not overwrite and next(self.keys(self.prefix), None) is not None:
            raise OutputError(
                f"{self.location}: the prefix already holds objects; "
                f"pass {option('overwrite', flag=True)} to write over it"
            )

    def claim(self, name: str = "") -> bool:
        """A marker object put only if absent (If-None-Match: *), as S3 has done since 2024."""
        key = f"{self.prefix}{LOCK}{name}"
        took_over = claim(
            key,
            create=self._create_claim,
            take_over=self._take_over,
            held_by=self._held_by,
            claims=self._claims,
            release=self._release,
        )
        self._claim = key
        return took_over

    def _claims(self) -> list[str]:
        with translated(self.bucket, f"{self.prefix}{LOCK}"):
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=f"{self.prefix}{LOCK}"
            )
            return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def _release(self, key: str) -> None:
        with contextlib.suppress(BotoCoreError, ClientError):
            self.s3.delete_object(Bucket=self.bucket, Key=key)

    def _create_claim(self, key: str) -> bool:
        try:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=holder_text(), IfNoneMatch="*")
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code"))
            if code not in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                raise explain(exc, self.bucket, key) from None
            return False
        except BotoCoreError as exc:
            raise explain(exc, self.bucket, key) from None
        return True

    def _take_over(self, key: str) -> bool:
        """Delete a claim its dead holder left (only that version of it); False if its
        holder may be alive."""
        with translated(self.bucket, key):
            try:
                found = self.s3.get_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if str(exc.response.get("Error", {}).get("Code")) in ("NoSuchKey", "404"):
                    return True  # released meanwhile
                raise
            text = found["Body"].read()
            modified = found["LastModified"]
            age = (datetime.now(modified.tzinfo) - modified).total_seconds()
            if not stale(text, age):
                return False
            try:
                self.s3.delete_object(Bucket=self.bucket, Key=key, IfMatch=found["ETag"])
            except ClientError as exc:
                # Changed since it was read: another run took it over first.
                if str(exc.response.get("Error", {}).get("Code")) not in (
                    "PreconditionFailed",
                    "412",
                ):
                    raise
        return True

    def _held_by(self, key: str) -> OutputError:
        try:
            who = claimant(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())
        except (BotoCoreError, ClientError):
            who = "another run"
        return OutputError(
            f"{self.location}: another synth run ({who}) is writing here "
            f"({S3Uri(self.bucket, key)} exists); wait for it, or delete that object if "
            "that run is gone"
        )

    def destination(self) -> Bucket | None:
        """The bucket as a worker reaches it: this client's endpoint and region, the
        worker's own credentials."""
        if self._claim is None:
            return None
        meta = self.s3.meta
        return Bucket(
            self.bucket, meta.endpoint_url, meta.region_name, Claimed(self._claim, holder_text())
        )

    def entries(self) -> set[str]:
        found: set[str] = set()
        with translated(self.bucket, self.prefix):
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix, Delimiter="/"
            )
            for page in pages:
                found.update(p["Prefix"] for p in page.get("CommonPrefixes", []))
                found.update(item["Key"] for item in page.get("Contents", []))
        return {key.removeprefix(self.prefix) for key in found if not is_lock(key)}

    def _create_bucket(self) -> None:
        """Outside us-east-1, S3 wants the region named again (IllegalLocationConstraint)."""
        region = self.s3.meta.region_name
        if region in (None, "", "us-east-1"):
            self.s3.create_bucket(Bucket=self.bucket)
        else:
            self.s3.create_bucket(
                Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": region}
            )

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._raise_failure()
        if self._bar is None:
            disable = None if self._progress is None else not self._progress
            self._bar = Bar(unit="B", unit_scale=True, desc="upload", disable=disable, leave=False)
        self._slots.acquire()
        if self._failure is not None:  # one failed while this waited for a slot
            self._slots.release()
            self._raise_failure()
        if self._claim is not None:
            self._written.append(key)
        future = self._pool.submit(self._put, key, data, content_type)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _put(self, key: str, data: bytes, content_type: str) -> None:
        if self._failure is not None:
            return  # queued before an upload failed: the run is over, send nothing more
        with translated(self.bucket, key):
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        with self._lock:
            self._objects += 1
            if self._bar is not None:
                self._bar.set_postfix(objects=self._objects, refresh=False)
                self._bar.update(len(data))

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)
            # A cancelled upload (the run is stopping) is not a failure to report.
            failure = None if future.cancelled() else future.exception()
            if failure is not None and self._failure is None:
                self._failure = failure
        self._slots.release()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def flush(self) -> None:
        with self._lock:
            pending = list(self._pending)
        wait(pending)
        self._close_bar()
        self._raise_failure()

    def _close_bar(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.close()

    def publish(self, files: Sequence[Published]) -> None:
        """Each file in order; after a failure, the ones already published are deleted,
        and the one that failed too: a server may have stored it and lost its answer."""
        tried: list[str] = []
        # The objects stop being the run's to remove before any becomes visible: a signal
        # landing after the last file leaves them published, never removed under it.
        written, self._written = self._written, []
        try:
            for key, body, content_type in files:
                tried.append(key)
                with translated(self.bucket, key):
                    if isinstance(body, Sparse):
                        raise OutputError(f"{S3Uri(self.bucket, key)}: S3 holds no sparse file")
                    if isinstance(body, Path):
                        # upload_file goes multipart for large manifests; S3 shows it whole.
                        self.s3.upload_file(
                            str(body), self.bucket, key, ExtraArgs={"ContentType": content_type}
                        )
                    else:
                        self.s3.put_object(
                            Bucket=self.bucket, Key=key, Body=body, ContentType=content_type
                        )
        except BaseException:
            for key in tried:
                with contextlib.suppress(BotoCoreError, ClientError):
                    self.s3.delete_object(Bucket=self.bucket, Key=key)
            self._written = written
            raise
        signals.note_published(self.location)

    def _discard(self) -> None:
        """Remove the objects a run that did not publish put, while it holds its claim; not
        when the server failed its uploads (it would fail these too, each after its wait)."""
        written, self._written = sorted(set(self._written)), []
        if self._failure is not None:
            return
        for start in range(0, len(written), 1000):  # DeleteObjects takes 1000 keys
            batch = [{"Key": key} for key in written[start : start + 1000]]
            try:
                self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            except (BotoCoreError, ClientError):
                return  # left for an overwrite to remove

    def keys(self, prefix: str) -> Iterator[str]:
        with translated(self.bucket, prefix):
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                yield from (
                    item["Key"] for item in page.get("Contents", []) if not is_lock(item["Key"])
                )

    def delete(self, key: str) -> None:
        with translated(self.bucket, key):
            self.s3.delete_object(Bucket=self.bucket, Key=key)

    def read(self, key: str, limit: int | None = None) -> bytes:
        with translated(self.bucket, key):
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"]
            return body.read() if limit is None else body.read(limit)  # streamed: bounded

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._claim is not None:
            self._discard()
            self._release(self._claim)
            self._claim = None
        self._close_bar()
