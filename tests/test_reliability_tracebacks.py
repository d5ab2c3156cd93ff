"""No input, environment, stream or plugin produces a traceback: one line, an exit status."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from synth.cli import cli
from synth.errors import OutputError, PluginError
from synth.imaging.defects import base
from synth.imaging.textures.base import Texture
from synth.output.layout import Shard
from synth.registry import PAINTERS, TEXTURES
from synth.run.generate import generate
from synth.run.merge import merge
from tests.helpers import AWS_CREDENTIALS, files_of
from tests.invariants import PATIENCE, SYNTH, assert_whole_or_nothing

SMALL: dict[str, Any] = {"count": 4, "width": 64, "height": 64, "seed": 3}


def _cli(*args: str) -> tuple[int, str]:
    """Exit status and stderr of `synth ARGS` in this process; never an exception."""
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback: {result.exception!r}")
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return result.exit_code, lines[0]


# --- merge on a summary whose inner values are wrong -------------------------------------

BAD_VALUES: list[tuple[tuple[str, ...], object]] = [
    (("seed",), -1),
    (("seed",), True),
    (("preset", "name"), 3),
    (("preset", "dataset"), "x"),
    (("preset", "image", "width"), "wide"),
    (("preset", "classes"), [None]),
    (("counts", "train"), "x"),
    (("counts", "train", "normal"), "many"),
    (("counts", "train", "normal"), -2),
    (("counts", "train", "odd"), 1),
    (("parts", "train.manifest"), "x"),
    (("parts", "train.manifest", "lines"), "3"),
    (("parts", "train.manifest", "sha256"), None),
    (("options",), {"compress_level": [1]}),
]


@pytest.mark.parametrize(("path", "value"), BAD_VALUES, ids=lambda v: str(v))
def test_merge_on_a_summary_with_wrong_values(
    tmp_path: Path, path: tuple[str, ...], value: object
) -> None:
    for index in range(2):
        generate("mixed", out=tmp_path, shard=Shard(index, 2), **SMALL)
    key = tmp_path / "shards" / "part-00001-of-00002.json"
    summary = json.loads(key.read_text())
    inner = summary
    for step in path[:-1]:
        inner = inner.setdefault(step, {})
    inner[path[-1]] = value
    key.write_text(json.dumps(summary))
    try:
        merge(tmp_path)
    except OutputError:
        assert not assert_whole_or_nothing(tmp_path)
    else:  # a value merge does not read (the options are copied): a whole dataset
        assert assert_whole_or_nothing(tmp_path)


# --- JSON nested past the parser's depth (json raises RecursionError, no ValueError) ------

NESTED = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("where", ["shards/part-00000-of-00002.json", "dataset.json"])
def test_merge_reads_json_nested_too_deeply_as_unreadable(tmp_path: Path, where: str) -> None:
    for index in range(2):
        generate("mixed", out=tmp_path, shard=Shard(index, 2), **SMALL)
    (tmp_path / where).write_text(NESTED)
    if where == "dataset.json":  # no dataset of a run: the merge writes its own
        result = CliRunner().invoke(cli, ["merge", str(tmp_path)])
        assert (result.exit_code, result.exception) == (0, None), result.stderr
        assert assert_whole_or_nothing(tmp_path)
    else:
        status, line = _cli("merge", str(tmp_path))
        assert (status, line) == (
            1,
            f"Error: {tmp_path / where}: not a shard summary (nested too deeply); "
            "make that shard again",
        )


def test_overwrite_reads_a_dataset_json_nested_too_deeply_as_unreadable(tmp_path: Path) -> None:
    generate("mixed", out=tmp_path, **SMALL)
    before = files_of(tmp_path)
    (tmp_path / "dataset.json").write_text(NESTED)
    generate("mixed", out=tmp_path, overwrite=True, **SMALL)
    assert files_of(tmp_path) == before


# --- the AWS environment ------------------------------------------------------------------

ENVIRONMENTS = {
    "no-profile": ({"AWS_PROFILE": "nope"}, "AWS_PROFILE='nope': no such profile"),
    "garbage-config": (
        {"AWS_CONFIG_FILE": "{config}"},
        "{config}: cannot read this AWS config file",
    ),
    "garbage-credentials": (
        {"AWS_SHARED_CREDENTIALS_FILE": "{config}", "AWS_PROFILE": "default"},
        "{config}: cannot read this AWS credentials file (not INI sections of key = value "
        "lines); fix it, or point AWS_SHARED_CREDENTIALS_FILE elsewhere",
    ),
    "bad-region": (
        {"AWS_DEFAULT_REGION": "not_a_region!"},
        "'not_a_region!': not an AWS region name",
    ),
    "infinite-timeout": ({"SYNTH_S3_TIMEOUT": "inf"}, "SYNTH_S3_TIMEOUT='inf': must be a number"),
}
COMMANDS = [
    (["generate", "-n", "1", "--size", "64", "-o", "s3://bucket/p"], 1),
    (["validate", "s3://bucket/p/train.manifest"], 2),
    (["merge", "s3://bucket/p"], 1),
]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize(
    ("args", "status"), COMMANDS, ids=lambda v: v[0] if isinstance(v, list) else ""
)
def test_a_broken_aws_environment_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, environment: str, args: list[str], status: int
) -> None:
    config = tmp_path / "config"
    config.write_bytes(b"[default\nregion = \x01\n")
    variables, message = ENVIRONMENTS[environment]
    for name, value in {**AWS_CREDENTIALS, "AWS_DEFAULT_REGION": "us-east-1", **variables}.items():
        monkeypatch.setenv(name, value.format(config=config))
    code, line = _cli(*args, "--endpoint-url", "http://127.0.0.1:9")
    assert code == status
    assert message.format(config=config) in line


# --- a dask scheduler address that is wrong -----------------------------------------------


@pytest.mark.parametrize("address", ["notanaddress", "foo://x", "tcp://[::1"])
def test_a_wrong_dask_scheduler_address_is_one_line(tmp_path: Path, address: str) -> None:
    pytest.importorskip("dask.distributed")
    code, line = _cli(
        "generate",
        "-n",
        "1",
        "--size",
        "64",
        "-o",
        str(tmp_path / "out"),
        "--executor",
        "dask",
        "--scheduler",
        address,
    )
    assert code == 1
    assert line.startswith(f"Error: {address}: not a dask scheduler address")
    assert not assert_whole_or_nothing(tmp_path / "out")


# --- closed standard streams -------------------------------------------------------------


def _closing(*fds: int) -> Callable[[], None]:
    def close() -> None:
        for fd in fds:
            os.close(fd)

    return close


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reference")
    generate("dents", out=root, **SMALL)
    return root


ARGS = ["generate", "-p", "dents", "-n", "4", "--size", "64", "--seed", "3"]


@pytest.mark.slow
@pytest.mark.parametrize("closed", [(0,), (1,), (2,), (0, 1, 2)], ids=str)
def test_generate_with_closed_standard_streams(
    tmp_path: Path, reference: Path, closed: tuple[int, ...]
) -> None:
    """What was meant for a closed stream never lands in a file the run opened instead."""
    out = tmp_path / "out"
    result = subprocess.run(
        [*SYNTH, *ARGS, "-o", str(out)],
        capture_output=False,
        stdin=None,
        stdout=None if 1 in closed else subprocess.DEVNULL,
        stderr=None if 2 in closed else subprocess.PIPE,
        timeout=PATIENCE,
        preexec_fn=_closing(*closed),
    )
    assert result.returncode == 0
    assert files_of(out) == files_of(reference)


def test_validate_with_closed_streams(reference: Path) -> None:
    manifest = str(reference / "train.manifest")
    stdin_closed = subprocess.run(
        [*SYNTH, "validate", "-"],
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        preexec_fn=_closing(0),
    )
    assert stdin_closed.returncode == 1  # nothing to read: an empty manifest
    assert "manifest.empty" in stdin_closed.stdout
    assert "Traceback" not in stdin_closed.stderr
    stdout_closed = subprocess.run(
        [*SYNTH, "validate", manifest],
        stderr=subprocess.PIPE,
        text=True,
        timeout=PATIENCE,
        preexec_fn=_closing(1),
    )
    assert (stdout_closed.returncode, stdout_closed.stderr) == (0, "")


# --- plugins that hand back what their contract rules out ---------------------------------


class _Hostile(base.Painter, name="hostile"):
    """A painter whose `apply` returns what the test sets."""

    params = base.declare(radius=base.size((0.05, 0.1), within=(0.01, 0.3), doc="size"))
    result: Callable[[np.ndarray], Any] = staticmethod(lambda image: None)

    def apply(self, image: np.ndarray, params: base.Params, rng: base.Rng) -> base.Painted:
        return type(self).result(image)  # type: ignore[no-any-return]


@pytest.fixture
def hostile() -> Iterator[type[_Hostile]]:
    PAINTERS.register("hostile", _Hostile())
    try:
        yield _Hostile
    finally:
        del PAINTERS._entries["hostile"]
        _Hostile.result = staticmethod(lambda image: None)


def _patch(h: int, w: int) -> np.ndarray:
    return np.zeros((h, w, 3), np.float32)


def _raising(exc: BaseException) -> Callable[..., Any]:
    """A plugin's code that raises `exc`: its own bug, an exhausted memory, a sys.exit."""

    def plugin(*args: Any) -> Any:
        raise exc

    return plugin


RESULTS: dict[str, tuple[Callable[[np.ndarray], Any], str]] = {
    "none": (lambda image: None, "apply returned None, not a base.Painted"),
    "array": (lambda image: image, "apply returned a ndarray, not a base.Painted"),
    "patch-shape": (
        lambda image: base.Painted(
            (slice(0, 4), slice(0, 4)), _patch(3, 4), np.ones((4, 4), bool), 1
        ),
        "its patch has shape (3, 4, 3), not (4, 4, 3)",
    ),
    "mask-dtype": (
        lambda image: base.Painted((slice(0, 4), slice(0, 4)), _patch(4, 4), np.ones((4, 4)), 1),
        "its mask is float64, not bool",
    ),
    "outside": (
        lambda image: base.Painted(
            (slice(60, 70), slice(0, 10)), _patch(10, 10), np.ones((10, 10), bool), 1
        ),
        "its box is (slice(60, 70, None), slice(0, 10, None)), not two slices",
    ),
    "empty-mask": (
        lambda image: base.Painted(
            (slice(0, 4), slice(0, 4)), _patch(4, 4), np.zeros((4, 4), bool), 1
        ),
        "its mask is empty",
    ),
    "nan-patch": (
        lambda image: base.Painted(
            (slice(0, 4), slice(0, 4)), _patch(4, 4) * np.nan, np.ones((4, 4), bool), 1
        ),
        "its patch holds NaN or infinite values",
    ),
    "int-patch": (
        lambda image: base.Painted(
            (slice(0, 4), slice(0, 4)), np.zeros((4, 4, 3), np.uint8), np.ones((4, 4), bool), 1
        ),
        "its patch is uint8, not a float type",
    ),
    "raises": (_raising(ValueError("boom \x1b[31m")), "raised ValueError (boom \x1b[31m)"),
    "out-of-memory": (_raising(MemoryError()), "raised MemoryError"),
    "exits": (_raising(SystemExit(3)), "raised SystemExit (3)"),
}
PRESET = {
    "image": {"width": 64, "height": 64, "textures": ["painted"]},
    "dataset": {"count": 4, "anomaly_fraction": 1.0},
    "classes": [{"name": "blob", "color": "#ff0000", "painter": "hostile"}],
}


@pytest.mark.parametrize("kind", RESULTS)
def test_a_painter_that_breaks_its_contract(
    tmp_path: Path, hostile: type[_Hostile], kind: str
) -> None:
    result, message = RESULTS[kind]
    hostile.result = staticmethod(result)
    with pytest.raises(PluginError, match=re.escape(f"painter 'hostile': {message}")):
        generate(PRESET, out=tmp_path / "out", seed=1)
    assert not assert_whole_or_nothing(tmp_path / "out")


def test_a_painter_returning_none_is_one_line_from_the_cli(
    tmp_path: Path, hostile: type[_Hostile]
) -> None:
    preset = tmp_path / "hostile.toml"
    preset.write_text(
        '[image]\nwidth = 64\nheight = 64\ntextures = ["painted"]\n[dataset]\ncount = 2\n'
        'anomaly_fraction = 1.0\n[[classes]]\nname = "blob"\ncolor = "#ff0000"\n'
        'painter = "hostile"\n'
    )
    code, line = _cli("generate", "-p", str(preset), "-o", str(tmp_path / "out"))
    assert code == 1
    assert line == "Error: painter 'hostile': apply returned None, not a base.Painted"


@pytest.mark.parametrize(
    ("raised", "line"),
    [
        (ValueError("boom \x1b[31m\nred"), "raised ValueError (boom \\x1b[31m\\nred)"),
        (SystemExit(3), "raised SystemExit (3)"),
    ],
)
def test_a_painter_that_raises_is_one_line_from_the_cli(
    tmp_path: Path, hostile: type[_Hostile], raised: BaseException, line: str
) -> None:
    """A plugin's exception, even SystemExit, is one escaped line naming it, exit 1."""
    hostile.result = staticmethod(_raising(raised))
    preset = tmp_path / "hostile.toml"
    preset.write_text(
        '[image]\nwidth = 64\nheight = 64\ntextures = ["painted"]\n[dataset]\ncount = 2\n'
        'anomaly_fraction = 1.0\n[[classes]]\nname = "blob"\ncolor = "#ff0000"\n'
        'painter = "hostile"\n'
    )
    assert _cli("generate", "-p", str(preset), "-o", str(tmp_path / "out")) == (
        1,
        f"Error: painter 'hostile': {line}",
    )
    assert not assert_whole_or_nothing(tmp_path / "out")


@pytest.mark.parametrize(
    ("made", "message"),
    [
        (lambda h, w, rng: None, "its image is None, not a numpy array"),
        (
            lambda h, w, rng: np.zeros((h, w + 1, 3), np.float32),
            "its image has shape (64, 65, 3), not (64, 64, 3)",
        ),
        (
            lambda h, w, rng: np.zeros((h, w), np.float32),
            "its image has shape (64, 64), not (64, 64, 3)",
        ),
        (
            lambda h, w, rng: np.full((h, w, 3), 128, np.uint8),
            "its image is uint8, not a float type",
        ),
        (
            lambda h, w, rng: np.full((h, w, 3), np.inf, np.float32),
            "its image holds NaN or infinite values",
        ),
        (_raising(RuntimeError("no such GPU")), "raised RuntimeError (no such GPU)"),
    ],
)
def test_a_texture_that_breaks_its_contract(tmp_path: Path, made: Any, message: str) -> None:
    TEXTURES.register("hostile", Texture("hostile", made))
    try:
        preset = {
            **PRESET,
            "image": {**PRESET["image"], "textures": ["hostile"]},
            "classes": [{"name": "dent", "color": "#ff0000", "painter": "dent"}],
        }
        with pytest.raises(PluginError) as caught:
            generate(preset, out=tmp_path / "out", seed=1)
        assert str(caught.value) == f"texture 'hostile': {message}"
    finally:
        del TEXTURES._entries["hostile"]
    assert not assert_whole_or_nothing(tmp_path / "out")
