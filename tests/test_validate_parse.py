"""The validator's fast path (orjson, verdicts reused across lines) against its exact path
(Python's json with a hook on every key, every value checked afresh): the same findings,
line numbers and messages included; and what a file that is no manifest gets."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synth.format import S3Uri, is_bucket_name, s3_bucket
from synth.testing import ManifestCase, manifests
from synth.validate import validate_manifest
from synth.validate.parse import parse, parse_exactly
from tests.helpers import examples_to_see_each, fast_and_exact
from tests.test_validate import VALID, _line

# Examples enough to draw each kind of input a test writes at least once but with chance
# 1% (examples_to_see_each), from the rarest kind's rate in 3,000 random draws of the
# test's own strategy. Manifests drawn with their objects, broken by every fault, are
# compared on both paths where they are judged:
# test_verdicts.py::test_each_line_is_judged_as_it_says_by_both_validators; the fast
# path's own edge cases (colons, escapes, keys given twice, long integers) are
# test_a_line_parses_as_the_exact_path_reads_it's, on lines written by hand.
#
# Each object line written spaced or not, escaped or not, with a key given twice or not
# (6 kinds): the rarest, a spaced line, in 2,512 of 3,280 manifests.
SPACINGS = examples_to_see_each(6, 2512 / 3280)
# Each raw token (8), special scalar (5) and key (3), a key that is one escaped colon, a
# key given twice, a nested object and a spaced object (20 kinds): the rarest, the lone
# surrogate and the é scalars, in 127 of 3,000 lines.
RAW_LINES = examples_to_see_each(20, 127 / 3000)


_both = fast_and_exact


@settings(max_examples=SPACINGS, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(manifests(objects=False, max_lines=6), st.data())
def test_they_agree_whatever_the_spacing(m: ManifestCase, data: st.DataObject) -> None:
    """The same lines written as other producers write them (spaces after separators,
    escaped non-ASCII), where the fast path cannot compare its own text with the line; a
    key given twice is found on the lines written with one, and on no other line
    rewritten (json.loads keeps one of any key a drawn line gave twice)."""
    lines, twice = [], {}  # of the lines rewritten, by number: whether a key is given twice
    for number, raw in enumerate(m.manifest.splitlines(keepends=True), 1):
        try:
            value = json.loads(raw)
        except ValueError:
            lines.append(raw)  # a line that is no JSON stays as it is
            continue
        if not isinstance(value, dict):
            lines.append(raw)
            continue
        spaced = data.draw(st.booleans())
        separators = (", ", ": ") if spaced else (",", ":")
        text = json.dumps(value, ensure_ascii=data.draw(st.booleans()), separators=separators)
        twice[number] = data.draw(st.booleans()) and bool(value)
        if twice[number]:  # a key given twice, written as the rest
            key = data.draw(st.sampled_from(list(value)))
            pair = json.dumps({key: value[key]}, separators=separators)[1:-1]
            text = f"{text[:-1]}{separators[0]}{pair}}}"
        lines.append(text.encode("utf-8", "surrogateescape") + b"\n")
    findings = _both(b"".join(lines))
    found = {f.line for f in findings if f.rule == "manifest.duplicate-key" and f.line in twice}
    assert found == {number for number, given in twice.items() if given}


def _typed(value: Any) -> Any:
    """A value with every scalar's type and every object's key order made visible."""
    if isinstance(value, dict):
        return ("dict", [(k, _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    return (type(value).__name__, repr(value))


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**62, max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
    | st.sampled_from([":", '":', "\udc80", "é", "\ufeff"])
)
_KEYS = st.text(max_size=4) | st.sampled_from(["a", "a:", ":"])
# Written as is: escaped colons (which the fast path's colon count must not trust), long
# integers, numbers in other forms, constants json refuses.
_RAW = st.sampled_from(
    ['"\\u003a"', '"a\\u003Ab"', "18446744073709551616", "-0", "1E400", "1e5", "NaN", "[]"]
)


@st.composite
def _raw_objects(draw: st.DrawFn, depth: int = 2) -> str:
    """A JSON object's text, written by hand: keys may repeat, values hold colons and escapes,
    spacing varies."""
    items = []
    for _ in range(draw(st.integers(0, 4))):
        key = draw(_KEYS)
        kind = draw(st.integers(0, 5))
        if kind == 0 and depth:
            value = draw(_raw_objects(depth - 1))
        elif kind == 1:
            value = draw(_RAW)
        else:
            value = json.dumps(draw(_SCALARS), ensure_ascii=draw(st.booleans()))
        written = json.dumps(key, ensure_ascii=draw(st.booleans()))
        if draw(st.integers(0, 5)) == 0:
            written = '"\\u003a"'  # a key that is one escaped colon
        items.append(f"{written}:{value}")
        if items and draw(st.integers(0, 4)) == 0:
            items.append(draw(st.sampled_from(items)))  # a key again
    space = draw(st.sampled_from(["", " "]))
    return "{" + f",{space}".join(items) + "}"


@settings(max_examples=RAW_LINES, deadline=None)
@given(_raw_objects(), st.integers(1, 3))
def test_a_line_parses_as_the_exact_path_reads_it(text: str, number: int) -> None:
    """Values, their types and key order, and the findings (a key given twice first)."""
    raw = text.encode("utf-8", "surrogatepass") + b"\n"
    fast, exact = parse(raw, number), parse_exactly(raw, number)
    assert fast[1] == exact[1]
    assert _typed(fast[0]) == _typed(exact[0])


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('{"a":1,"a":1}', "a"),
        ('{"a": "x:y", "a": 1}', "a"),  # the dropped value's colon
        ('{"a":"\\u003a","a":1}', "a"),  # a colon escaped in a value
        ('{"b":{"a":1,"a":2}}', "a"),
        ('{"a":1, "b":{"c":[{"d":1,"d":1}]}}', "d"),
    ],
)
def test_a_key_given_twice_is_found_in_any_form(line: str, key: str) -> None:
    first = validate_manifest(line + "\n")[0]
    assert (first.rule, first.field) == ("manifest.duplicate-key", key)


def test_an_integer_past_64_bits_stays_an_integer() -> None:
    """orjson reads 2**64 as a float; json, and so the validator, as an integer."""
    line = _line()
    line["anomaly-label"] = 2**64
    compact = json.dumps(line, separators=(",", ":")) + "\n"
    value, _ = parse(compact.encode(), 1)
    assert value is not None
    assert type(value["anomaly-label"]) is int
    assert _both(compact.encode()) == []


def test_a_valid_manifest_is_valid_on_both_paths() -> None:
    assert _both(VALID.encode()) == []


def test_a_verdict_reused_is_the_verdict_of_its_own_line() -> None:
    """A map seen on an earlier line gives the same findings, with this line's number."""
    line = _line()
    meta = line["anomaly-mask-ref-metadata"]
    meta["internal-color-map"]["1"]["hex-color"] = "red"
    text = "\n".join(
        json.dumps({**line, "source-ref": f"s3://bucket/{n}.png"}, separators=(",", ":"))
        for n in range(3)
    )
    findings = _both(f"{text}\n".encode())
    hex_findings = [f for f in findings if f.rule == "color-map.hex-color"]
    assert [f.line for f in hex_findings] == [1, 2, 3]
    assert len({(f.field, f.message) for f in hex_findings}) == 1


@given(st.text(alphabet="s3:/ab.-Xé\n", max_size=16) | st.from_regex(r"s3://[a-z.-]{2,5}/.{0,3}"))
def test_s3_uris_read_as_the_rule_says(value: str) -> None:
    """s3://BUCKET/KEY: the bucket up to the first slash, valid, and a key of one
    character or more (the rule's own regular expression as the oracle)."""
    match = re.fullmatch(r"s3://([^/]*)/(.+)", value, re.DOTALL)
    valid = match is not None and is_bucket_name(match[1])
    assert (s3_bucket(value) is not None) == valid
    uri = S3Uri.find(value)
    assert (uri is not None) == valid
    if uri is not None and match:
        assert (uri.bucket, uri.key) == (match[1], match[2])


_LOADED = (
    "import sys, synth.cli\n"
    "try:\n"
    "    synth.cli.main()\n"
    "except SystemExit:\n"
    "    pass\n"
    "heavy = ('numpy', 'PIL', 'skimage', 'scipy', 'importlib.metadata', 'email', 'tomllib',"
    " 'synth.config.preset', 'synth.registry')\n"
    "print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
)


@pytest.mark.parametrize(("objects", "loaded"), [(False, []), (True, ["PIL"])])
def test_lines_only_validation_imports_only_what_it_needs(
    tmp_path: Path, objects: bool, loaded: list[str]
) -> None:
    """No imaging library, nor the preset machinery and its registries (entry points read
    through importlib.metadata pull email and more): a tenth of a second a run."""
    manifest = tmp_path / "train.manifest"
    manifest.write_text(VALID)
    args = ["synth", "validate", str(manifest), *(["--objects"] if objects else [])]
    done = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.argv = {args!r}\n{_LOADED}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stderr.strip().splitlines()[-1] == repr(loaded), done.stderr
