"""The odd forms real files have, judged as docs/rules.md's table says, by both validators.

Each reading of synth.validate.profiles.READINGS names the near-miss or fault that writes
it: the case it makes is opened (the mask's PNG, the line's fields) to see it is the form
the table names, then judged by `synth validate` under both profiles and by the
reference validator of tests/reference (which reads as `--profile docs` does).
"""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from synth.config.preset import load_preset
from synth.faults import CATALOGUE, Case
from synth.format import Severity
from synth.testing.cases import build_case
from synth.validate import validate_manifest
from synth.validate.profiles import READINGS, VALID, Reading
from tests.reference.validator import Reference

WRITTEN = [r for r in READINGS if r.case]


def _errors(case: Case, profile: str) -> set[str]:
    findings = validate_manifest(case.manifest, objects=case.objects, profile=profile)
    return {f.rule for f in findings if f.severity is Severity.ERROR}


def _expected(verdict: str) -> set[str]:
    return set() if verdict == VALID else {verdict}


def _made(name: str, style: str = "synth") -> Case:
    preset = replace(load_preset("mixed"), width=64, height=64, style=style)
    fault = CATALOGUE[name]
    for anomalous in (True, False):
        base = build_case(preset, seed=3, anomalous=anomalous)
        if fault.fits(base):
            return fault.apply(base, np.random.default_rng(0))
    raise AssertionError(f"{name} fits no {style} line")


def _mask(case: Case) -> Image.Image:
    [uri] = [u for u in case.objects if "/masks/" in u]
    picture = Image.open(io.BytesIO(case.objects[uri]))
    picture.load()
    return picture


@pytest.mark.parametrize("reading", WRITTEN, ids=lambda r: r.case)
def test_each_reading_is_judged_as_the_table_says(reading: Reading) -> None:
    case = _made(reading.case)
    assert _errors(case, "docs") == _expected(reading.docs)
    assert _errors(case, "service") == _expected(reading.service)
    reference = Reference().errors(case.manifest, case.objects)
    assert set().union(*reference.values()) == _expected(reading.docs)
    # A near-miss under both profiles is one; a fault breaks the docs profile's rule.
    assert CATALOGUE[reading.case].rules == _expected(reading.docs)


def test_a_flipped_label_value_disagrees_with_class_name() -> None:
    case = _made("label-value-flipped")
    meta = case.record[f"{case.label}-metadata"]
    assert case.record[case.label] == (0 if meta["class-name"] == "anomaly" else 1)
    string = replace(case, record={**case.record, case.label: str(case.record[case.label])})
    assert CATALOGUE["label-value-flipped"].precondition is not None
    assert not CATALOGUE["label-value-flipped"].precondition(string)  # it disagrees already


def test_a_background_only_map_is_a_normal_lines_whole_map() -> None:
    case = _made("background-only-map")
    meta = case.record[f"{case.mask}-metadata"]
    assert meta["internal-color-map"] == {
        "0": {"class-name": "BACKGROUND", "hex-color": "#ffffff", "confidence": 0.0}
    }
    assert not case.anomalous
    assert (np.asarray(_mask(case).convert("RGB")) == 255).all()


def test_a_map_keyed_from_one_keeps_its_entries() -> None:
    case = _made("color-map-keys-from-one")
    entries = case.record[f"{case.mask}-metadata"]["internal-color-map"]
    assert next(iter(entries)) == "1"
    assert entries["1"]["class-name"] == "BACKGROUND"
    assert [int(k) for k in entries] == list(range(1, len(entries) + 1))


def test_a_console_map_keyed_from_one_is_valid_under_service_only() -> None:
    """The reading no near-miss writes alone: the console's map (no BACKGROUND) renumbered."""
    preset = replace(load_preset("mixed"), width=64, height=64, style="console")
    base = build_case(preset, seed=3, anomalous=True)
    meta = dict(base.record[f"{base.mask}-metadata"])
    meta["internal-color-map"] = {
        str(i + 1): e for i, e in enumerate(meta["internal-color-map"].values())
    }
    case = replace(base, record={**base.record, f"{base.mask}-metadata": meta})
    [reading] = [r for r in READINGS if not r.case]
    assert _errors(base, "service") == set()
    assert _errors(case, "service") == _expected(reading.service)
    assert reading.docs in _errors(case, "docs")


def _same_pixels(case: Case, broken: Case) -> None:
    before, after = _mask(case).convert("RGB"), _mask(broken).convert("RGB")
    assert np.array_equal(np.asarray(before), np.asarray(after))


@pytest.mark.parametrize("anomalous", [True, False])
def test_a_short_palette_holds_the_masks_colors_alone(anomalous: bool) -> None:
    preset = replace(load_preset("mixed"), width=64, height=64)
    base = build_case(preset, seed=3, anomalous=anomalous)
    case = CATALOGUE["mask-palette-short"].apply(base, np.random.default_rng(0))
    mask = _mask(case)
    colors = np.unique(np.asarray(mask.convert("RGB")).reshape(-1, 3), axis=0)
    assert mask.mode == "P"
    assert len(mask.getpalette() or []) // 3 == len(colors) < 256
    assert len(_mask(base).getpalette() or []) // 3 == 256  # Ground Truth's padding, before
    _same_pixels(base, case)


def test_rgba_masks_carry_the_alpha_they_claim() -> None:
    opaque, faded = _made("mask-rgba-opaque"), _made("mask-rgba-alpha")
    for case in (opaque, faded):
        assert _mask(case).mode == "RGBA"
    assert set(np.unique(np.asarray(_mask(opaque))[..., 3]).tolist()) == {255}
    assert set(np.unique(np.asarray(_mask(faded))[..., 3]).tolist()) == {96, 255}
    assert np.asarray(_mask(faded))[0, 0, 3] == 96  # the border fades too


def test_a_transparent_background_is_transparent_black() -> None:
    case = _made("mask-rgba-transparent")
    rgba = np.asarray(_mask(case))
    clear = rgba[..., 3] == 0
    assert clear.any()
    assert (~clear).any()
    assert (rgba[clear][:, :3] == 0).all()
    colors = {
        e["hex-color"] for e in case.record[f"{case.mask}-metadata"]["internal-color-map"].values()
    }
    painted = {"#{:02x}{:02x}{:02x}".format(*p) for p in rgba[~clear][:, :3].tolist()}
    assert painted <= colors - {"#ffffff"}
    assert case.anomalous
