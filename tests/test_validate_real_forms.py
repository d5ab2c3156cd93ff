"""Forms real producers write, read as the service reads them (tests/data/real has the files).

Each test builds its line and mask here, from the form the corpus shows, so that it runs
where the corpus is absent: the console's palette masks with a tRNS chunk, the evaluation
output's source-ref-metadata and model verdict, an integer color-map confidence.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pytest
from PIL import Image

from synth.format import Severity
from synth.validate import validate_manifest

IMAGE = "s3://bucket/images/anomaly-1.jpg"
MASK = "s3://bucket/masks/anomaly-1.png"
CLASS_COLOR = (0x23, 0xA4, 0x36)


def _console_line(**mask_meta: Any) -> dict[str, Any]:
    """The console's segmentation line: metadata first, one map entry, no BACKGROUND."""
    return {
        "source-ref": IMAGE,
        "anomaly-label-metadata": {
            "job-name": "anomaly-label",
            "class-name": "anomaly",
            "human-annotated": "yes",
            "creation-date": "2022-08-22T20:52:51.851Z",
            "type": "groundtruth/image-classification",
        },
        "anomaly-label": 1,
        "anomaly-mask-ref-metadata": {
            "internal-color-map": {"0": {"class-name": "cracked", "hex-color": "#23A436"}},
            "job-name": "labeling-job/object-mask-ref",
            "human-annotated": "yes",
            "creation-date": "2022-08-22T20:52:52.000Z",
            "type": "groundtruth/semantic-segmentation",
            **mask_meta,
        },
        "anomaly-mask-ref": MASK,
    }


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (96, 64), (200, 150, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


def _console_mask(
    background: tuple[int, int, int] = (0, 0, 0), stray_alpha: int | None = None
) -> bytes:
    """A palette mask as the console's tool draws one: index 0 transparent `background`,
    a disc of the class color whose edge fades through its alpha levels (one palette
    entry each), and, given `stray_alpha`, one pixel of a foreign color at that alpha."""
    yy, xx = np.mgrid[:64, :96]
    distance = np.hypot(yy - 32, xx - 48)
    alpha = np.clip((24 - distance) * 25, 0, 255).astype(np.uint8)  # soft edge
    levels = np.unique(alpha[alpha > 0])
    indices = np.zeros(alpha.shape, np.uint8)
    indices[alpha > 0] = np.searchsorted(levels, alpha[alpha > 0]) + 1
    if stray_alpha is not None:
        indices[0, 0] = 255
    mask = Image.fromarray(indices, "P")
    palette = [*background] + [*CLASS_COLOR] * len(levels)
    palette += [0, 0, 0] * (255 - len(levels) - 1) + [0x12, 0x34, 0x56]
    mask.putpalette(palette)
    trns = bytes([0, *levels.tolist()]) + bytes(255 - len(levels) - 1) + bytes([stray_alpha or 0])
    buffer = io.BytesIO()
    mask.save(buffer, "PNG", transparency=trns)
    return buffer.getvalue()


def _found(line: dict[str, Any], profile: str, mask: bytes | None = None) -> set[tuple[str, str]]:
    objects = None if mask is None else {IMAGE: _jpeg(), MASK: mask}
    found = validate_manifest(json.dumps(line), objects=objects, profile=profile)
    return {(f.rule, f.severity.value) for f in found}


def test_a_console_mask_is_read_as_the_service_read_the_cookie_masks() -> None:
    """Transparent black is background, the anti-aliased edge its RGB: no error under
    service (one warning naming the transparent pixels), even for a foreign color at alpha 0."""
    found = _found(_console_line(), "service", _console_mask(stray_alpha=0))
    assert ("mask-image.color", "warning") in found
    assert {f for f in found if f[1] == Severity.ERROR} == set()


@pytest.mark.parametrize("profile", ["service", "docs"])
def test_a_visible_pixel_of_a_foreign_color_is_an_error_whatever_its_alpha(profile: str) -> None:
    line = _console_line()
    meta = line["anomaly-mask-ref-metadata"]
    meta["internal-color-map"] = {
        "0": {"class-name": "BACKGROUND", "hex-color": "#ffffff", "confidence": 0.0},
        "1": {"class-name": "cracked", "hex-color": "#23A436", "confidence": 0.0},
    }
    assert ("mask-image.color", "error") in _found(line, profile, _console_mask(stray_alpha=1))


def test_transparent_pixels_are_their_rgb_under_docs() -> None:
    """Under docs a transparent pixel is read as the troubleshooting page's check reads it,
    RGB: transparent black is in no map (an error); transparent white is background."""
    line = _console_line()
    line["anomaly-mask-ref-metadata"]["internal-color-map"] = {
        "0": {"class-name": "BACKGROUND", "hex-color": "#ffffff", "confidence": 0.0},
        "1": {"class-name": "cracked", "hex-color": "#23A436", "confidence": 0.0},
    }
    assert ("mask-image.color", "error") in _found(line, "docs", _console_mask())
    assert _found(line, "docs", _console_mask(background=(255, 255, 255))) == set()


def test_source_ref_metadata_is_the_image_s_not_a_mask_s() -> None:
    line = {
        "source-ref": IMAGE,
        "source-ref-metadata": {"creation-date": "2020-05-22T21:33:37.201882"},
        "anomaly-label": 0,
        "anomaly-label-metadata": {
            "class-name": "normal",
            "type": "groundtruth/image-classification",
            "human-annotated": "yes",
        },
    }
    assert _found(line, "docs") == set()


def test_a_model_s_verdict_is_not_a_second_label() -> None:
    """The evaluation output's anomaly-label-detected (metadata with a model-arn) beside
    the label; a copy of the label without one is a second label (label.duplicate)."""
    label_meta = {
        "class-name": "anomaly",
        "type": "groundtruth/image-classification",
        "human-annotated": "yes",
    }
    verdict = {**label_meta, "human-annotated": "no", "confidence": 0.9, "model-arn": "arn"}
    line = {"source-ref": IMAGE, "anomaly-label": 1, "anomaly-label-metadata": label_meta}
    with_verdict = {**line, "anomaly-label-detected": 1, "anomaly-label-detected-metadata": verdict}
    assert _found(with_verdict, "docs") == set()
    twice = {**line, "second-label": 1, "second-label-metadata": label_meta}
    assert _found(twice, "service") == {("label.duplicate", "error")}


@pytest.mark.parametrize(("profile", "severity"), [("docs", "error"), ("service", "warning")])
def test_an_integer_map_confidence_is_lenient_under_service(profile: str, severity: str) -> None:
    line = _console_line()
    line["anomaly-mask-ref-metadata"]["internal-color-map"] = {
        "0": {"class-name": "BACKGROUND", "hex-color": "#ffffff", "confidence": 0},
        "1": {"class-name": "cracked", "hex-color": "#23A436", "confidence": 0.0},
    }
    assert _found(line, profile) == {("color-map.confidence", severity)}
