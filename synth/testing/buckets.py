"""Cases on an S3 endpoint, for validators that read their objects from S3.

`synth check --endpoint-url URL` puts each case's objects into their buckets there (made
if missing) and its manifest into a bucket of its own, runs the validator, then deletes
them: cases name the same keys, so they run one at a time. An object whose bucket name
S3 refuses (a fault's `My_Bucket`) is not put: for the validator it is missing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from synth.format import S3Uri, is_bucket_name
from synth.testing.probes import Probe

MANIFESTS = "synth-check-manifests"
KEY = "case/manifest.jsonl"


class Endpoint:
    """An S3-compatible endpoint holding one case at a time."""

    def __init__(self, url: str) -> None:
        from synth.output import s3

        self.url = url
        self.client: Any = s3.client(url)
        self.buckets: set[str] = set()

    def _bucket(self, name: str) -> bool:
        """Whether the bucket is there (made now if need be); False for a name S3 refuses."""
        if name in self.buckets:
            return True
        if not is_bucket_name(name):
            return False
        from botocore.exceptions import ClientError

        from synth.output import s3

        with s3.translated(name):
            try:
                self.client.create_bucket(Bucket=name)
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code"))
                if code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
        self.buckets.add(name)
        return True

    @contextlib.contextmanager
    def holding(self, probe: Probe) -> Iterator[str]:
        """The probe's objects and manifest on the endpoint while in the block; yields the
        manifest's s3:// URI."""
        from synth.output import s3

        put: list[S3Uri] = []
        try:
            self._bucket(MANIFESTS)
            manifest = S3Uri(MANIFESTS, KEY)
            for uri, data in [(manifest, probe.manifest), *_objects(probe)]:
                if self._bucket(uri.bucket):
                    with s3.translated(uri.bucket, uri.key):
                        self.client.put_object(Bucket=uri.bucket, Key=uri.key, Body=data)
                    put.append(uri)
            yield str(manifest)
        finally:
            for uri in put:
                with s3.translated(uri.bucket, uri.key):
                    self.client.delete_object(Bucket=uri.bucket, Key=uri.key)


def _objects(probe: Probe) -> Iterator[tuple[S3Uri, bytes]]:
    for uri, data in sorted(probe.objects.items()):
        parsed = S3Uri.find(uri)
        if parsed is not None:
            yield parsed, data
