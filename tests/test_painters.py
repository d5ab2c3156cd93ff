"""Painters and base images: properties that hold for any seed and image size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from scipy import ndimage

from synth.cli import cli
from synth.config.preset import DEFAULT_TEXTURES
from synth.errors import InputError
from synth.imaging.defects import PAINTERS, base, resolve_params
from synth.imaging.gallery import write_gallery
from synth.imaging.listing import textures_markdown
from synth.imaging.textures import TEXTURES, load_base, render_base
from tests.helpers import examples_to_see_each

SIDES = st.integers(64, 200)
SEEDS = st.integers(0, 2**32 - 1)


def _surface(height: int, width: int, seed: int, texture: str = "painted") -> np.ndarray:
    return render_base(texture, height, width, np.random.default_rng(seed))


# Examples enough to draw each test's kinds of input at least once but with chance 1%
# (examples_to_see_each), from the rarest kind's rate in 3,000 random draws of the test's
# own strategy (sampled_from favours its first elements).


# Every registered painter (a plugin's too) and every registered texture (24 kinds); the
# rarest, a texture, 187 of 3,000.
@settings(
    max_examples=examples_to_see_each(len(PAINTERS) + len(TEXTURES), 187 / 3000), deadline=None
)
@given(
    name=st.sampled_from(sorted(PAINTERS)),
    texture=st.sampled_from(sorted(TEXTURES)),
    height=SIDES,
    width=SIDES,
    seed=SEEDS,
)
def test_painter_properties(name: str, texture: str, height: int, width: int, seed: int) -> None:
    painter = PAINTERS[name]
    image = _surface(height, width, seed, texture)
    before = image.copy()
    painted = painter(image, np.random.default_rng(seed), resolve_params(painter, {}))
    assert np.array_equal(image, before), "the input image was modified"
    assert painted.mask.dtype == bool
    assert painted.patch.dtype == np.float32
    assert painted.patch.shape == image[painted.box].shape
    assert painted.mask.shape == painted.patch.shape[:2]
    # Applied to a copy, the defect is judged on the whole image against the original.
    result = image.copy()
    painted.paint(result)
    mask = painted.full_mask(image.shape)
    assert mask.shape == (height, width)
    assert mask.any(), "the mask is empty"
    assert result.min() >= 0.0
    assert result.max() <= 1.0
    # The anti-aliasing band: beyond `band` px of the labeled pixels nothing changed.
    far = ndimage.distance_transform_edt(~mask) > painted.band
    assert np.array_equal(result[far], image[far])
    # And the defect shows: a labeled pixel moved by what Painted.visible counts as seen.
    assert np.abs(result[mask] - image[mask]).max() * 255 >= base.VISIBLE_LEVELS


@settings(max_examples=examples_to_see_each(len(PAINTERS), 285 / 3000), deadline=None)
@given(name=st.sampled_from(sorted(PAINTERS)), seed=SEEDS)
def test_painters_are_deterministic(name: str, seed: int) -> None:
    painter = PAINTERS[name]
    image = _surface(80, 96, 1)
    params = resolve_params(painter, {})
    one = painter(image, np.random.default_rng(seed), params)
    two = painter(image, np.random.default_rng(seed), params)
    assert one.box == two.box
    assert np.array_equal(one.patch, two.patch)
    assert np.array_equal(one.mask, two.mask)


@settings(max_examples=examples_to_see_each(len(PAINTERS), 242 / 3000), deadline=None)
@given(
    name=st.sampled_from(sorted(PAINTERS)),
    height=SIDES,
    width=SIDES,
    seed=SEEDS,
    data=st.data(),
)
def test_painters_give_the_same_defect_in_any_strip_height(
    name: str, height: int, width: int, seed: int, data: st.DataObject
) -> None:
    """Painters work a strip of rows at a time (memory at 4096 px): 8-row strips, whose
    filters and slopes read rows of the next strips, paint what one strip does, for any
    parameter values allowed (the widest blur needs the most rows of its neighbours); and
    whatever the values, nothing changes farther than `band` px from the labeled pixels."""
    painter = PAINTERS[name]
    image = _surface(height, width, seed)
    params = {}
    for param, spec in painter.params.items():
        value = data.draw(st.floats(spec.minimum, spec.maximum), label=param)
        params[param] = (value, value)
    painted = {}
    for pixels in (1, 1 << 30):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(base, "STRIP_PIXELS", pixels)
            painted[pixels] = painter(image, np.random.default_rng(seed), params)
    thin, whole = painted.values()
    assert thin.box == whole.box
    assert np.array_equal(thin.patch, whole.patch)
    assert np.array_equal(thin.mask, whole.mask)
    assert whole.mask.any()
    far = ndimage.distance_transform_edt(~whole.mask) > whole.band
    assert np.array_equal(whole.patch[far], image[whole.box][far])


@settings(max_examples=examples_to_see_each(5 + 2, 548 / 3000), deadline=None)  # density 0.0
@given(
    height=st.integers(1, 40),
    width=st.integers(1, 40),
    density=st.sampled_from([0.0, 0.002, 0.02, 0.2, 0.9]),
    band=st.integers(0, 45),
    strip=st.sampled_from([1, 1 << 30]),
    seed=SEEDS,
)
def test_keep_far_is_the_euclidean_band(
    height: int, width: int, density: float, band: int, strip: int, seed: int
) -> None:
    """Pixels farther than `band` from the mask take the old values, the others keep the
    new: what scipy's exact distance transform says, in any strip height."""
    rng = np.random.default_rng(seed)
    mask = rng.random((height, width)) < density
    new, old = rng.random((2, height, width, 3), dtype=np.float32)
    kept = new.copy()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(base, "STRIP_PIXELS", strip)
        base.keep_far(kept, old, mask, band)
    near = ndimage.distance_transform_edt(~mask) <= band if mask.any() else np.zeros_like(mask)
    assert np.array_equal(kept, np.where(near[..., None], new, old))


@settings(max_examples=examples_to_see_each(4 + 2, 723 / 3000), deadline=None)  # density 0.05
@given(
    height=st.integers(1, 40),
    width=st.integers(1, 40),
    density=st.sampled_from([0.05, 0.3, 0.6, 0.9]),
    grow=st.booleans(),
    seed=SEEDS,
)
def test_fill_holes_is_scipys(
    height: int, width: int, density: float, grow: bool, seed: int
) -> None:
    """Holes, 4-connected background at the edges, a box one pixel wide: what
    ndimage.binary_fill_holes fills, pixel for pixel."""
    mask = np.random.default_rng(seed).random((height, width)) < density
    if grow:  # rings and blobs, which enclose larger holes
        mask = ndimage.binary_dilation(mask)
    assert np.array_equal(base.fill_holes(mask), ndimage.binary_fill_holes(mask))


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"size": [1, 2]}, "unknown parameter 'size'"),
        ({"width": 3}, r"width: must be \[low, high\]"),
        ({"width": [4, 2]}, "low 4.0 is above high 2.0"),
        ({"width": [0.1, 2]}, r"outside \[1.5, 24.0\]"),
        ({"width": [float("nan"), 2]}, r"width: \[nan, 2.0\] holds nan"),
        ({"width": [2, float("nan")]}, r"width: \[2.0, nan\] holds nan"),
    ],
)
def test_resolve_params_errors(given: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve_params(PAINTERS["scratch"], given)


@settings(max_examples=examples_to_see_each(len(TEXTURES), 166 / 3000), deadline=None)
@given(texture=st.sampled_from(sorted(TEXTURES)), height=SIDES, width=SIDES, seed=SEEDS)
def test_textures_render_any_size(texture: str, height: int, width: int, seed: int) -> None:
    image = render_base(texture, height, width, np.random.default_rng(seed))
    assert image.shape == (height, width, 3)
    assert image.dtype == np.float32
    assert image.min() >= 0.0
    assert image.max() <= 1.0
    again = render_base(texture, height, width, np.random.default_rng(seed))
    assert np.array_equal(image, again)
    other = render_base(texture, height, width, np.random.default_rng(seed + 1))
    assert not np.array_equal(image, other)


def test_load_base_crops_a_users_image(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    Image.fromarray(np.full((50, 300, 3), 90, np.uint8)).save(path)
    image = load_base(path, 64, 80, np.random.default_rng(0))
    assert image.shape == (64, 80, 3)
    assert np.allclose(image, 90 / 255, atol=0.02)


def test_load_base_names_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.png"
    path.write_bytes(b"\x89PNG not really")
    with pytest.raises(InputError, match=r"broken\.png: not an image"):
        load_base(path, 64, 64, np.random.default_rng(0))


def test_cli_lists_every_registered_painter_and_texture() -> None:
    painters = CliRunner().invoke(cli, ["painters"])
    assert painters.exit_code == 0, painters.output
    for name, painter in PAINTERS.items():
        assert f"\n{name}: " in f"\n{painters.output}"
        for param in painter.params:
            assert f"    {param} [" in painters.output
    textures = CliRunner().invoke(cli, ["textures", "--markdown"])
    assert textures.exit_code == 0
    assert textures.output.strip() == textures_markdown()


@settings(max_examples=examples_to_see_each(len(PAINTERS), 278 / 3000), deadline=None)
@given(name=st.sampled_from(sorted(PAINTERS)), seed=SEEDS, data=st.data())
def test_get_params_draws_each_parameter_within_its_range(
    name: str, seed: int, data: st.DataObject
) -> None:
    painter = PAINTERS[name]
    ranges = {}
    for param, spec in painter.params.items():
        low = data.draw(st.floats(spec.minimum, spec.maximum), label=param)
        ranges[param] = (low, data.draw(st.floats(low, spec.maximum), label=f"{param} high"))
    drawn = painter.get_params(np.random.default_rng(seed), ranges)
    assert list(drawn) == list(painter.params)
    for param, value in drawn.items():
        assert ranges[param][0] <= value <= ranges[param][1]


def test_every_painters_gallery_surfaces_are_textures_and_defaults_resolve() -> None:
    for name, painter in PAINTERS.items():
        assert set(painter.surfaces) <= set(TEXTURES), name
        assert set(resolve_params(painter, {})) == set(painter.params)


def test_a_painter_is_declared_in_its_class_line_and_checked_there() -> None:
    """`name` and `surfaces` come from the class line (or, as before, class attributes);
    a painter without a name or params is refused where it is written."""

    class Blister(base.Painter, name="blister", surfaces=("plastic", "pcb")):
        """A dome of lifted coating."""

        params = base.declare(
            radius=base.size((0.02, 0.05), within=(0.005, 0.3), doc="size"),
            height=base.share((0.3, 0.8), doc="how far the coating is lifted"),
        )

        def apply(self, image: np.ndarray, params: base.Params, rng: base.Rng) -> base.Painted:
            return PAINTERS["pit"].apply(image, {"radius": params["radius"], "depth": 1.0}, rng)

    class Older(Blister):
        name = "older"

    assert (Blister.name, Blister.surfaces, Older.name) == ("blister", ("plastic", "pcb"), "older")
    assert Blister.params["height"] == base.ParamRange(
        (0.3, 0.8), 0.0, 1.0, "0..1", "how far the coating is lifted"
    )
    painted = Blister()(
        _surface(64, 64, 1), np.random.default_rng(2), resolve_params(Blister(), {})
    )
    assert painted.mask.any()
    with pytest.raises(
        TypeError, match=r"painter Nameless has no name: write `class Nameless\(base.Painter, name="
    ):

        class Nameless(base.Painter):
            params = base.declare()

            def apply(self, image: np.ndarray, params: base.Params, rng: base.Rng) -> base.Painted:
                raise NotImplementedError

    with pytest.raises(TypeError, match=r"a parameter in 'px' needs its bounds"):
        base.px((1.0, 2.0), doc="no bounds")


def test_builtin_defaults_are_industrial_surfaces() -> None:
    assert {"grass", "gravel"} <= set(TEXTURES)
    assert not {"grass", "gravel"} & set(DEFAULT_TEXTURES)
    assert set(DEFAULT_TEXTURES) <= set(TEXTURES)  # names declared apart from the textures


@settings(max_examples=15, deadline=None)
@given(seed=SEEDS)
def test_corrosion_oxidation_sets_the_rust_colour(seed: int) -> None:
    """Fresh rust (oxidation 0) is brighter and redder than old oxide (oxidation 1)."""
    painter = PAINTERS["corrosion"]
    image = _surface(160, 160, 7, "machined-metal")

    def crust(oxidation: float) -> np.ndarray:
        ranges = resolve_params(painter, {"oxidation": [oxidation, oxidation]})
        painted = painter(image, np.random.default_rng(seed), ranges)
        return painted.patch[painted.mask].mean(axis=0)

    fresh, old = crust(0.0), crust(1.0)
    assert fresh.sum() > old.sum()
    assert fresh[0] - fresh[2] > old[0] - old[2]


@settings(max_examples=15, deadline=None)
@given(seed=SEEDS)
def test_crack_width_and_branching_grow_its_mask(seed: int) -> None:
    painter = PAINTERS["crack"]
    image = _surface(200, 200, 3, "ceramic-tile")

    def area(width: float, branching: float) -> int:
        ranges = resolve_params(
            painter, {"width": [width, width], "branching": [branching, branching]}
        )
        return int(painter(image, np.random.default_rng(seed), ranges).mask.sum())

    assert area(4.0, 0.0) > area(1.0, 0.0)
    assert area(1.0, 1.0) >= area(1.0, 0.0)


def test_gallery_writes_one_readable_png_per_painter(tmp_path: Path) -> None:
    written = write_gallery(tmp_path, size=128)
    assert [p.stem for p in written] == list(PAINTERS)
    for path in written:
        with Image.open(path) as row:
            assert row.mode == "RGB"
            assert row.width > 2 * row.height  # two surfaces, each image beside its mask


def test_the_committed_gallery_has_a_small_png_per_painter() -> None:
    root = Path(__file__).parents[1]
    total = 0
    for name in PAINTERS:
        path = root / "docs" / "gallery" / f"{name}.png"
        with Image.open(path) as row:
            row.verify()
        total += path.stat().st_size
        assert path.stat().st_size < 150_000, path
    assert total < 2_000_000


def test_a_scratch_bowing_off_a_small_image_still_labels_a_pixel() -> None:
    # Found by Hypothesis: the scratch (the 4th class, the one drawn) bowed away from its
    # chord's middle and its thin stroke covered no pixel centre; the mask was empty.
    from synth.config.preset import DefectClass
    from synth.imaging.render import render
    from synth.plan import ImageSpec
    from synth.testing.cases import preset_of

    colors = {"chip": "#535adc", "pit": "#423baf", "crack": "#3113c2", "scratch": "#b48f4c"}
    classes = tuple(
        DefectClass(name, color, name, (1, 1), resolve_params(PAINTERS[name], {}))
        for name, color in colors.items()
    )
    preset = preset_of(classes, 96, 64, "synth-dataset")
    labels = render(preset, ImageSpec(0, "train", True), 2638938434).labels
    assert set(np.unique(labels).tolist()) == {0, 4}


@given(
    facing=st.lists(st.floats(-0.5, 1.5, width=32), min_size=1, max_size=40),
    flat_at=st.lists(st.integers(0, 39), max_size=10),
    light=st.tuples(st.floats(0.05, 1.0), st.floats(0.0, 1.0), st.floats(0.1, 1.0)),
    gloss=st.floats(0.0, 1.0),
)
def test_the_glint_is_the_power_of_every_pixel_bit_for_bit(
    facing: list[float], flat_at: list[int], light: tuple[float, float, float], gloss: float
) -> None:
    """Powers taken only above the flat cosine give what powers of every pixel give."""
    half = np.array(light, np.float32)
    half /= np.linalg.norm(half)
    flat = half[2]
    x = np.array(facing, np.float32)
    x[[i for i in flat_at if i < x.size]] = flat  # flat pixels: exactly the flat cosine
    every = np.clip(x, 0.0, 1.0) ** 40 - flat**40
    np.clip(every, 0.0, None, out=every)
    every *= np.float32(gloss)
    assert np.array_equal(base._glint(x.copy(), flat, gloss), every)


@given(
    height=st.integers(1, 30),
    width=st.integers(1, 30),
    op=st.sampled_from([np.multiply, np.add, np.subtract]),
    dtypes=st.sampled_from([(np.float32, np.float32), (np.float32, np.float64)]),
    seed=SEEDS,
)
def test_channel_at_a_time_is_numpys_broadcast_bit_for_bit(
    height: int, width: int, op: np.ufunc, dtypes: tuple[type, type], seed: int
) -> None:
    """each_channel, outer and revert give what numpy's broadcast over the last axis gives,
    value and dtype, in place or not."""
    rng = np.random.default_rng(seed)
    planes = (rng.standard_normal((height, width, 3)) * 3).astype(dtypes[0])
    plane = (rng.standard_normal((height, width)) * 3).astype(dtypes[1])
    color = rng.random(3).astype(dtypes[1])
    expected = op(planes, plane[..., None])
    made = base.each_channel(op, planes, plane)
    assert made.dtype == expected.dtype
    assert np.array_equal(made, expected)
    if expected.dtype == planes.dtype:
        in_place = planes.copy()
        base.each_channel(op, in_place, plane, out=in_place)
        assert np.array_equal(in_place, expected)
    product = base.outer(plane, color)
    assert product.dtype == (color * plane[..., None]).dtype
    assert np.array_equal(product, color * plane[..., None])
    where = rng.random((height, width)) < 0.5
    old = rng.random((height, width, 3)).astype(dtypes[1])  # float64: copied per channel
    kept = planes.copy()
    base.revert(kept, old, where)
    assert np.array_equal(kept, np.where(where[..., None], old.astype(planes.dtype), planes))
    backwards = planes.copy()[..., ::-1]  # channels not contiguous: copied per channel too
    base.revert(backwards, old, where)
    expected = np.where(where[..., None], old.astype(planes.dtype), planes[..., ::-1])
    assert np.array_equal(backwards, expected)
