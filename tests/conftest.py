"""Shared test helpers: small datasets, built once per session where they are only read."""

from __future__ import annotations

from pathlib import Path

import pytest

from synth.run.generate import Dataset, generate

SMALL = {"count": 8, "width": 96, "height": 80}


@pytest.fixture(scope="session")
def mixed_dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return generate("mixed", out=tmp_path_factory.mktemp("mixed"), seed=3, **SMALL)


def files_of(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }
