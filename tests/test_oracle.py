"""The cross-line oracle: broken/expected.jsonl of a whole `generate` run is what the
validator reports, line by line, whatever earlier broken lines did to the project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from synth.config.preset import builtin_presets
from synth.config.styles import STYLES, styles_for
from synth.faults.oracle import ClassLimit
from synth.format import Severity
from synth.run.generate import generate
from synth.validate import validate_manifest


def _mismatches(root: Path, size: int = 64, **options: object) -> list[str]:
    dataset = generate(out=root, width=size, height=size, workers=1, overwrite=True, **options)
    expected = dataset.expected()
    profile = STYLES[str(options.get("style", "synth"))].profile  # the style's reading
    found: dict[tuple[str, int], set[str]] = {}
    for manifest in {e["manifest"] for e in expected}:
        for f in validate_manifest(root / manifest, objects=root, profile=profile):
            if f.severity is Severity.ERROR and f.line is not None:
                found.setdefault((manifest, f.line), set()).add(f.rule)
    return [
        f"{e['manifest']}:{e['line']} {e['fault']}: expected {e['rules']}, "
        f"validator {sorted(found.get((e['manifest'], e['line']), set()))}"
        for e in expected
        if set(e["rules"]) != found.get((e["manifest"], e["line"]), set())
    ]


RUNS = st.sampled_from(("segmentation", "classification")).flatmap(
    lambda task: st.fixed_dictionaries(
        {
            "preset": st.sampled_from(sorted(builtin_presets())),
            "style": st.sampled_from(styles_for(task)),  # AWS's tools write no segmentation
            "task": st.just(task),
            "seed": st.integers(0, 2**16),
            "broken_fraction": st.sampled_from((0.8, 1.0, 0.5)),
        }
    )
)


# A whole run an example: no shrinking (the run's options print as they failed).
RUN = settings(
    deadline=None, suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate]
)


@settings(RUN, max_examples=4)
@given(RUNS)
def test_expected_is_what_the_validator_reports(
    tmp_path_factory: pytest.TempPathFactory, run: dict[str, object]
) -> None:
    assert _mismatches(tmp_path_factory.mktemp("run"), count=24, **run) == []


@pytest.mark.slow
@settings(RUN, max_examples=20)
@given(RUNS)
def test_expected_is_what_the_validator_reports_on_more_runs(
    tmp_path_factory: pytest.TempPathFactory, run: dict[str, object]
) -> None:
    assert _mismatches(tmp_path_factory.mktemp("run"), count=60, **run) == []


@pytest.mark.slow
def test_the_class_limit_is_counted_across_lines(tmp_path: Path) -> None:
    """The run of issue 21 (`synth generate --preset mixed --count 160 --seed 23 --size
    96x96 --broken 0.8`): expected.jsonl is what the validator reports with the objects,
    and class-name-hyphen lines after a too-many-classes line break dataset.max-classes."""
    options = {"preset": "mixed", "count": 160, "seed": 23, "broken_fraction": 0.8}
    assert _mismatches(tmp_path, size=96, **options) == []
    lines = (tmp_path / "broken/expected.jsonl").read_text().splitlines()
    entries = [e for e in map(json.loads, lines) if e["fault"] == "class-name-hyphen"]
    assert any(e["rules"] == ["dataset.max-classes"] for e in entries)


def test_class_limit_counts_error_free_maps_only() -> None:
    def line(*names: str) -> str:
        cmap = {str(i): {"class-name": n, "hex-color": f"#{i:06x}"} for i, n in enumerate(names)}
        return json.dumps({"m-ref-metadata": {"internal-color-map": cmap}})

    limit = ClassLimit()
    assert limit.rules(line(*(f"x{i}" for i in range(100))), []) == []
    assert limit.rules(line("new"), ["color-map.hex-color"]) == ["color-map.hex-color"]
    assert limit.rules(line("x1", "new"), []) == ["dataset.max-classes"]
    assert limit.rules(line("x1"), []) == []
    assert limit.rules(line("new"), ["label.type"]) == ["dataset.max-classes", "label.type"]
