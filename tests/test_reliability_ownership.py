"""A run owns its output: one claim for every kind of run (full, shard, merge,
overwrite); it publishes all or nothing under any signal or limit; it removes what it
owns (an old run's shards) and refuses what it does not (unrelated files)."""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from synth.errors import OutputError
from synth.output.folder import FolderSink
from synth.output.layout import Shard
from synth.output.location import open_sink
from synth.run.generate import generate
from synth.run.merge import merge
from tests.helpers import files_of
from tests.invariants import (
    INJECT,
    PATIENCE,
    SYNTH,
    assert_whole_or_nothing,
    empty_folders,
    finish,
    one_line,
    published_manifests,
    session_processes,
    start,
    synth_here,
    wait_until,
)

OPTIONS: dict[str, Any] = {
    "count": 4,
    "width": 64,
    "height": 64,
    "seed": 7,
    "broken_fraction": 0.5,
}
ARGS = ["-p", "mixed", "-n", "4", "--size", "64", "--seed", "7", "--broken", "0.5"]
SHARD = Shard(1, 2)
HELD = r"another synth run .* is writing here"


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reference")
    generate("mixed", out=root, **OPTIONS)
    return root


def _locks(root: Path) -> list[str]:
    return sorted(p.name for p in root.glob(".synth-lock*"))


# What each kind of run does to an output; every one takes the same claim.
KINDS: dict[str, Callable[[str | Path], object]] = {
    "full": lambda out: generate("mixed", out=out, **OPTIONS),
    "overwrite": lambda out: generate("mixed", out=out, overwrite=True, **OPTIONS),
    "shard": lambda out: generate("mixed", out=out, shard=Shard(0, 2), **OPTIONS),
    "merge": lambda out: merge(out),
}
CONFLICTS = [
    ("", "shard"),
    ("", "merge"),
    (SHARD.suffix, "full"),
    (SHARD.suffix, "overwrite"),
    (SHARD.suffix, "merge"),
]


@pytest.mark.parametrize(("held", "kind"), CONFLICTS)
def test_one_claim_for_every_kind_of_run(tmp_path: Path, held: str, kind: str) -> None:
    """A run holds the folder (a full run's claim, or shard 1's) while another starts."""
    holder = FolderSink(tmp_path, "b")
    holder.claim(held)
    try:
        with pytest.raises(OutputError, match=HELD):
            KINDS[kind](tmp_path)
        assert _locks(tmp_path) == [f".synth-lock{held}"]  # the refused run left none
    finally:
        holder.close()
    assert not assert_whole_or_nothing(tmp_path)
    assert not (tmp_path / "images").exists()


# On S3, the bucket's own parts of the one claim algorithm (test_one_claim_for_every_kind_of_run
# has every pair): its create-if-absent (a merge while a full run holds the claim), and its
# listing of the other claims (a full run while a shard holds its own).
@pytest.mark.parametrize(("held", "kind"), [("", "merge"), (SHARD.suffix, "full")])
def test_one_claim_for_every_kind_of_run_on_s3(mocked: Any, held: str, kind: str) -> None:
    holder = open_sink("s3://data/p", "data")
    holder.claim(held)
    try:
        with pytest.raises(OutputError, match=HELD):
            KINDS[kind]("s3://data/p")
    finally:
        holder.close()
    assert not mocked.list_objects_v2(Bucket="data").get("Contents")


def test_shards_of_one_run_write_side_by_side(tmp_path: Path, reference: Path) -> None:
    holder = FolderSink(tmp_path, "b")
    holder.claim(SHARD.suffix)
    try:
        KINDS["shard"](tmp_path)
    finally:
        holder.close()
    generate("mixed", out=tmp_path, shard=SHARD, **OPTIONS)
    merge(tmp_path)
    assert files_of(tmp_path) == files_of(reference)


def test_overwrite_removes_unmerged_shards(tmp_path: Path, reference: Path) -> None:
    """A later merge must not publish the old run's manifests over the new run's images."""
    for index in range(2):
        generate("dents", out=tmp_path, shard=Shard(index, 2), **{**OPTIONS, "seed": 1})
    generate("mixed", out=tmp_path, overwrite=True, **OPTIONS)
    assert not [p for p in (tmp_path / "shards").rglob("*") if p.is_file()]
    with pytest.raises(OutputError, match="no shards to merge"):
        merge(tmp_path)
    assert assert_whole_or_nothing(tmp_path, reference)
    assert (tmp_path / "dataset.json").read_bytes() == (reference / "dataset.json").read_bytes()


def test_overwrite_removes_unmerged_shards_on_s3(mocked: Any) -> None:
    for index in range(2):
        generate("dents", out="s3://data/p", shard=Shard(index, 2), **{**OPTIONS, "seed": 1})
    generate("mixed", out="s3://data/p", overwrite=True, **OPTIONS)
    keys = [item["Key"] for item in mocked.list_objects_v2(Bucket="data")["Contents"]]
    assert not [key for key in keys if key.startswith("p/shards/")]
    with pytest.raises(OutputError, match="no shards to merge"):
        merge("s3://data/p")


def test_a_shard_with_overwrite_replaces_another_runs_shards(
    tmp_path: Path, reference: Path
) -> None:
    for index in range(2):
        generate("dents", out=tmp_path, shard=Shard(index, 2), **{**OPTIONS, "seed": 1})
    generate("mixed", out=tmp_path, shard=Shard(0, 2), overwrite=True, **OPTIONS)
    generate("mixed", out=tmp_path, shard=Shard(1, 2), **OPTIONS)
    merge(tmp_path)
    assert assert_whole_or_nothing(tmp_path, reference)
    for name in ("dataset.json", "train.manifest", "test.manifest"):
        assert (tmp_path / name).read_bytes() == (reference / name).read_bytes()


def test_a_shard_refuses_unrelated_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"holds 'notes\.txt', which no shard writes"):
        generate("mixed", out=tmp_path, shard=Shard(0, 2), **OPTIONS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_shard_refuses_unrelated_objects_on_s3(mocked: Any) -> None:
    mocked.put_object(Bucket="data", Key="p/notes.txt", Body=b"mine")
    with pytest.raises(OutputError, match=r"holds 'notes\.txt', which no shard writes"):
        generate("mixed", out="s3://data/p", shard=Shard(0, 2), **OPTIONS)
    assert [i["Key"] for i in mocked.list_objects_v2(Bucket="data")["Contents"]] == ["p/notes.txt"]


# Before the N-th staged file or the N-th rename of the publish (6 files: 4 manifests,
# expected.jsonl, dataset.json), the run gets SIGTERM.
def _sweep(points: list[tuple[str, int]]) -> list[Any]:
    """Each point a case, in the slow tier: a fresh interpreter each."""
    return [pytest.param(*point, marks=pytest.mark.slow) for point in points]


def _stopped(whole: bool, out: Path) -> str:
    """The line of a run stopped by SIGTERM: it says whether the dataset was published."""
    if whole:  # the signal was held through the renames, and landed after them
        return f"synth: stopped by SIGTERM after {out} was published in full"
    return "synth: stopped by SIGTERM; nothing was published"


PUBLISH_POINTS = _sweep(
    [("pathlib:Path.replace", n) for n in (1, 2, 4, 6)]
    + [("synth.output.folder:_stage", n) for n in (1, 3, 6)]
)


@pytest.mark.parametrize(("target", "nth"), PUBLISH_POINTS)
def test_sigterm_while_publishing(tmp_path: Path, reference: Path, target: str, nth: int) -> None:
    out = tmp_path / "out"
    run = start(
        [target, str(nth), "SIGTERM", "generate", *ARGS, "-o", str(out)], tmp_path, program=INJECT
    )
    code, stderr = finish(run, tmp_path)
    assert code == 143, stderr
    whole = assert_whole_or_nothing(out, reference)
    assert one_line(stderr) == _stopped(whole, out)
    if not whole:
        generate("mixed", out=out, overwrite=True, **OPTIONS)  # the rerun finishes the job
    assert files_of(out) == files_of(reference)


MERGE_POINTS = _sweep(
    [
        ("synth.output.folder:FolderSink.delete", 1),
        ("synth.output.folder:FolderSink.delete", 7),
        ("synth.output.folder:_stage", 1),
        ("synth.output.folder:_stage", 6),
        ("pathlib:Path.replace", 1),
        ("pathlib:Path.replace", 5),
    ]
)


@pytest.mark.parametrize(("target", "nth"), MERGE_POINTS)
def test_sigterm_while_merging(tmp_path: Path, reference: Path, target: str, nth: int) -> None:
    out = tmp_path / "out"
    for index in range(2):
        generate("mixed", out=out, shard=Shard(index, 2), **OPTIONS)
    run = start([target, str(nth), "SIGTERM", "merge", str(out)], tmp_path, program=INJECT)
    code, stderr = finish(run, tmp_path)
    assert code == 143, stderr
    whole = assert_whole_or_nothing(out, reference)
    assert one_line(stderr) == _stopped(whole, out)
    if not whole:
        merge(out)  # the shards are all still there: merging again finishes the job
    assert files_of(out) == files_of(reference)


def _limited(size: int) -> Callable[[], None]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


FAULT = ["--broken", "1", "--faults", "manifest-over-1gb"]


@pytest.mark.slow
def test_a_file_size_limit_during_the_1gb_fault(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (tmp_path / "tmp").mkdir()
    result = subprocess.run(
        [*SYNTH, "generate", "-p", "dents", "-n", "3", "--size", "64", "-o", str(out), *FAULT],
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        preexec_fn=_limited(1 << 20),
        env={**os.environ, "TMPDIR": str(tmp_path / "tmp")},
    )
    assert result.returncode == 1
    manifest = out / "broken" / "projects" / "manifest-over-1gb" / "train.manifest"
    assert one_line(result.stderr) == (
        f"Error: {manifest}: cannot write (File too large); raise the file size limit "
        "(ulimit -f); nothing was published"
    )
    assert not assert_whole_or_nothing(out)
    assert not list((tmp_path / "tmp").iterdir())


@pytest.mark.slow
def test_a_lock_that_cannot_be_written(tmp_path: Path) -> None:
    """A full disk (here `ulimit -f 0`) as the run writes its claim: one line naming the
    lock, and no empty lock left to block later runs."""
    out = tmp_path / "out"
    result = subprocess.run(
        [*SYNTH, "generate", "-p", "dents", "-n", "2", "--size", "64", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        preexec_fn=_limited(0),
    )
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        f"Error: {out}/.synth-lock: cannot write the output's lock (File too large)"
    )
    assert not out.exists()  # the folder the run made, left empty, is gone with it
    generate("dents", out=out, count=2, width=64, height=64)
    assert assert_whole_or_nothing(out)


def test_a_lock_naming_no_holder_is_taken_over_once_old(tmp_path: Path) -> None:
    lock = tmp_path / ".synth-lock"
    lock.write_bytes(b"")
    with pytest.raises(OutputError, match=HELD):  # a run may be writing its holder now
        generate("dents", out=tmp_path, count=2, width=64, height=64)
    old = time.time() - 60
    os.utime(lock, (old, old))
    generate("dents", out=tmp_path, count=2, width=64, height=64)
    assert assert_whole_or_nothing(tmp_path)


@pytest.mark.parametrize("alive", [False, True])
def test_an_s3_claim_of_a_dead_run_here_is_taken_over(mocked: Any, alive: bool) -> None:
    pid = os.getpid() if alive else 999999999
    mocked.put_object(Bucket="data", Key="p/.synth-lock", Body=f"{socket.gethostname()} {pid}\n")
    if alive:
        with pytest.raises(OutputError, match=HELD):
            generate("dents", out="s3://data/p", count=2, width=64, height=64)
        return
    generate("dents", out="s3://data/p", count=2, width=64, height=64)
    keys = [item["Key"] for item in mocked.list_objects_v2(Bucket="data")["Contents"]]
    assert "p/train.manifest" in keys
    assert not [key for key in keys if ".synth-lock" in key]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("where", "problem"), [("missing", "no such folder"), ("/dev/null", "is not a folder")]
)
def test_merge_names_a_folder_that_is_not_there(tmp_path: Path, where: str, problem: str) -> None:
    out = str(tmp_path / where) if where == "missing" else where
    result = subprocess.run(
        [*SYNTH, "merge", out], capture_output=True, text=True, timeout=PATIENCE
    )
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        f"Error: {out}: {problem}; give the folder the shards were written to"
    )


def test_published_manifests_helper_sees_broken(reference: Path) -> None:
    assert len(published_manifests(reference)) == 4


# ---- what a run killed with SIGKILL leaves in TMPDIR is taken over by the next ----------


def _spools(tmp: Path) -> list[Path]:
    return sorted((tmp / "tmpdir").glob("synth-manifests-*"))


@pytest.fixture
def dead_spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This process's temporary folder, holding the spool of a gone run of this host."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    folder = tmp_path / "tmpdir"
    left = folder / f"synth-manifests-{socket.gethostname()}-{gone.pid}-abc_12"
    left.mkdir(parents=True)
    (left / "train.manifest").write_text("{}\n")
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_a_run_removes_a_dead_runs_spool_from_its_tmpdir(tmp_path: Path, dead_spool: Path) -> None:
    """A run sweeps its temporary folder before it spools: a spool of a gone run of this
    host goes, and the run leaves nothing of its own there. Which spools are a gone run's:
    test_only_spools_of_dead_runs_here_are_removed; one a real SIGKILL left, in the slower
    tier: test_a_spool_a_killed_run_left_is_removed_by_the_next_run."""
    generate("dents", out=tmp_path / "out", **{**OPTIONS, "count": 2})
    assert list(dead_spool.iterdir()) == []
    assert assert_whole_or_nothing(tmp_path / "out")


@pytest.mark.parametrize("run", ["refused", "merge"])
def test_a_run_that_spools_nothing_still_removes_a_dead_runs_spool(
    tmp_path: Path, dead_spool: Path, run: str
) -> None:
    """The sweep is the start of every run, not of its spool: a run refused ("not empty")
    and a merge with nothing to merge (as one finishing a killed merge) sweep too."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    starts: Callable[[], object] = (
        (lambda: generate("dents", out=out, **{**OPTIONS, "count": 2}))
        if run == "refused"
        else (lambda: merge(out))
    )
    with pytest.raises(OutputError):
        starts()
    assert list(dead_spool.iterdir()) == []
    assert files_of(out) == {"notes.txt": b"mine"}


@pytest.mark.slow
def test_a_spool_a_killed_run_left_is_removed_by_the_next_run(tmp_path: Path) -> None:
    """Nothing runs at SIGKILL: the killed run's spool stays in TMPDIR until the next run
    there, which removes it; and that run leaves nothing in TMPDIR, nor a process."""
    out = tmp_path / "out"
    run = start(["generate", "-p", "dents", "-n", "5000", "--size", "64", "-o", str(out)], tmp_path)
    wait_until(lambda: bool(_spools(tmp_path)) or run.poll() is not None, PATIENCE, "a spool")
    assert run.poll() is None, run.communicate()
    run.kill()
    assert run.wait(timeout=PATIENCE) == -9
    wait_until(lambda: not session_processes(run.pid), PATIENCE, "the run's processes to exit")
    [left] = _spools(tmp_path)
    rerun = start(
        ["generate", "-p", "dents", "-n", "2", "--size", "64", "-o", str(out), "--overwrite"],
        tmp_path,
    )
    code, stderr = finish(rerun, tmp_path)  # nothing left in TMPDIR: the spool gone too
    assert code == 0, stderr  # the training minimums' warnings of a 2-image dataset aside
    assert not left.exists()
    assert assert_whole_or_nothing(out)


def test_only_spools_of_dead_runs_here_are_removed(tmp_path: Path) -> None:
    """A spool names its run (host and pid): one of a live run, of another host, or of a
    name it did not make is kept; one of a gone run or a zombie (killed, not reaped) goes."""
    from synth.annotate.manifest import sweep_spools

    host = socket.gethostname()
    zombie = subprocess.Popen(["sleep", "600"])
    gone = subprocess.Popen(["true"])
    gone.wait()
    zombie.kill()
    os.waitid(os.P_PID, zombie.pid, os.WEXITED | os.WNOWAIT)  # dead, and left unreaped
    try:
        names = {
            f"synth-manifests-{host}-{os.getpid()}-abc_12": True,  # this process: alive
            f"synth-manifests-elsewhere-{gone.pid}-abc_12": True,  # another host's
            "synth-manifests-k2j4_x9q": True,  # a name of no run (an older synth's)
            f"other-{host}-{gone.pid}-abc_12": True,  # not a spool
            f"synth-manifests-{host}-{gone.pid}-abc_12": False,
            f"synth-manifests-{host}-{zombie.pid}-abc_12": False,
        }
        for name in names:
            (tmp_path / name).mkdir()
            (tmp_path / name / "train.manifest").write_text("{}\n")
        sweep_spools(tmp_path)
        assert {name: (tmp_path / name).exists() for name in names} == names
    finally:
        zombie.wait()


# ---- a run removes the folders it made and left empty, and only those -------------------


@pytest.mark.parametrize("given", ["new", "existing"])
def test_a_failed_run_removes_the_folders_it_made(
    tmp_path: Path, given: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused dask scheduler ends the run after its output folder was made: a folder
    (and the parents) the run made goes with it; one the user made stays."""
    pytest.importorskip("dask.distributed")
    out = tmp_path / "made" / "by" / "out" if given == "new" else tmp_path / "mine"
    if given == "existing":
        out.mkdir()
    temporary = tmp_path / "tmpdir"  # in this process (no process to start): its TMPDIR
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    args = ["--executor", "dask", "--scheduler", "notanaddress", "-o", str(out)]
    done = synth_here("generate", "-p", "dents", "-n", "2", "--size", "64", *args)
    assert done.returncode == 1
    assert one_line(done.stderr).startswith("Error: notanaddress: not a dask scheduler address")
    temporary.rmdir()  # left empty
    assert sorted(p.name for p in tmp_path.iterdir()) == ([] if given == "new" else ["mine"])
    assert given == "new" or not any(out.iterdir())  # the user's folder, as it was


def test_merge_leaves_no_empty_shards_folder(tmp_path: Path) -> None:
    """merge removes the parts under shards/, then shards/ itself, which it emptied."""
    out = tmp_path / "out"
    for index in range(2):
        generate("dents", out=out, shard=Shard(index, 2), **OPTIONS)
    assert (out / "shards").is_dir()
    merge(out)
    assert not (out / "shards").exists()
    assert assert_whole_or_nothing(out)  # no empty folder either


def _unrelated(root: Path) -> None:
    """Files no dataset writes: a note beside it and a folder of the user's."""
    (root / "photos").mkdir(parents=True)
    (root / "photos" / "a.png").write_bytes(b"not synth's")
    (root / "notes.txt").write_text("mine")


# The old datasets: more images, other styles (masks in a Ground Truth job's folder, clean
# twins), another layout, or shards not merged yet.
OLD_RUNS: list[dict[str, Any]] = [
    {"count": 20},
    {"count": 12, "seed": 3, "style": "ground-truth"},
    {"count": 8, "preset": "dents", "layout": "mvtec"},
    {"count": 10, "shards": 2},
]


@pytest.mark.parametrize("old", OLD_RUNS, ids=["more", "gt-job", "mvtec", "shards"])
def test_overwrite_leaves_what_a_clean_run_would(tmp_path: Path, old: dict[str, Any]) -> None:
    out, clean = tmp_path / "out", tmp_path / "clean"
    for root in (out, clean):
        _unrelated(root)
    options = {**OPTIONS, "count": old["count"], "seed": old.get("seed", OPTIONS["seed"])}
    options |= {name: old[name] for name in ("layout", "style") if name in old}
    preset = old.get("preset", "mixed")
    shards = old.get("shards")
    if shards:
        for index in range(shards):
            generate(preset, out=out, shard=Shard(index, shards), overwrite=True, **options)
    else:
        generate(preset, out=out, overwrite=True, **options)
    generate("mixed", out=out, overwrite=True, **OPTIONS)
    generate("mixed", out=clean, overwrite=True, **OPTIONS)
    assert files_of(out) == files_of(clean)
    assert not empty_folders(out)


def test_overwrite_leaves_what_a_clean_run_would_on_s3(mocked: Any) -> None:
    def put_unrelated() -> None:
        mocked.put_object(Bucket="data", Key="p/notes.txt", Body=b"mine")
        mocked.put_object(Bucket="data", Key="p/photos/a.png", Body=b"not synth's")

    def objects() -> dict[str, bytes]:
        listed = mocked.list_objects_v2(Bucket="data")["Contents"]
        found = {item["Key"]: mocked.get_object(Bucket="data", Key=item["Key"]) for item in listed}
        return {key: answer["Body"].read() for key, answer in found.items()}

    put_unrelated()
    generate("mixed", out="s3://data/p", overwrite=True, **{**OPTIONS, "count": 20})
    generate("mixed", out="s3://data/p", overwrite=True, **OPTIONS)
    overwritten = objects()
    for item in mocked.list_objects_v2(Bucket="data")["Contents"]:
        mocked.delete_object(Bucket="data", Key=item["Key"])
    put_unrelated()
    generate("mixed", out="s3://data/p", overwrite=True, **OPTIONS)
    assert overwritten == objects()


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_file_size_limit_leaves_no_object(tmp_path: Path, workers: str) -> None:
    """Images 0 and 7.. are under 16 KiB, 1-6 over: workers write some whole, one cut."""
    out = tmp_path / "out"
    (tmp_path / "tmp").mkdir()
    args = ["generate", "-p", "dents", "-n", "30", "--size", "128", "--workers", workers]
    result = subprocess.run(
        [*SYNTH, *args, "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        preexec_fn=_limited(16 << 10),
        env={**os.environ, "TMPDIR": str(tmp_path / "tmp")},
    )
    assert result.returncode == 1
    assert "cannot write (File too large)" in one_line(result.stderr)
    assert not out.exists(), files_of(out)
    assert not list((tmp_path / "tmp").iterdir())


def test_idle_spools_of_an_older_synth_are_removed(tmp_path: Path) -> None:
    """An older synth named its spools `synth-manifests-` and random letters, no run: one
    idle for two days that no process holds open goes; a recent one, or one held open, stays."""
    from synth.annotate.manifest import OLD_SPOOL_IDLE_SECONDS, sweep_spools

    old = time.time() - OLD_SPOOL_IDLE_SECONDS - 60
    names = {"synth-manifests-k2j4_x9q": False, "synth-manifests-a8d_1zz0": True}
    for name in [*names, "synth-manifests-recent01"]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "train.manifest").write_text("{}\n")
    names["synth-manifests-recent01"] = True
    for name in ("synth-manifests-k2j4_x9q", "synth-manifests-a8d_1zz0"):
        for path in (tmp_path / name / "train.manifest", tmp_path / name):
            os.utime(path, (old, old))
    with (tmp_path / "synth-manifests-a8d_1zz0" / "train.manifest").open("a"):
        sweep_spools(tmp_path)
    assert {name: (tmp_path / name).exists() for name in names} == names


def test_a_killed_run_is_finished_by_the_same_command(tmp_path: Path, reference: Path) -> None:
    """SIGKILL mid-run leaves images its journal notes: the same command again (no
    --overwrite) takes the claim, removes them and makes the dataset a clean run makes."""
    out = tmp_path / "out"
    command = ["generate", *ARGS, "-o", str(out)]
    run = start(
        ["synth.output.folder:FolderSink.put", "3", "SIGKILL", *command], tmp_path, program=INJECT
    )
    code, _ = finish(run, tmp_path, cleaned=False)
    assert code == -9
    assert list((out / "images").iterdir())  # what the killed run left, noted in its journal
    rerun = start(command, tmp_path)
    code, stderr = finish(rerun, tmp_path)
    assert code == 0, stderr
    assert files_of(out) == files_of(reference)


# The run publishes 12 files (4 manifests, 2 expected.jsonl, 4 project manifests,
# defects.jsonl, dataset.json): SIGKILL before the staging of the first, before the
# first, a middle and the last rename (the journal still notes them all), and as the run
# notes its publish (the journal is gone: the dataset is published in full).
IN_PUBLISH = "@synth.output.folder:FolderSink.publish"
KILL_POINTS = [
    ("synth.output.folder:_stage", 1),
    (f"pathlib:Path.replace{IN_PUBLISH}", 1),
    (f"pathlib:Path.replace{IN_PUBLISH}", 6),
    (f"pathlib:Path.replace{IN_PUBLISH}", 12),
    ("synth.output.signals:note_published", 1),
]


def _killed(command: list[str], point: tuple[str, int], tmp: Path) -> None:
    """`synth COMMAND`, sent SIGKILL at `point`."""
    target, nth = point
    run = start([target, str(nth), "SIGKILL", *command], tmp, program=INJECT)
    code, _ = finish(run, tmp, cleaned=False)
    assert code == -9


@pytest.mark.parametrize(
    ("mode", "point"),
    [
        # a full run killed amid its publish's renames in the fast tier; the rest are slow
        pytest.param(mode, point, marks=[] if (mode, n) == ("full", 3) else pytest.mark.slow)
        for mode in ("full", "overwrite", "shard")
        for n, point in enumerate(KILL_POINTS, 1)
    ],
)
def test_a_run_killed_in_its_publish_is_finished_by_the_same_command(
    tmp_path: Path, reference: Path, mode: str, point: tuple[str, int]
) -> None:
    """A run killed while it stages or renames its published files (a full run, an
    overwrite of an old dataset, a shard beside its sibling) is finished by the same
    command: its journal notes the published files until the last is in place, so the
    next run removes them with its objects. Killed once its journal is gone (the dataset
    is published in full), the same full run is refused as after a run that finished,
    and removes the dead run's lock."""
    out = tmp_path / "out"
    command = ["generate", *ARGS, "-o", str(out)]
    if mode == "overwrite":
        generate("dents", out=out, **{**OPTIONS, "seed": 1, "count": 6})
        command.append("--overwrite")
    if mode == "shard":  # shard 0 publishes 12 files too (the projects' parts)
        generate("mixed", out=out, shard=Shard(1, 2), **OPTIONS)
        command += ["--shard", "0/2"]
    _killed(command, point, tmp_path)
    rerun = start(command, tmp_path)
    code, stderr = finish(rerun, tmp_path)
    if point[0].endswith("note_published") and mode == "full":
        assert code == 1
        assert one_line(stderr).startswith(f"Error: {out}: the output folder is not empty")
    else:
        assert code == 0, stderr
        assert "Error" not in stderr
    if mode == "shard":
        merge(out)
    assert files_of(out) == files_of(reference)


RELEASE = ("pathlib:Path.unlink@synth.output.folder:FolderSink.close", 2)  # the lock's


@pytest.mark.parametrize(
    "point",
    [
        (DELETE := "synth.output.folder:FolderSink.delete", 1),
        pytest.param((DELETE, 9), marks=pytest.mark.slow),
        (DELETE, 17),
        RELEASE,
    ],
)
def test_a_merge_killed_removing_the_parts_is_finished_by_the_same_command(
    tmp_path: Path, reference: Path, point: tuple[str, int]
) -> None:
    """A merge killed once it published, as it removes the shards' parts and summaries
    (17 of them), is finished by `synth merge` again: it removes what is left, says so
    and exits 0; the output is a clean merge's. Killed as it gives its claim up (every
    shard file removed), the same merge finds its dead claim and exits 0 too, saying
    nothing was left to do."""
    out = tmp_path / "out"
    for index in range(2):
        generate("mixed", out=out, shard=Shard(index, 2), **OPTIONS)
    shards = [path for path in (out / "shards").rglob("*") if path.is_file()]
    _killed(["merge", str(out)], point, tmp_path)
    assert (out / "dataset.json").exists()
    assert (out / ".synth-lock").exists()
    rerun = start(["merge", str(out)], tmp_path)
    code, stderr = finish(rerun, tmp_path)
    assert code == 0, stderr
    if point == RELEASE:
        assert not (out / "shards").exists()
        said = "holds the dataset a stopped run published in full; no shard was left to merge"
    else:
        left = len(shards) - point[1] + 1
        said = (
            "was merged by a run stopped before it removed the shards; "
            f"removed the {left} shard file{'s' * (left > 1)} it left"
        )
    assert one_line(stderr) == f"note: {out}: {said}"
    assert files_of(out) == files_of(reference)


def test_a_merge_stopped_removing_the_parts_is_finished_on_s3(mocked: Any) -> None:
    """On S3 too: a merged prefix still holding some of its shards' objects (a merge
    killed as it deleted them) is finished by merging again, to a clean merge's objects."""

    def objects() -> dict[str, bytes]:
        listed = mocked.list_objects_v2(Bucket="data").get("Contents", [])
        return {
            item["Key"]: mocked.get_object(Bucket="data", Key=item["Key"])["Body"].read()
            for item in listed
        }

    for index in range(2):
        generate("mixed", out="s3://data/p", shard=Shard(index, 2), **OPTIONS)
    shards = {key: body for key, body in objects().items() if key.startswith("p/shards/")}
    merge("s3://data/p")
    merged = objects()
    for key in sorted(shards)[::2]:  # what a merge killed midway had yet to delete
        mocked.put_object(Bucket="data", Key=key, Body=shards[key])
    dataset = merge("s3://data/p")
    assert dataset.note == (
        f"{dataset.location}: was merged by a run stopped before it removed the shards; "
        f"removed the {len(sorted(shards)[::2])} shard files it left"
    )
    assert objects() == merged


def test_a_run_killed_as_it_probes_its_output_is_finished_by_the_same_command(
    tmp_path: Path, reference: Path
) -> None:
    """The file a run writes to see that its folder takes files (`.synth-write-probe`),
    left by a SIGKILL before its removal, is no file of the output: the same command
    again writes the dataset (it called the folder not empty)."""
    out = tmp_path / "out"
    command = ["generate", *ARGS, "-o", str(out)]
    _killed(command, ("pathlib:Path.unlink", 1), tmp_path)
    assert [path.name for path in out.iterdir()] == [".synth-write-probe"]
    code, stderr = finish(start(command, tmp_path), tmp_path)
    assert code == 0, stderr
    assert files_of(out) == files_of(reference)


def _files(root: Path) -> dict[str, bytes]:
    return files_of(root) if root.exists() else {}


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
@pytest.mark.parametrize("command", ["generate", "merge"])
def test_sigkill_at_every_rename_and_unlink(tmp_path: Path, command: str) -> None:
    """SIGKILL at each rename and each unlink the run makes (strace counts them), then the
    same command again: the output is a clean run's, byte for byte, nothing beside it (no
    staged file, journal or lock). A generate killed past its commit finds its dataset
    published and is refused as after a run that finished. (The tests above stop the run
    at named points without strace.)"""
    args = ["-p", "dents", "-n", "3", "--size", "64", "--seed", "3"]
    clean, out, shards = tmp_path / "clean", tmp_path / "out", tmp_path / "shards"
    assert synth_here("generate", *args, "-o", str(clean)).returncode == 0
    for index in range(2):
        made = synth_here("generate", *args, "-o", str(shards), "--shard", f"{index}/2")
        assert made.returncode == 0, made.stderr
    run = [*SYNTH, "merge", str(out)]
    if command == "generate":
        run = [*SYNTH, "generate", *args, "-o", str(out)]
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    for call in ("rename", "unlink"):
        for when in range(1, 200):
            shutil.rmtree(out, ignore_errors=True)
            if command == "merge":
                shutil.copytree(shards, out)
            inject = f"inject={call}:signal=KILL:when={when}"
            killed = subprocess.run(
                ["strace", "-f", "-o", "/dev/null", "-e", inject, *run],
                capture_output=True,
                env=env,
                check=False,
            )
            if killed.returncode == 0:  # the run makes fewer such calls: all were seen
                assert _files(out) == files_of(clean), (call, when)
                break
            again = subprocess.run(run, capture_output=True, text=True, env=env, check=False)
            refused = command == "generate" and "the output folder is not empty" in again.stderr
            assert again.returncode == 0 or refused, (call, when, again.stderr)
            assert _files(out) == files_of(clean), (call, when)
        else:
            pytest.fail(f"the run makes over 200 {call} calls")
