"""One error hierarchy: every error synth raises for its user is a SynthError with a code."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import synth.extras
import synth.output.s3
import synth.registry
import synth.validate
from synth.config.preset import load_preset
from synth.errors import (
    ArgumentError,
    InputError,
    OutputError,
    PluginError,
    PresetError,
    SynthError,
)
from synth.faults import CATALOGUE, DATASET_FAULTS, Case, FaultError, choose
from synth.format import S3Uri
from synth.imaging.defects import PAINTERS, resolve_params
from synth.run.generate import generate
from synth.testing.cases import build_case
from synth.testing.strategies import manifest_cases
from synth.validate.profiles import parse_profile

DUPLICATE = DATASET_FAULTS["duplicate-image"]  # a line is no duplicate of itself
# The codes are a contract with programs that read them: a change here breaks them.
CODES = {
    SynthError: "synth",
    PresetError: "preset",
    OutputError: "output",
    InputError: "input",
    ArgumentError: "argument",
    PluginError: "plugin",
    FaultError: "fault",
    synth.registry.RegistryError: "registry",
    synth.extras.MissingExtra: "missing-extra",
    synth.validate.ValidationSetupError: "validation-setup",
    synth.output.s3.CredentialsError: "credentials",
}


def _subclasses(cls: type[SynthError]) -> set[type[SynthError]]:
    found = set(cls.__subclasses__())
    return found.union(*(_subclasses(c) for c in found))


def test_every_error_class_has_its_own_stable_code() -> None:
    every = {SynthError} | _subclasses(SynthError)
    assert {cls: cls.code for cls in every} == CODES


@functools.cache
def _normal_case() -> Case:
    preset = load_preset("dents").with_overrides(width=64, height=64)
    return build_case(preset, 0, anomalous=False)


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: choose(["nope"]), "argument"),
        (lambda: resolve_params(PAINTERS["scratch"], {"width": [4, 2]}), "argument"),
        (lambda: manifest_cases(rules={"nope"}), "argument"),
        (lambda: parse_profile("lax"), "argument"),
        (lambda: S3Uri.parse("s3://No_Bucket/k"), "argument"),
        (lambda: CATALOGUE["mask-stray-color"].apply(_normal_case(), _rng()), "fault"),
        (lambda: DUPLICATE.apply(_normal_case(), _normal_case(), _rng()), "fault"),
    ],
    ids=["fault-word", "painter-range", "strategy-rule", "profile", "s3-uri", "fault", "pair"],
)
def test_a_bad_value_is_a_synth_error_and_a_value_error(
    call: Callable[[], object], code: str
) -> None:
    with pytest.raises(SynthError) as caught:
        call()
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)  # what Python callers catch for a bad value


def test_a_bad_run_option_is_an_argument_error(tmp_path: Path) -> None:
    with pytest.raises(ArgumentError, match="compress_level=99 is out of range"):
        generate("dents", out=tmp_path, count=1, width=64, height=64, compress_level=99)
