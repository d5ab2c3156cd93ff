"""The format's one home: the rule table, its generated docs, and the S3 URI value type."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from synth.cli import cli
from synth.format import (
    BACKGROUND_COLOR,
    HEX_COLOR,
    RULES,
    Level,
    S3Uri,
    is_bucket_name,
    rgb24,
    rules_markdown,
)

ROOT = Path(__file__).resolve().parent.parent
_BUCKET_CHARS = string.ascii_lowercase + string.digits + ".-"


def test_synth_rules_lists_every_rule_with_its_level_and_source() -> None:
    result = CliRunner().invoke(cli, ["rules"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == len(RULES)
    for line, rule in zip(lines, RULES.values(), strict=True):
        rule_id, level, *_ = line.split()
        assert (rule_id, level) == (rule.id, rule.level)
        assert line.endswith(f"({rule.source})")
    markdown = CliRunner().invoke(cli, ["rules", "--markdown"])
    assert markdown.output == rules_markdown() + "\n"


def test_every_rule_has_a_level_its_id_prefix_agrees_with() -> None:
    by_prefix = {"manifest": Level.TEXT, "image": Level.OBJECT, "mask-image": Level.OBJECT}
    for rule in RULES.values():
        assert rule.source
        assert rule.summary
        expected = by_prefix.get(rule.id.split(".")[0])
        if rule.id.startswith("dataset."):
            expected = Level.DATASET
        assert expected in (None, rule.level), rule.id


def test_background_in_one_form() -> None:
    assert HEX_COLOR.fullmatch(BACKGROUND_COLOR)
    assert rgb24(BACKGROUND_COLOR) == 0xFFFFFF
    assert rgb24("#1F77b4") == 0x1F77B4


def _reads_as_bucket_name(name: str) -> bool:
    """source-ref.uri's bucket name, spelled out: 3-63 of a-z 0-9 . -, alphanumeric at both ends."""
    return (
        3 <= len(name) <= 63
        and all(c in _BUCKET_CHARS for c in name)
        and name[0].isalnum()
        and name[-1].isalnum()
        and ".." not in name
    )


@given(st.text(_BUCKET_CHARS + "A_/ ", max_size=70))
def test_bucket_names_follow_the_rule(name: str) -> None:
    assert is_bucket_name(name) == _reads_as_bucket_name(name)


buckets = st.from_regex(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", fullmatch=True).filter(
    lambda b: ".." not in b
)
keys = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)


@given(buckets, keys)
def test_a_uri_reads_back_as_it_was_written(bucket: str, key: str) -> None:
    uri = S3Uri(bucket, key)
    assert S3Uri.parse(str(uri)) == uri
    assert S3Uri.find(str(uri)) == uri


@pytest.mark.parametrize(
    "text",
    [
        "s3://bucket/",  # no key
        "s3://bucket",
        "s3://My_Bucket/a.png",
        "s3://ab/a.png",  # too short
        "s3://-bucket/a.png",
        "s3://bu..cket/a.png",
        "https://bucket/a.png",
        "bucket/a.png",
        "",
    ],
)
def test_an_object_uri_needs_a_valid_bucket_and_a_key(text: str) -> None:
    assert S3Uri.find(text) is None
    with pytest.raises(ValueError, match="not s3://BUCKET/OBJECT_PATH"):
        S3Uri.parse(text)


@pytest.mark.parametrize("value", [None, 3, ["s3://bucket/a.png"]])
def test_only_strings_are_uris(value: object) -> None:
    assert S3Uri.find(value) is None


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("s3://bucket", ""),
        ("s3://bucket/", ""),
        ("s3://bucket/data", "data/"),
        ("s3://bucket//data/sets/", "data/sets/"),
    ],
)
def test_an_output_location_is_a_folder(text: str, key: str) -> None:
    assert S3Uri.parse_prefix(text) == S3Uri("bucket", key)


def test_an_output_location_names_its_bad_bucket() -> None:
    with pytest.raises(ValueError, match="'Bad_Bucket' is not a valid S3 bucket name"):
        S3Uri.parse_prefix("s3://Bad_Bucket/data")
