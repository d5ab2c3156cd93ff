"""The dask executor: a LocalCluster makes the same bytes as local processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from synth.errors import SynthError
from synth.run.generate import generate
from tests.helpers import files_of

distributed = pytest.importorskip("dask.distributed")
# A LocalCluster of worker processes, and a scheduler left to time out: the slower tier.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


@pytest.mark.parametrize("style", ["synth", "ground-truth"])
def test_dask_output_is_byte_identical(scheduler: str, style: str, tmp_path: Path) -> None:
    options = {"count": 6, "width": 64, "height": 64, "seed": 8, "broken_fraction": 0.5}
    options["style"] = style
    generate("mixed", out=tmp_path / "local", **options)
    generate("mixed", out=tmp_path / "dask", scheduler=scheduler, **options)
    assert files_of(tmp_path / "dask") == files_of(tmp_path / "local")


def test_unreachable_scheduler_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(
        SynthError, match=r"cannot reach the dask scheduler at tcp://127\.0\.0\.1:9"
    ):
        generate("dents", out=tmp_path, count=1, width=64, height=64, scheduler="tcp://127.0.0.1:9")
