"""The Hypothesis strategies under their first public name; they live in synth.testing."""

from synth.faults import Case
from synth.testing.strategies import (
    bucket_names,
    color_maps,
    datasets,
    defect_classes,
    hex_colors,
    label_metadata,
    manifest_cases,
    masks,
    presets,
    s3_uris,
    valid_cases,
)
from synth.testing.verdicts import ManifestCase, manifests

__all__ = [
    "Case",
    "ManifestCase",
    "bucket_names",
    "color_maps",
    "datasets",
    "defect_classes",
    "hex_colors",
    "label_metadata",
    "manifest_cases",
    "manifests",
    "masks",
    "presets",
    "s3_uris",
    "valid_cases",
]
