"""Mixed producers: a manifest whose lines several styles wrote, as real projects have them.

A mix (`style = "console+ground-truth"`, `--style a+b`) writes each image's line in one of
its styles, chosen from (seed, index) alone: image i's line and objects are exactly those
the chosen style alone writes for image i (whatever the workers: a mix is one case of
test_generate's test_same_seed_same_bytes_whatever_the_worker_count). The chained Ground Truth
style adds a verification job's attribute and an adjustment job's status to the line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from synth.annotate.records import VERIFICATION_LABELS
from synth.cli import cli
from synth.config.styles import STYLES, mix_of, mix_profile
from synth.errors import ArgumentError
from synth.format import VERIFICATION_TYPE, S3Uri, Severity
from synth.run.generate import generate
from synth.validate import validate_manifest
from tests.reference.validator import Reference
from tests.test_style_signatures import SIGNATURES, signature

OPTIONS: dict[str, Any] = {"count": 24, "width": 64, "height": 64, "seed": 4}


def _lines(root: Path) -> dict[str, dict[str, Any]]:
    """Each line of the run's manifests, by its image's key."""
    found = {}
    for manifest in sorted(root.glob("*.manifest")):
        for raw in manifest.read_text(encoding="utf-8").splitlines():
            line = json.loads(raw)
            found[S3Uri.parse(line["source-ref"]).key] = {"raw": raw, "line": line}
    return found


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.suffix == ".png"
    }


@pytest.mark.parametrize(
    ("mix", "task"),
    [
        ("console+ground-truth-chained", "segmentation"),
        ("ground-truth+synth", "segmentation"),
        ("sdk-tools+sdk-datasets+console", "classification"),
    ],
)
def test_each_line_is_its_styles_line(mix: str, task: str, tmp_path: Path) -> None:
    """Image i of the mix is image i of the chosen style's own run, line and files; every
    style of the mix writes some lines."""
    generate("mixed", out=tmp_path / "mix", style=mix, task=task, **OPTIONS)
    mixed, files = _lines(tmp_path / "mix"), _files(tmp_path / "mix")
    used = set()
    alone: dict[str, tuple[dict[str, dict[str, Any]], dict[str, bytes]]] = {}
    for style in mix.split("+"):
        generate("mixed", out=tmp_path / style, style=style, task=task, **OPTIONS)
        alone[style] = (_lines(tmp_path / style), _files(tmp_path / style))
    for key, entry in mixed.items():
        writers = [s for s, (lines, _) in alone.items() if lines[key]["raw"] == entry["raw"]]
        assert len(writers) == 1, (key, writers)
        used.add(writers[0])
        own = alone[writers[0]][1]
        for value in entry["line"].values():
            if isinstance(value, str) and value.startswith("s3://"):
                object_key = S3Uri.parse(value).key
                assert files[object_key] == own[object_key], object_key
    assert used == set(mix.split("+"))
    assert set(files) <= set().union(*(f for _, f in alone.values()))


def test_a_mix_is_valid_under_its_profile_to_both_validators(tmp_path: Path) -> None:
    """Objects included; the reference validator (the docs profile's reading) on a mix of
    docs styles, synth validate on each mix under the profile its styles need."""
    for mix in ("ground-truth+ground-truth-chained+synth", "console+ground-truth"):
        out = tmp_path / mix
        dataset = generate("mixed", out=out, style=mix, **OPTIONS)
        profile = mix_profile(mix_of(mix))
        assert profile == ("service" if "console" in mix else "docs")
        objects = {
            f"s3://{dataset.bucket}/{p.relative_to(out)}": p.read_bytes()
            for p in out.rglob("*.png")
        }
        for manifest in out.glob("*.manifest"):
            found = validate_manifest(manifest, objects=out, profile=profile)
            assert not [f for f in found if f.severity is Severity.ERROR], (mix, found)
            if profile == "docs":
                assert Reference().errors(manifest.read_bytes(), objects) == {}


def test_the_chained_style_s_lines(tmp_path: Path) -> None:
    """A verification job's attribute after the mask, its verdict the adjustment's status;
    its date between the classification's and the mask's."""
    generate("mixed", out=tmp_path, style="ground-truth-chained", **{**OPTIONS, "count": 40})
    verdicts = []
    for entry in _lines(tmp_path).values():
        line = entry["line"]
        keys = list(line)
        assert keys[-2:] == ["anomaly-mask-verification", "anomaly-mask-verification-metadata"]
        value, meta = line["anomaly-mask-verification"], line["anomaly-mask-verification-metadata"]
        mask = line["anomaly-mask-ref-metadata"]
        assert meta["type"] == VERIFICATION_TYPE
        assert isinstance(value, str)
        assert meta["class-name"] == VERIFICATION_LABELS[int(value)]
        bad = value == "1"
        assert ("worker-feedback" in meta) == bad
        assert mask["adjustment-status"] == ("adjusted" if bad else "unadjusted")
        assert list(mask)[-1] == "adjustment-status"
        label = line["anomaly-label-metadata"]["creation-date"]
        assert label < meta["creation-date"] < mask["creation-date"]
        verdicts.append(bad)
    assert any(verdicts)
    assert not all(verdicts)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("console+nope", "unknown style 'nope'"),
        ("console+console", "names a style twice"),
        ("console+sdk-manifest", "mixes label attributes"),
    ],
)
def test_a_bad_mix_is_one_line_naming_it(value: str, why: str, tmp_path: Path) -> None:
    with pytest.raises(ArgumentError, match=why):
        mix_of(value)
    with pytest.raises(ArgumentError, match=f"^style: .*{why}"):  # the keyword, as given
        generate("mixed", out=tmp_path / "x", style=value, count=2, width=64, height=64)
    result = CliRunner().invoke(
        cli, ["generate", "--preset", "mixed", "--style", value, "--out", str(tmp_path / "y")]
    )
    assert result.exit_code == 2
    assert "Invalid value for '--style'" in result.output
    assert why in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "y").exists()


def test_a_mix_of_a_classification_producer_refuses_segmentation(tmp_path: Path) -> None:
    with pytest.raises(ArgumentError, match="style: 'sdk-tools' writes classification lines"):
        generate("mixed", out=tmp_path, style="console+sdk-tools", count=2, width=64, height=64)


def test_mixed_lines_keep_their_producers_signatures(tmp_path: Path) -> None:
    """Each line of a mix has the signature of one of its styles' producers."""
    mix = "console+ground-truth"
    generate("mixed", out=tmp_path, style=mix, **OPTIONS)
    recorded = {e["style"]: e["lines"] for e in SIGNATURES["styles"]}
    seen = set()
    for entry in _lines(tmp_path).values():
        line = entry["line"]
        kind = next(v for k, v in line.items() if k.endswith("label-metadata"))["class-name"]
        matches = [s for s in mix.split("+") if recorded[s][kind] == signature(entry["raw"])]
        assert len(matches) == 1, entry["raw"]
        seen.add(matches[0])
    assert seen == set(mix.split("+"))
    assert all(s in STYLES for s in seen)
