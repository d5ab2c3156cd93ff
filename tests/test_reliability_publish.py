"""Publishing, overwrite, claims and shards: a failing write at any point, a second run."""

from __future__ import annotations

import errno
import shutil
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from synth.errors import OutputError
from synth.output import folder
from synth.output.layout import Shard
from synth.run.generate import generate
from synth.run.merge import merge
from tests.helpers import files_of
from tests.invariants import assert_whole_or_nothing, published_manifests

OPTIONS = {"count": 6, "width": 64, "height": 64, "seed": 7, "broken_fraction": 0.5}
# mixed has a test split and broken manifests: 4 manifests, expected.jsonl, dataset.json.
PUBLISHED = 6


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reference")
    generate("mixed", out=root, **OPTIONS)
    return root


def _fail_at(
    monkeypatch: pytest.MonkeyPatch, at: int, error: int, staged_only: bool = True
) -> None:
    """Make the AT-th file write fail as a full disk or a too-large file would.

    `staged_only`: count only the writes of files being published (manifests and
    dataset.json, staged as .partial); else every file write (objects first).
    """
    calls = {"n": 0}

    def wrap(real: Any) -> Any:
        def failing(*args: Any, **kwargs: Any) -> Any:
            destination = str(args[-1] if real is real_copy else args[0])
            if not staged_only or destination.endswith(".partial"):
                calls["n"] += 1
                if calls["n"] == at:
                    raise OSError(error, "injected", destination)
            return real(*args, **kwargs)

        return failing

    real_copy, real_write = shutil.copyfile, Path.write_bytes
    monkeypatch.setattr(shutil, "copyfile", wrap(real_copy))
    monkeypatch.setattr(Path, "write_bytes", wrap(real_write))


@pytest.mark.parametrize("at", range(1, PUBLISHED + 1))
@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EFBIG])
def test_a_failing_publish_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Path, at: int, error: int
) -> None:
    _fail_at(monkeypatch, at, error)
    with pytest.raises(OutputError, match="nothing was published"):
        generate("mixed", out=tmp_path, **OPTIONS)
    assert not assert_whole_or_nothing(tmp_path, reference)


def test_publish_succeeds_whole(tmp_path: Path, reference: Path) -> None:
    generate("mixed", out=tmp_path, **OPTIONS)
    assert assert_whole_or_nothing(tmp_path, reference)
    assert len(published_manifests(tmp_path)) == PUBLISHED - 2


def test_overwrite_unpublishes_before_the_first_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Path
) -> None:
    shutil.copytree(reference, tmp_path, dirs_exist_ok=True)
    # The new run has no test split and no broken manifests, and fails at its first object.
    _fail_at(monkeypatch, 2, errno.ENOSPC, staged_only=False)  # 1 is the write probe
    with pytest.raises(OutputError):
        generate("dents", out=tmp_path, overwrite=True, count=3, width=64, height=64)
    assert not assert_whole_or_nothing(tmp_path)


def test_overwrite_leaves_no_stale_manifest(tmp_path: Path, reference: Path) -> None:
    shutil.copytree(reference, tmp_path, dirs_exist_ok=True)
    generate("dents", out=tmp_path, overwrite=True, count=3, width=64, height=64, test_fraction=0)
    assert assert_whole_or_nothing(tmp_path)
    assert [p.name for p in published_manifests(tmp_path)] == ["train.manifest"]
    assert not (tmp_path / "broken" / "expected.jsonl").exists()


def test_a_second_concurrent_run_is_refused(tmp_path: Path) -> None:
    """Run A holds the folder (paused inside its first put) while run B tries to start."""
    holding, release = threading.Event(), threading.Event()
    real = folder.FolderSink.put
    errors: list[BaseException] = []

    def paused(self: folder.FolderSink, key: str, data: bytes, content_type: str) -> None:
        if threading.current_thread().name == "run-a" and not holding.is_set():
            holding.set()
            assert release.wait(60)
        real(self, key, data, content_type)

    def run_a() -> None:
        try:
            generate("dents", out=tmp_path, count=3, width=64, height=64)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    folder.FolderSink.put = paused  # type: ignore[method-assign]
    try:
        thread = threading.Thread(target=run_a, name="run-a")
        thread.start()
        assert holding.wait(60)
        for overwrite in (False, True):
            with pytest.raises(OutputError, match=r"another synth run .* is writing here"):
                generate("mixed", out=tmp_path, overwrite=overwrite, count=3, width=64, height=64)
        release.set()
        thread.join(60)
    finally:
        release.set()
        folder.FolderSink.put = real  # type: ignore[method-assign]
    assert not errors
    assert assert_whole_or_nothing(tmp_path)
    assert (tmp_path / "dataset.json").read_text().count('"dents"') == 1


def test_a_stale_claim_is_taken_over(tmp_path: Path) -> None:
    (tmp_path / ".synth-lock").write_text(f"{socket.gethostname()} 999999999\n")
    generate("dents", out=tmp_path, count=2, width=64, height=64)
    assert assert_whole_or_nothing(tmp_path)


def test_a_shard_of_another_preset_is_refused(tmp_path: Path, reference: Path) -> None:
    shutil.copytree(reference, tmp_path, dirs_exist_ok=True)
    before = {p: p.read_bytes() for p in published_manifests(tmp_path)}
    with pytest.raises(OutputError, match="holds a finished dataset; pass overwrite=True"):
        generate("dents", out=tmp_path, shard=Shard(0, 2), **OPTIONS)
    assert {p: p.read_bytes() for p in published_manifests(tmp_path)} == before


def test_shards_of_different_runs_are_refused(tmp_path: Path) -> None:
    generate("mixed", out=tmp_path, shard=Shard(0, 2), **OPTIONS)
    with pytest.raises(OutputError, match="holds shards of another run"):
        generate("mixed", out=tmp_path, shard=Shard(1, 2), compress_level=1, **OPTIONS)
    with pytest.raises(OutputError, match="holds shards of another run"):
        generate("dents", out=tmp_path, shard=Shard(1, 2), **OPTIONS)


def _objects_fail_at(monkeypatch: pytest.MonkeyPatch, at: int, error: int) -> None:
    """Make the AT-th object write stop partway, as a full disk or a file size limit does:
    half its bytes written, then the error."""
    calls = {"n": 0}
    real = folder._write

    def failing(path: Path, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == at:
            real(path, data[: len(data) // 2])
            raise OSError(error, "injected", str(path))
        real(path, data)

    monkeypatch.setattr(folder, "_write", failing)


# Objects of the run below: 6 images, their masks, clean and broken twins.
OBJECT_WRITES = [1, 2, 7, 15]


@pytest.mark.parametrize("at", OBJECT_WRITES)
@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EFBIG])
def test_a_failed_run_leaves_nothing_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at: int, error: int
) -> None:
    out = tmp_path / "out"
    _objects_fail_at(monkeypatch, at, error)
    with pytest.raises(OutputError, match="cannot write"):
        generate("mixed", out=out, **OPTIONS)
    assert not out.exists(), files_of(out)  # nothing half-written, nothing whole either


@pytest.mark.parametrize("at", OBJECT_WRITES)
def test_a_failed_overwrite_keeps_only_unrelated_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Path, at: int
) -> None:
    shutil.copytree(reference, tmp_path / "out")
    (tmp_path / "out" / "notes.txt").write_text("mine")
    _objects_fail_at(monkeypatch, at, errno.ENOSPC)
    with pytest.raises(OutputError, match="cannot write"):
        generate("mixed", out=tmp_path / "out", overwrite=True, **OPTIONS)
    assert files_of(tmp_path / "out") == {"notes.txt": b"mine"}


@pytest.mark.parametrize("at", [1, 2, 5])  # a shard's: 3 images
def test_a_failed_shard_removes_its_own_files_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Path, at: int
) -> None:
    generate("mixed", out=tmp_path, shard=Shard(0, 2), **OPTIONS)
    before = files_of(tmp_path)
    with monkeypatch.context() as patched:
        _objects_fail_at(patched, at, errno.ENOSPC)
        with pytest.raises(OutputError, match="cannot write"):
            generate("mixed", out=tmp_path, shard=Shard(1, 2), **OPTIONS)
    assert files_of(tmp_path) == before
    generate("mixed", out=tmp_path, shard=Shard(1, 2), **OPTIONS)
    merge(tmp_path)
    assert files_of(tmp_path) == files_of(reference)
