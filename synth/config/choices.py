"""The values a preset's enumerated settings take, apart from the preset machinery: the
command line offers them as choices without importing presets, registries and their
packages (a lines-only `synth validate` needs none of them)."""

from __future__ import annotations

TASKS = ("segmentation", "classification")
# What a defect's mask holds: every pixel it changes (synth.imaging.defects.base.VISIBLE_LEVELS),
# or only its core (the groove without its burr, the bowl without its rim and shading).
MASK_EXTENTS = ("visible", "core")
# Images in one run: counts past it are a typo (a hundred million images take weeks on one
# machine), and the run's index arithmetic stays within a machine integer.
MAX_COUNT = 100_000_000
