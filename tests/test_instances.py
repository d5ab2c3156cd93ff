"""Per-defect instances: each defect's own pixels of the class mask, as painted."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from synth.annotate.instances import instances, sole_class
from synth.config.preset import DefectClass
from synth.imaging.defects import PAINTERS, resolve_params
from synth.imaging.render import render
from synth.plan import ImageSpec
from synth.testing.cases import preset_of

# Many defects on a small image, so that later ones cover parts (or all) of earlier ones.
CROWDED = preset_of(
    tuple(
        DefectClass(name, color, name, (1, 4), resolve_params(PAINTERS[name], {}))
        for name, color in (("dent", "#1f77b4"), ("scratch", "#2ca02c"), ("stain", "#d62728"))
    ),
    72,
    64,
    "synth-dataset",
)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_instances_partition_the_class_mask(seed: int) -> None:
    rendered = render(CROWDED, ImageSpec(0, "train", True), seed)
    found = instances(rendered)
    assert len(found) == len(rendered.drawn) >= 1
    owner = np.zeros(rendered.labels.shape, int)  # 1 + the instance that holds a pixel
    for number, instance in enumerate(found):
        full = instance.full_mask(rendered.labels.shape)
        assert not (owner[full]).any(), "two instances hold one pixel"
        owner[full] = number + 1
        assert (rendered.labels[full] == instance.label).all()
        assert instance.pixels == int(full.sum())
        if instance.box is None:
            assert instance.pixels == 0
        else:  # the box is the tight box of the pixels
            assert instance.mask.shape == (instance.box[3], instance.box[2])
            edges = (instance.mask[0], instance.mask[-1], instance.mask[:, 0], instance.mask[:, -1])
            assert all(edge.any() for edge in edges)
        json.dumps(instance.record())
    assert np.array_equal(owner > 0, rendered.labels > 0)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_the_later_defect_holds_what_it_labeled(seed: int) -> None:
    rendered = render(CROWDED, ImageSpec(0, "train", True), seed)
    last, found = rendered.drawn[-1], instances(rendered)[-1]
    assert found.pixels == int(last.mask.sum())
    assert found.params == last.params
    assert set(found.params) == set(PAINTERS[found.painter].params)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_sole_class_is_the_one_class_the_mask_holds(seed: int) -> None:
    rendered = render(CROWDED, ImageSpec(0, "train", True), seed)
    held = sorted(set(np.unique(rendered.labels).tolist()) - {0})
    expected = CROWDED.classes[held[0] - 1].name if len(held) == 1 else None
    assert sole_class(instances(rendered)) == expected


def test_a_normal_image_has_no_instances() -> None:
    rendered = render(CROWDED, ImageSpec(0, "train", False), 7)
    assert rendered.drawn == ()
    assert instances(rendered) == ()
