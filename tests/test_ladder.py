"""An image over the size limit climbs the levels one rung at a time, only as far as it must."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from synth.errors import OutputError
from synth.imaging import encode
from synth.imaging.render import to_uint8
from synth.imaging.textures import render_base
from synth.run.generate import generate


@pytest.fixture(scope="module")
def grainy() -> np.ndarray:
    return to_uint8(render_base("cast-metal", 160, 200, np.random.default_rng(3)))


@pytest.mark.parametrize("rung", encode.LADDER)
def test_the_first_rung_that_fits_is_the_one_written(
    grainy: np.ndarray, rung: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = encode.DEFAULT_COMPRESS_LEVEL
    sizes = {level: len(encode.encode_png(grainy, level)) for level in (first, *encode.LADDER)}
    below = [level for level in sizes if level < rung]
    if sizes[rung] >= min(sizes[level] for level in below):
        pytest.skip(f"level {rung} is no smaller here than a lower one")
    monkeypatch.setattr(encode, "MAX_IMAGE_BYTES", sizes[rung])
    assert encode.encode_valid_image(grainy, "png", first) == encode.encode_png(grainy, rung)


def test_over_the_top_rung_is_refused(grainy: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encode, "MAX_IMAGE_BYTES", 1000)
    with pytest.raises(OutputError, match="over the 1,000-byte limit"):
        encode.encode_valid_image(grainy, "png", 4)


@pytest.mark.slow
def test_a_base_image_that_cannot_fit_is_one_line_before_anything_is_written(
    tmp_path: Path,
) -> None:
    """Noise does not deflate: at 1700 px its images are over 8 MB even at the top rung,
    and the run says so naming the photo before it writes a file."""
    bases = tmp_path / "bases"
    bases.mkdir()
    noise = np.random.default_rng(0).integers(0, 256, (1700, 1700, 3), dtype=np.uint8)
    Image.fromarray(noise).save(bases / "static.png")
    out = tmp_path / "out"
    with pytest.raises(OutputError, match=r"base image .*static\.png: a 1700x1700 png image"):
        generate("dents", out=out, count=2, width=1700, height=1700, base_dir=bases)
    assert not out.exists() or not any(out.rglob("*.png"))
