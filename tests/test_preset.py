"""Presets: the shipped ones load anywhere; a bad one is refused with file, key and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from synth.config.preset import builtin_presets, from_dict, load_preset
from synth.errors import ArgumentError, PresetError


def test_builtin_presets_ship_with_the_package() -> None:
    assert {"dents", "scratches", "mixed", "normal-only"} <= set(builtin_presets())


@pytest.mark.parametrize("name", sorted(builtin_presets()))
def test_every_builtin_preset_loads(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    preset = load_preset(name)
    assert preset.name == name
    assert preset.description
    assert from_dict(preset.to_dict(), name=name) == preset


def test_a_users_file_loads_by_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        '[image]\nwidth = 128\nheight = 96\ntextures = ["fabric"]\n'
        "[dataset]\ncount = 3\nanomaly_fraction = 1\n"
        '[[classes]]\nname = "dent"\ncolor = "#123456"\npainter = "dent"\ncount = [2, 2]\n'
    )
    preset = load_preset(path)
    assert (preset.name, preset.width, preset.height, preset.count) == ("mine", 128, 96, 3)
    assert preset.anomaly_fraction == 1.0
    assert preset.classes[0].count == (2, 2)


def test_overrides_are_validated() -> None:
    preset = load_preset("dents")
    assert preset.with_overrides(count=7, width=None).count == 7
    with pytest.raises(ArgumentError, match=r"^anomaly_fraction: must be between 0 and 1"):
        preset.with_overrides(anomaly_fraction=1.5)


def test_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(PresetError, match=r"unknown preset 'dentz'.*dents.*mixed"):
        load_preset("dentz")


def _image(**extra: object) -> dict[str, object]:
    return {"width": 64, "height": 64, **extra}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"image": _image(), "colour": 1}, r"preset: colour: unknown key"),
        ({"image": {"width": 64}}, r"image.height: is required"),
        ({"image": _image(width="64")}, r"image.width: must be int, got '64'"),
        ({"image": _image(textures=["marble"])}, r"image.textures: unknown texture 'marble'"),
        ({"image": _image(format="gif")}, r"image.format: must be 'png' or 'jpeg'"),
        ({"image": _image(), "dataset": {"count": 0}}, r"dataset.count: must be at least 1"),
        (
            {"image": _image(), "dataset": {"one_class_per_image": "yes"}},
            r"dataset.one_class_per_image: must be bool, got 'yes'",
        ),
        ({"image": _image(), "dataset": {"bucket": "Bad_Bucket"}}, r"dataset.bucket: 'Bad_Bucket'"),
        (
            {"image": _image(), "dataset": {"mask_attribute": "mask"}},
            r"dataset.mask_attribute: 'mask' must be a key ending in '-ref'",
        ),
        (
            {"image": _image(), "dataset": {"anomaly_fraction": 0.5}},
            r"dataset.anomaly_fraction: is above 0 but the preset defines no \[\[classes\]\]",
        ),
        (
            {"image": _image(), "classes": [{"name": "x", "color": "#ffffff", "painter": "dent"}]},
            r"classes\[0\].color: '#ffffff' must be #rrggbb, not white",
        ),
        (
            {"image": _image(), "classes": [{"name": "x", "color": "#123456", "painter": "brush"}]},
            r"classes\[0\].painter: unknown painter 'brush'",
        ),
        (
            {
                "image": _image(),
                "classes": [{"name": "x", "color": "#123456", "painter": "dent", "count": [3, 1]}],
            },
            r"classes\[0\].count: must be \[min, max\] with 1 <= min <= max",
        ),
        (
            {
                "image": _image(),
                "classes": [
                    {"name": "x", "color": "#123456", "painter": "dent"},
                    {"name": "x", "color": "#654321", "painter": "dent"},
                ],
            },
            r"classes\[1\].name: 'x' is empty, BACKGROUND, or used twice",
        ),
        (
            {
                "image": _image(),
                "classes": [
                    {"name": "x", "color": "#123456", "painter": "dent", "params": {"zz": [1, 2]}}
                ],
            },
            r"classes\[0\].params: .*zz",
        ),
    ],
)
def test_invalid_presets_name_key_and_reason(data: dict[str, object], message: str) -> None:
    with pytest.raises(PresetError, match=message):
        from_dict(data)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[image\nwidth = 3")
    with pytest.raises(PresetError, match=r"broken.toml: not valid TOML"):
        load_preset(path)


def test_showcase_has_one_class_per_registered_painter() -> None:
    from synth.registry import PAINTERS

    classes = load_preset("showcase").classes
    assert [c.painter for c in classes] == [c.name for c in classes] == list(PAINTERS)
    assert len({c.color for c in classes}) == len(classes)
