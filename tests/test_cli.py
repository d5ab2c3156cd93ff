"""The command line: the README's commands work, and user mistakes give one line, no traceback."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from synth.cli import cli
from synth.errors import ArgumentError
from synth.run.generate import generate


@dataclass(frozen=True)
class _Ran:
    returncode: int
    stdout: str
    stderr: str


def _run(*args: str) -> _Ran:
    """`synth ARGS` as a shell would run it, in this process (no interpreter start-up per
    command: tests/test_readme.py runs the docs' commands as processes). An exception the
    command does not turn into its one line fails the test, as its traceback would."""
    result = CliRunner().invoke(cli, list(args), prog_name="synth", catch_exceptions=False)
    return _Ran(result.exit_code, result.stdout, result.stderr)


def _refused(*args: str) -> str:
    """`synth ARGS` as a user's mistake: exit 1 and one line on stderr (no traceback)."""
    result = _run(*args)
    assert result.returncode == 1, result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    return result.stderr.strip()


def test_generate_writes_a_dataset(tmp_path: Path) -> None:
    out = tmp_path / "data"
    result = CliRunner().invoke(
        cli, ["generate", "--preset", "dents", "--out", str(out), "-n", "4", "--size", "64"]
    )
    assert result.exit_code == 0, result.output
    assert "train.manifest" in result.output
    assert (
        len((out / "train.manifest").read_text().splitlines())
        + len(
            (out / "test.manifest").read_text().splitlines()
            if (out / "test.manifest").exists()
            else []
        )
        == 4
    )


def test_presets_lists_names_and_descriptions() -> None:
    result = CliRunner().invoke(cli, ["presets"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert any(line.startswith("dents ") and "dent" in line.lower() for line in lines)
    assert {line.split()[0] for line in lines} >= {"dents", "scratches", "mixed", "normal-only"}


def test_unknown_preset_is_one_line_and_exit_1(tmp_path: Path) -> None:
    assert _refused("generate", "--preset", "nope", "--out", str(tmp_path / "o")) == (
        "Error: unknown preset 'nope': not a built-in preset "
        "(corrosion, cracks, dents, electronics, mixed, normal-only, scratches, showcase) "
        "nor a TOML file"
    )
    assert not (tmp_path / "o").exists()


def test_invalid_preset_file_names_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[image]\nwidth = 64\nheight = 64\n[dataset]\ncount = -1\n")
    line = _refused("generate", "--preset", str(bad), "--out", str(tmp_path / "o"))
    assert line == f"Error: {bad}: dataset.count: must be at least 1, got -1"


def test_unknown_fault_word_is_one_line_naming_the_field(tmp_path: Path) -> None:
    """The run checks fault words (the preset only lists them): from a file or --faults."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[image]\nwidth = 64\nheight = 64\n[dataset]\nfaults = ['nope']\n")
    from_file = _refused("generate", "--preset", str(bad), "--out", str(tmp_path / "o"))
    from_flag = _refused("generate", "-p", "dents", "--faults", "nope", "-o", str(tmp_path / "o"))
    # A word from the file is the file's field; one from --faults, the flag's.
    for line, where in ((from_file, "preset 'bad': dataset.faults"), (from_flag, "--faults")):
        assert line == (
            f"Error: {where}: 'nope' is neither a fault nor a rule any fault breaks "
            "(see `synth faults`)"
        )
    assert not (tmp_path / "o").exists()


def test_compress_level_takes_every_level_the_option_offers(tmp_path: Path) -> None:
    """--compress-level's range and the run configuration's agree (12: smallest)."""
    args = ["generate", "-p", "dents", "-n", "1", "--size", "64", "--compress-level"]
    result = CliRunner().invoke(cli, [*args, "12", "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "o" / "dataset.json").read_text())
    assert written["options"]["compress_level"] == 12
    assert CliRunner().invoke(cli, [*args, "13", "-o", str(tmp_path / "p")]).exit_code == 2


def test_non_empty_output_without_overwrite(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("x")
    line = _refused("generate", "-p", "dents", "-o", str(tmp_path), "-n", "1", "--size", "64")
    assert "--overwrite" in line


def test_unwritable_output(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    line = _refused(
        "generate", "-p", "dents", "-o", str(blocker / "sub"), "-n", "1", "--size", "64"
    )
    assert "cannot write" in line


def test_bad_size_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["generate", "--size", "big"])
    assert result.exit_code == 2
    assert "'big' is not a size such as 512 or 640x480" in result.output


@pytest.mark.parametrize("size", ["5", "0", "63x64", "64x4097", "100000"])
@pytest.mark.parametrize("command", ["generate", "preview"])
def test_a_size_out_of_range_names_the_flag(tmp_path: Path, command: str, size: str) -> None:
    """--size is refused as the flag the user typed, not as the preset's image.width."""
    out = tmp_path / "out.png" if command == "preview" else tmp_path / "out"
    result = _run(command, "-p", "dents", "--size", size, "-o", str(out))
    assert result.returncode == 2  # a usage error: `synth` prints it on one line (test_limits)
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--size': '{size}': each side must be from 64 to 4096 pixels"
    )
    assert "image." not in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"width": 5}, "width: must be between 64 and 4096 pixels, got 5"),
        ({"height": 4097}, "height: must be between 64 and 4096 pixels, got 4097"),
        ({"bucket": "Not_A_Bucket"}, "bucket: 'Not_A_Bucket' is not a valid S3 bucket name"),
    ],
)
def test_an_override_out_of_range_is_named_as_the_caller_gave_it(
    tmp_path: Path, given: dict[str, Any], said: str
) -> None:
    with pytest.raises(ArgumentError) as caught:
        generate("dents", out=tmp_path / "out", **given)
    assert str(caught.value) == said
    assert not (tmp_path / "out").exists()
    if "bucket" in given:  # a flag of the same name: the CLI says --bucket
        line = _refused("generate", "-p", "dents", "--bucket", given["bucket"], "-o", "x")
        assert line == f"Error: --{said}"


def test_help_reads_well() -> None:
    result = CliRunner().invoke(cli, ["generate", "--help"])
    assert result.exit_code == 0
    assert "synth generate --preset dents" in result.output


def test_validate_command_exit_codes(tmp_path: Path) -> None:
    out = tmp_path / "d"
    assert (
        _run("generate", "-p", "dents", "-o", str(out), "-n", "3", "--size", "64").returncode == 0
    )
    clean = _run("validate", str(out / "train.manifest"), "--objects")
    assert clean.returncode == 0
    # Three images are too few to train on: warnings only, one per unmet minimum.
    assert {tuple(line.split(": ")[1:3]) for line in clean.stdout.splitlines()} == {
        ("warning", "dataset.training-minimum")
    }
    (out / "masks/000000.png").write_bytes(b"not a png")
    broken = _run("validate", str(out / "train.manifest"), "--objects", "--format", "json")
    assert broken.returncode == 1
    assert '"rule": "mask-image.format"' in broken.stdout
    missing = _run("validate", str(tmp_path / "nothing.manifest"))
    assert missing.returncode == 2
    assert (
        missing.stderr.strip() == f"Error: {tmp_path / 'nothing.manifest'}: no such manifest file"
    )
    usage = _run("validate", "x", "--format", "xml")
    assert usage.returncode == 2


def test_mock_s3_dry_run() -> None:
    result = _run(
        "generate", "-p", "dents", "-o", "s3://demo/dents", "--mock-s3", "-n", "2", "--size", "64"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("s3://demo/dents/train.manifest: ")
    usage = _run("generate", "-p", "dents", "-o", "local", "--mock-s3")
    assert usage.returncode == 2
    assert "--mock-s3 needs an s3://BUCKET/PREFIX --out" in usage.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        # A dry run never reaches a server (it wrote the dataset to the endpoint, and
        # created its bucket): nothing listens on port 9, so a request fails otherwise.
        (
            ["-o", "s3://demo/dents", "--mock-s3", "--endpoint-url", "http://127.0.0.1:9"],
            "--mock-s3 is a dry run in this process: drop --endpoint-url",
        ),
        (["--endpoint-url", "http://127.0.0.1:9"], "--endpoint-url needs an s3://BUCKET/PREFIX"),
        (["--create-bucket"], "--create-bucket needs an s3://BUCKET/PREFIX --out"),
    ],
)
def test_s3_flags_that_cannot_be_honoured_are_refused(
    tmp_path: Path, args: list[str], said: str
) -> None:
    out = ["-o", str(tmp_path / "local")] if "-o" not in args else []
    result = _run("generate", "-p", "dents", "-n", "2", "--size", "64", *out, *args)
    assert result.returncode == 2, result.stderr
    assert f"Error: {said}" in result.stderr  # one line under main: test_usage_errors_are_one_line
    assert not (tmp_path / "local").exists()


def test_shards_then_merge(tmp_path: Path) -> None:
    """--shard and merge reach the API (that the merge is the one-run bytes: test_shards)."""
    args = ["generate", "-p", "dents", "-n", "5", "--size", "64", "-s", "3"]
    for shard in ("1/2", "0/2"):
        result = _run(*args, "-o", str(tmp_path / "two"), "--shard", shard)
        assert result.returncode == 0, result.stderr
    assert not list((tmp_path / "two").glob("*.manifest"))  # parts only, until the merge
    merged = _run("merge", str(tmp_path / "two"))
    assert merged.returncode == 0, merged.stderr
    lines = [line for path in (tmp_path / "two").glob("*.manifest") for line in path.open()]
    assert len(lines) == 5
    bad = _run(*args, "-o", str(tmp_path / "x"), "--shard", "2/2")
    assert bad.returncode == 2
    assert "the index must be from 0 to 1" in bad.stderr


def test_validate_judges_train_and_test_as_one_project(tmp_path: Path) -> None:
    out = tmp_path / "d"
    made = _run("generate", "-p", "dents", "-o", str(out), "-n", "6", "--size", "64")
    assert made.returncode == 0, made.stderr
    train, test = out / "train.manifest", out / "test.manifest"
    lines = train.read_text().splitlines()
    test.write_text(test.read_text() + lines[0] + "\n")  # an image in both splits
    result = _run("validate", str(train), str(test), "--format", "json")
    assert result.returncode == 1
    [duplicate] = [json.loads(x) for x in result.stdout.splitlines() if "duplicate-image" in x]
    assert duplicate["file"] == str(test)
    assert duplicate["related"] == [f"{train}:1"]
    lenient = _run("validate", str(train), "--profile", "service")
    assert lenient.returncode == 0
    unknown = _run("validate", str(train), "--profile", "lax")
    assert unknown.returncode == 2
