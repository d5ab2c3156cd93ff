"""The console style's masks and dates, against readers that share no code with synth."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from synth.annotate.masks import console_mask
from synth.annotate.records import _mask_date
from synth.config.styles import STYLES

PALETTE = ["#ffffff", "#23a436", "#1f77b4", "#d62728"]


@given(
    arrays(np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 40)), elements=st.integers(0, 3))
)
def test_a_console_mask_read_as_the_service_reads_it_is_the_labels(labels: np.ndarray) -> None:
    """Pillow's RGBA reading: alpha 0 exactly where the label is background, elsewhere the
    class's color at some alpha; the palette as long as its entries, index 0 transparent black."""
    data = console_mask(labels, PALETTE, 4)
    with Image.open(io.BytesIO(data)) as mask:
        assert mask.mode == "P"
        entries = len(mask.getpalette() or []) // 3
        assert len(mask.info["transparency"]) == entries
        assert mask.getpalette()[:3] == [0, 0, 0]
        assert mask.info["transparency"][0] == 0
        rgba = np.asarray(mask.convert("RGBA"))
    assert np.array_equal(rgba[..., 3] == 0, labels == 0)
    colors = np.array([list(bytes.fromhex(c[1:])) for c in PALETTE], np.uint8)
    visible = labels > 0
    assert np.array_equal(rgba[..., :3][visible], colors[labels[visible]])


def test_console_masks_fade_along_their_edges() -> None:
    labels = np.zeros((64, 64), np.uint8)
    labels[16:48, 16:48] = 1
    with Image.open(io.BytesIO(console_mask(labels, PALETTE[:2], 4))) as mask:
        alpha = np.asarray(mask.convert("RGBA"))[..., 3]
    assert alpha[32, 32] == 255  # inside
    assert 0 < alpha[16, 16] < alpha[16, 32] < 255  # a corner fades more than an edge
    assert len(np.unique(alpha[labels == 1])) > 5  # anti-aliased, not two-level


def test_console_mask_dates_are_us_pacific_javascript_dates() -> None:
    """Against the tz database: every 97 minutes over the years synth draws dates in, and
    each minute of the hours around each daylight-saving change."""
    zoneinfo = pytest.importorskip("zoneinfo")
    try:
        zone = zoneinfo.ZoneInfo("America/Los_Angeles")
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip("no tz database here")
    names = {"PDT": "Pacific Daylight Time", "PST": "Pacific Standard Time"}
    start = datetime(2021, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(minutes=97 * n) for n in range(5 * 365 * 24 * 60 // 97)]
    changes = [
        m
        for m, after in itertools.pairwise(moments)
        if m.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset()
    ]
    moments += [m + timedelta(minutes=k) for m in changes for k in range(-120, 240)]
    assert len(changes) == 10  # two a year
    for moment in moments:
        local = moment.astimezone(zone)
        expected = local.strftime("%a %b %d %Y %H:%M:%S GMT%z (") + names[local.tzname()] + ")"
        assert _mask_date(STYLES["console"], moment) == expected, moment


def test_a_console_mask_has_as_many_alpha_levels_as_its_palette_holds() -> None:
    """The cookie dataset's one-class masks hold about 245 alpha levels along their edges:
    a one-class mask here has 245 palette entries after the background, and a round
    region's edge takes well over a hundred of them (a 5-pixel box gave 25 at most)."""
    y, x = np.mgrid[:256, :256]
    labels = ((y - 128) ** 2 + (x - 120) ** 2 < 90**2).astype(np.uint8)
    with Image.open(io.BytesIO(console_mask(labels, PALETTE[:2], 4))) as mask:
        assert len(mask.getpalette() or []) // 3 == 1 + 245
        alpha = np.asarray(mask.convert("RGBA"))[..., 3]
    assert len(np.unique(alpha[labels == 1])) > 100
    assert (alpha[labels == 0] == 0).all()
