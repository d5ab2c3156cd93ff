"""The fault catalogue: every fault breaks exactly the rules it declares, on any valid case.

synth's validator (itself checked rule by rule in test_validate.py) judges each fault on
cases from every preset, on every style's lines, and on drawn presets (any class colors,
1..N classes, sizes, bucket names up to 63 characters). Faults composed on one line, up
to ten, are judged on every draw of manifest_cases() in test_strategies.py.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.vendor.pretty import pretty

import synth.validate
from synth.config.preset import TASKS, DefectClass, builtin_presets
from synth.config.styles import STYLES, styles_for
from synth.errors import OutputError
from synth.faults import (
    CATALOGUE,
    DATASET_FAULTS,
    Case,
    DatasetFault,
    Fault,
    FaultError,
    MultiLineFault,
    ProjectFault,
    choose,
    clash,
    compose,
    fault,
    select,
)
from synth.faults.model import LINE
from synth.faults.registry import FaultRegistry
from synth.format import RULES, S3Uri, Severity
from synth.imaging.defects import PAINTERS, resolve_params
from synth.output.layout import Shard
from synth.registry import RegistryError
from synth.run.dataset import Dataset
from synth.run.generate import generate
from synth.testing.cases import build_case, preset_of
from synth.testing.strategies import valid_cases
from synth.validate import validate_manifest, validate_project
from tests.helpers import examples_to_see_each

FAULTS = list(CATALOGUE.values())


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    """A normal and an anomalous case from every preset that has them."""
    found: list[Case] = []
    for preset in sorted(builtin_presets()):
        root = tmp_path_factory.mktemp(preset)
        # Two images a preset: 16 cases, a normal and an anomalous among them, and every
        # fault fits one (test_fault_breaks_exactly_its_rules says so).
        dataset = generate(preset, out=root, seed=1, count=2, width=72, height=64, test_fraction=0)
        for record in dataset.records():
            uris = (record["source-ref"], record["anomaly-mask-ref"])
            objects = {uri: (root / uri.split("/", 3)[3]).read_bytes() for uri in uris}
            found.append(Case(record=record, objects=objects))
    return found


def _report(
    case: Case, profile: str = "docs", after: Case | None = None
) -> tuple[set[str], set[str]]:
    """The case's errors and warnings; read after the line `after` when given (a dataset
    fault's reference), the findings of that line left out."""
    manifest, objects = case.manifest, case.objects
    if after is not None:
        manifest, objects = after.manifest + manifest, {**after.objects, **objects}
    findings = validate_manifest(manifest, objects=objects, profile=profile)
    findings = [f for f in findings if after is None or f.line != 1]
    errors = {f.rule for f in findings if f.severity is Severity.ERROR}
    warnings = {f.rule for f in findings if f.severity is Severity.WARNING}
    return errors, warnings


def test_faults_cover_every_rule() -> None:
    line = set().union(*(f.rules | f.warnings for f in CATALOGUE.values()))
    across = set().union(*(f.rules | f.warnings for f in DATASET_FAULTS.values()))
    # A case cannot be empty: tests/test_validate*.py break that with their own data. The
    # project rules and the file size have project faults.
    unfaulted = {"manifest.empty"}
    assert line | across == set(RULES) - unfaulted


@pytest.mark.parametrize("fault", list(CATALOGUE.values()), ids=lambda f: f.name)
def test_fault_breaks_exactly_its_rules(fault: Fault, cases: list[Case]) -> None:
    fitting = [c for c in cases if fault.fits(c)]
    assert fitting
    for n, case in enumerate(fitting):
        broken = fault.apply(case, np.random.default_rng(n))
        assert broken.expected_rules == fault.rules
        errors, warnings = _report(broken)
        assert errors == set(fault.rules), (fault.name, broken.line[:300])
        assert warnings <= fault.warnings


def test_the_cases_are_valid_to_start_with(cases: list[Case]) -> None:
    assert {c.anomalous for c in cases} == {True, False}
    for case in cases:
        assert _report(case) == (set(), set())


def test_faults_compose(cases: list[Case]) -> None:
    case = next(c for c in cases if not c.anomalous)  # hex-color faults: a normal line's
    broken = compose(
        case,
        [CATALOGUE["label-type-wrong"], CATALOGUE["hex-color-short"], CATALOGUE["mask-wrong-size"]],
        np.random.default_rng(0),
    )
    assert broken.expected_rules == {"label.type", "color-map.hex-color", "mask-image.size"}
    assert _report(broken)[0] == broken.expected_rules
    with pytest.raises(FaultError, match="'truncated-line' and 'json-array' do not compose"):
        compose(
            case, [CATALOGUE["truncated-line"], CATALOGUE["json-array"]], np.random.default_rng(0)
        )


@pytest.mark.parametrize(
    "names",
    [
        ("image-gif", "image-file-too-large"),  # the padding survives the re-encoding
        ("image-too-small", "mask-stray-color", "image-file-too-large"),
        ("image-too-small", "mask-too-many-classes"),
        ("image-too-large", "image-file-too-large"),
    ],
)
def test_object_faults_compose_in_any_order(cases: list[Case], names: tuple[str, ...]) -> None:
    """An image's content, its file's length and the mask's pixels are judged apart: faults
    on each add up, applied in the catalogue's order whatever order they are given in."""
    case = next(c for c in cases if c.anomalous)
    faults = [CATALOGUE[n] for n in names]
    forward = compose(case, faults, np.random.default_rng(0))
    assert compose(case, faults[::-1], np.random.default_rng(0)) == forward
    assert _report(forward)[0] == forward.expected_rules == {r for f in faults for r in f.rules}


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_a_fault_is_a_function_of_its_case_and_generator(fault: Fault, cases: list[Case]) -> None:
    """The same case and seed give the same broken case, and the case given is untouched:
    what lets a broken dataset be the same bytes whatever the workers."""
    case = next(c for c in cases if fault.fits(c))
    before = copy.deepcopy(case)
    one = fault.apply(case, np.random.default_rng(5))
    assert case == before
    assert fault.apply(case, np.random.default_rng(5)) == one


def test_select_by_name_or_rule() -> None:
    assert [f.name for f in select(["mask-jpeg"])] == ["mask-jpeg"]
    assert {f.name for f in select(["color-map.background"])} == {
        "background-missing",
        "background-lower-case",
        "background-not-white",
        "color-map-keys-from-one",
    }
    with pytest.raises(ValueError, match="'nope' is neither a fault nor a rule"):
        select(["nope"])


def test_faults_option_picks_by_rule(tmp_path: Path) -> None:
    dataset = generate(
        "mixed",
        out=tmp_path,
        count=12,
        width=64,
        height=64,
        broken_fraction=1.0,
        faults=["color-map.background"],
    )
    faults = {e["fault"] for e in dataset.expected()}
    assert faults <= {
        "background-missing",
        "background-lower-case",
        "background-not-white",
        "color-map-keys-from-one",
    }
    assert all(e["rules"] == ["color-map.background"] for e in dataset.expected())


def test_broken_manifests_carry_dataset_faults(tmp_path: Path) -> None:
    dataset = generate(
        "mixed", out=tmp_path, seed=2, count=40, width=64, height=64, broken_fraction=0.75
    )
    entries = [e for e in dataset.expected() if e.get("level") == "dataset"]
    valid_key = {dataset.broken_manifest_key(s): dataset.manifest_key(s) for s in dataset.splits}

    def case(key: str, number: int) -> Case:
        record = json.loads(dataset.read(key).decode().split("\n")[number - 1])
        uris = [value for name, value in record.items() if name.endswith("-ref")]
        return Case(record, {uri: (tmp_path / S3Uri.parse(uri).key).read_bytes() for uri in uris})

    # Drawn uniformly among the dataset faults that fit the pair (each one's own draw is
    # test_a_dataset_rule_or_name_choice_draws_that_dataset_fault), so not always one: the
    # chance that such draws all give one fault, summed over the faults, is small enough
    # for `> 1` to be a check of this run, not of its seed.
    pair_faults = {n: f for n, f in DATASET_FAULTS.items() if isinstance(f, DatasetFault)}
    chance = dict.fromkeys(pair_faults, 1.0)
    for entry in entries:
        [related] = entry["related"]
        manifest, line = related.rsplit(":", 1)
        assert manifest == entry["manifest"]
        assert 0 < int(line) < entry["line"]  # the reference comes first
        reference, twin = case(manifest, int(line)), case(valid_key[manifest], entry["line"])
        fitting = {n for n, f in pair_faults.items() if f.fits(reference, twin)}
        assert entry["fault"] in fitting, entry
        chance = {n: p * (n in fitting) / len(fitting) for n, p in chance.items()}
        findings = validate_manifest(tmp_path / manifest, objects=tmp_path)
        here = {f.rule for f in findings if f.line == entry["line"]}
        assert set(entry["rules"]) | set(entry["warnings"]) <= here, entry
    assert sum(chance.values()) < 0.01, chance
    assert len({e["fault"] for e in entries}) > 1


def test_too_many_classes_is_reported_on_each_line_it_changes() -> None:
    dent = resolve_params(PAINTERS["dent"], {})
    classes = tuple(DefectClass(n, c, "dent", (1, 2), dent) for n, c in [("c1", "#000000")] * 1)
    preset = preset_of(classes, 64, 64, "b" * 63)  # the longest bucket: the longest lines
    reference, *targets = (build_case(preset, seed, True) for seed in range(3))
    fault = DATASET_FAULTS["too-many-classes"]
    rng = np.random.default_rng(0)
    broken = [fault.apply(reference, target, rng) for target in targets]
    objects = {uri: data for case in (reference, *broken) for uri, data in case.objects.items()}
    findings = validate_manifest([c.line for c in (reference, *broken)], objects=objects)
    assert [(f.rule, f.line, f.related) for f in findings] == [
        ("dataset.max-classes", 2, ()),
        ("dataset.max-classes", 3, ("line 2",)),
    ]
    assert validate_manifest([c.line for c in (reference, *targets)], objects=objects) == []


def _broken_mixed(out: Path, faults: list[str], fraction: float) -> Dataset:
    return generate(
        "mixed",
        out=out,
        seed=2,
        count=16,
        width=64,
        height=64,
        broken_fraction=fraction,
        faults=faults,
    )


def test_a_line_rule_choice_draws_line_faults_only(tmp_path: Path) -> None:
    """Choosing image.format, each of its 16 lines takes one of its two object faults (both
    drawn but with chance 2 * 2**-16), and the run writes what the fault made of the
    image (not the valid one): the validator, reading the files, says what expected.jsonl
    says, line by line."""
    expected = _broken_mixed(tmp_path, ["image.format"], 1.0).expected()
    assert all("level" not in e for e in expected)
    assert {e["fault"] for e in expected} == {f.name for f in select(["image.format"])}
    for manifest in {e["manifest"] for e in expected}:
        found = validate_manifest(tmp_path / manifest, objects=tmp_path)
        lines = [(f.line, f.rule) for f in found if f.severity is Severity.ERROR]
        assert sorted(lines) == [
            (e["line"], "image.format") for e in expected if e["manifest"] == manifest
        ]


@pytest.mark.parametrize("word", ["dataset.duplicate-image", "duplicate-image"])
def test_a_dataset_rule_or_name_choice_draws_that_dataset_fault(tmp_path: Path, word: str) -> None:
    dataset = _broken_mixed(tmp_path, [word], 0.75)  # a dataset fault needs an earlier valid line
    broken = [e for e in dataset.expected() if e["fault"]]
    assert broken, "no line took the chosen dataset fault"
    assert {(e["fault"], e.get("level")) for e in broken} == {("duplicate-image", "dataset")}
    for entry in broken:
        findings = validate_manifest(tmp_path / entry["manifest"], objects=tmp_path)
        here = {f.rule for f in findings if f.line == entry["line"]}
        assert here == {"dataset.duplicate-image"}, entry
    unbroken = [e for e in dataset.expected() if not e["fault"]]
    assert all(e["rules"] == [] for e in unbroken)


def test_choose_splits_line_and_dataset_faults() -> None:
    lines, datasets = choose(["mask-jpeg", "dataset.image-dimensions"])
    assert [f.name for f in lines] == ["mask-jpeg"]
    assert [f.name for f in datasets] == ["other-image-size"]
    with pytest.raises(ValueError, match="'nope' is neither a fault nor a rule"):
        choose(["nope"])


def _case(colors: list[str], bucket: str = "synth-dataset", anomalous: bool = True) -> Case:
    dent = resolve_params(PAINTERS["dent"], {})
    classes = tuple(DefectClass(f"c{i}", c, "dent", (1, 2), dent) for i, c in enumerate(colors))
    return build_case(preset_of(classes, 64, 64, bucket), seed=1, anomalous=anomalous)


def _judged_as_declared(case: Case) -> None:
    errors, warnings = _report(case)
    assert errors == set(case.expected_rules), case
    assert warnings <= case.expected_warnings, case


# ---- The faults found declaring the wrong rules (issue 10), each on its own case --------


@pytest.mark.parametrize(
    ("name", "colors", "bucket"),
    [
        ("background-not-white", ["#000000"], "synth-dataset"),
        ("duplicate-class", ["#010203"], "synth-dataset"),
        ("mask-stray-color", ["#000000", "#000001"], "synth-dataset"),
        ("mask-stray-color", ["#fffffe"], "synth-dataset"),
        ("other-bucket", ["#1f77b4"], "a" * 60),
        ("other-bucket", ["#1f77b4"], "b" * 57 + "-other"),
    ],
)
def test_fault_on_the_case_that_broke_it(name: str, colors: list[str], bucket: str) -> None:
    _judged_as_declared(CATALOGUE[name].apply(_case(colors, bucket), np.random.default_rng(0)))


@pytest.mark.parametrize(
    "pair", [("label-missing", "class-name-number"), ("label-metadata-suffix", "label-type-wrong")]
)
def test_clashing_faults_say_why(pair: tuple[str, str]) -> None:
    with pytest.raises(FaultError, match=f"{pair[0]!r} and {pair[1]!r} do not compose"):
        compose(_case(["#1f77b4"]), [CATALOGUE[n] for n in pair], np.random.default_rng(0))


def test_a_fault_that_does_not_fit_says_so() -> None:
    normal = _case(["#1f77b4"], anomalous=False)
    assert not CATALOGUE["mask-stray-color"].fits(normal)
    with pytest.raises(FaultError, match="'mask-stray-color' does not fit"):
        CATALOGUE["mask-stray-color"].apply(normal, np.random.default_rng(0))
    # A class one step from white has no anti-aliased blend outside the map.
    assert not CATALOGUE["mask-antialiased"].fits(_case(["#fffffe"]))


# ---- The catalogue against the validator, on drawn presets ------------------------------


@given(data=st.data())
def test_a_fault_breaks_exactly_its_rules_on_a_drawn_preset(data: st.DataObject) -> None:
    """Any fault on any drawn case (class colors, 1..4 classes, sizes, bucket names up to 63
    characters); every fault on every built-in preset's cases is
    test_fault_breaks_exactly_its_rules'. A fault that does not fit the case says so, and
    another fault breaking the same rules fits it."""
    fault = data.draw(st.sampled_from(FAULTS), label="fault")
    anomalous = None if fault.applies == "any" else fault.applies == "anomaly"
    case = data.draw(valid_cases(max_classes=4, anomalous=anomalous), label="case")
    if not fault.fits(case):
        with pytest.raises(FaultError):
            fault.apply(case, np.random.default_rng(0))
        others = [f for f in select(fault.rules) if f.fits(case)]
        assert others, f"no fault breaking {sorted(fault.rules)} fits {case!r}"
        return
    broken = fault.apply(case, np.random.default_rng(data.draw(st.integers(0, 2**16))))
    assert broken.expected_rules == fault.rules
    _judged_as_declared(broken)


def test_a_fault_composes_unless_it_makes_the_line_unreadable() -> None:
    """Every fault that leaves the line readable composes with another (so a composed case
    can hold it); one that makes the line unreadable composes with none."""
    for entry in FAULTS:
        partners = [other for other in FAULTS if clash([entry, other]) is None]
        assert bool(partners) == (LINE not in entry.touches), entry.name
    assert clash([CATALOGUE["truncated-line"], CATALOGUE["keys-reordered"]]) is not None
    assert clash([CATALOGUE["byte-order-mark"], CATALOGUE["mask-stray-color"]]) is None


# ---- Registration --------------------------------------------------------------------------


def test_registration_rejects_unknown_rules_and_duplicate_names() -> None:
    registry = FaultRegistry("synth.test-faults", "fault", "synth.faults.model:Fault", None)
    good = CATALOGUE["label-type-wrong"]
    registry.register(good.name, good)
    with pytest.raises(RegistryError, match="registered twice"):
        registry.register(good.name, good)
    typo = fault("typo", "field", ["label.typ"], "A typo.", good.transform, touches=["x"])
    with pytest.raises(RegistryError, match=r"unknown rule ids: label\.typ"):
        registry.register("typo", typo)
    with pytest.raises(RegistryError, match="unknown rule ids: nope"):
        registry.register(
            "warns", fault("warns", "field", [], "", good.transform, touches=[], warnings=["nope"])
        )


def test_dataset_and_project_faults_share_one_registry_and_say_which_they_are() -> None:
    """Both are MultiLineFaults in DATASET_FAULTS; only a dataset fault has a pair to fit."""
    levels = {f.name: f.level for f in DATASET_FAULTS.values()}
    assert set(levels.values()) == {"dataset", "project"}
    for entry in DATASET_FAULTS.values():
        assert isinstance(entry, MultiLineFault)
        assert isinstance(entry, DatasetFault) == (entry.level == "dataset")
        assert isinstance(entry, ProjectFault) == (entry.level == "project")
    assert not hasattr(DATASET_FAULTS["test-over-image-limit"], "fits")
    registry = FaultRegistry(
        "synth.test-dataset-faults", "dataset fault", "synth.faults.model:MultiLineFault", None
    )
    with pytest.raises(RegistryError, match="is a Fault, not a MultiLineFault"):
        registry.register("label-type-wrong", CATALOGUE["label-type-wrong"])  # type: ignore[arg-type]
    project = DATASET_FAULTS["test-too-few-anomalies"]
    with pytest.raises(RegistryError, match="unknown rule ids: nope"):
        registry.register(project.name, replace(project, warnings=frozenset({"nope"})))


# ---- What a case gives a validator, and how it prints ------------------------------------


def test_manifest_bytes_are_what_the_rules_are_about() -> None:
    case = _case(["#1f77b4"])
    blank = CATALOGUE["blank-line"].apply(case, np.random.default_rng(0))
    assert blank.manifest == b"\n"
    assert {f.rule for f in validate_manifest(blank.manifest)} == {"manifest.blank-line"}
    latin = CATALOGUE["not-utf8"].apply(case, np.random.default_rng(0))
    assert b"\xe9" in latin.manifest
    assert {f.rule for f in validate_manifest(latin.manifest)} == {"manifest.encoding"}
    assert case.manifest == case.line.encode() + b"\n"


def test_a_case_prints_on_one_screen() -> None:
    case = CATALOGUE["mask-stray-color"].apply(_case(["#1f77b4"]), np.random.default_rng(0))
    text = pretty(case)
    assert len(text) < 2000
    assert len(text.splitlines()) < 10
    assert "faults=('mask-stray-color',)" in text
    assert "expected_rules=['mask-image.color']" in text
    assert f"line={case.line!r}" in text
    assert text.count("<PNG 64x64 ") == 2  # image and recolored mask, summarised


@pytest.mark.parametrize(("task", "style"), [(t, s) for t in TASKS for s in styles_for(t)])
def test_each_fault_that_fits_a_styled_line_breaks_exactly_its_rules(
    style: str, task: str, tmp_path: Path
) -> None:
    """Every fault (and every dataset fault, after the manifest's first line) on the first
    line of each label of a style that it fits, under the style's profile: exactly its
    rules, and no warning but its own and the valid line's. (What a style changes is how a
    line is written, the same on its lines of a label; the values in them, classes and
    colors, vary across test_fault_breaks_exactly_its_rules' presets and the drawn ones.)
    A fault that does not suit a style's maps or dates (no BACKGROUND to remove, dates
    already ending in Z) does not fit its lines. And each broken line is written as the
    style writes valid ones (the sdk-tools style's `", "` and `": "`, every style's own
    separators): only a text fault writes a line otherwise."""
    profile, separators = STYLES[style].profile, STYLES[style].separators
    dataset = generate(
        "mixed", out=tmp_path, seed=1, count=6, width=64, height=64, style=style, task=task
    )
    cases = []
    for record in dataset.records():
        uris = [value for key, value in record.items() if key.endswith("-ref")]
        objects = {uri: (tmp_path / S3Uri.parse(uri).key).read_bytes() for uri in uris}
        cases.append(Case(record=record, objects=objects, separators=separators))
    reference, rng = cases[0], np.random.default_rng(0)
    fitted: set[str] = set()
    judged: set[tuple[str, bool]] = set()  # (fault, label) judged already
    for case in cases:
        found = _report(case, profile)
        assert found[0] == set()
        for entry in [*FAULTS, *DATASET_FAULTS.values()]:
            if (entry.name, case.anomalous) in judged:
                continue
            if isinstance(entry, Fault) and entry.fits(case):
                broken = entry.apply(case, rng)
                errors, warnings = _report(broken, profile)
            elif isinstance(entry, DatasetFault) and case is not reference:
                if not entry.fits(reference, case):
                    continue
                broken = entry.apply(reference, case, rng)
                errors, warnings = _report(broken, profile, after=reference)
            else:
                continue
            fitted.add(entry.name)
            judged.add((entry.name, case.anomalous))
            _written_as(broken.line, set(broken.faults), separators)
            assert errors == broken.expected_rules, (entry.name, broken)
            assert broken.expected_warnings <= warnings, (entry.name, broken)
            assert warnings <= broken.expected_warnings | found[1], (entry.name, broken)
    if style == "console":
        # no BACKGROUND or confidence to remove (utc-z-dates fits its auto-labeled lines)
        assert not fitted & {"background-missing", "confidence-missing"}
    # Not a vacuous loop: a fault with no precondition fits a line of each label, and a
    # mask-line of each label the style draws masks for (every anomalous line, in the
    # segmentation task; normal ones by style).
    masks = {"anomaly", "any"} | ({"normal"} if STYLES[style].normal_masks else set())
    unconditional = {
        f.name
        for f in FAULTS
        if f.precondition is None
        and (not f.needs_mask or (task == "segmentation" and f.applies in masks))
    }
    assert unconditional <= fitted, unconditional - fitted


def _written_as(line: str, faults: set[str], separators: tuple[str, str]) -> bool:
    """Assert that a broken line is JSON written with the style's separators, as a valid
    line is, unless a text fault wrote it; whether it was checked."""
    if "byte-order-mark" in faults:
        line = line.removeprefix("\ufeff")
    elif "duplicate-key" in faults:  # the first pair again, after the last
        record = json.loads(line)
        key, value = next(iter(record.items()))
        pair = json.dumps({key: value}, separators=separators)[1:-1]
        line = line.removesuffix(separators[0] + pair + "}") + "}"
    elif any(CATALOGUE[f].level == "text" for f in faults if f in CATALOGUE):
        return False
    record = json.loads(line)
    assert json.dumps(record, separators=separators, ensure_ascii=False) == line, faults
    return True


def _findings_by_line(
    dataset: Dataset, key: str, profile: str
) -> dict[tuple[int | None, Severity], set[str]]:
    found: dict[tuple[int | None, Severity], set[str]] = {}
    root = Path(dataset.location)
    for f in validate_manifest(root / key, objects=root, profile=profile):
        found.setdefault((f.line, f.severity), set()).add(f.rule)
    return found


# Images enough to see each kind of line the run test below asserts it saw (a dataset
# fault's, one written from its record, and on the console's segmentation lines, which hold
# masks, an unmasked one) but with chance 1%: the rarest, a dataset fault's, is 15% of the
# console's segmentation lines (90 of 600: 20 seeds of 30 images; 20% in the other runs).
RUN_IMAGES = examples_to_see_each(3, 90 / 600)


@pytest.mark.parametrize(("task", "style"), [(t, s) for t in TASKS for s in styles_for(t)])
def test_every_broken_line_breaks_exactly_its_rules_in_every_style(
    style: str, task: str, tmp_path: Path
) -> None:
    """Every line of every broken manifest, under the profile its style belongs to: the
    errors are exactly the expected rules; the warnings, the expected ones and at most what
    the valid twin line already gets (the console's maps without BACKGROUND, say). Each line
    is written with its style's separators: the run gives them to the line a fault breaks
    (every fault keeps them: test_each_fault_that_fits_a_styled_line). With every line
    broken, each split's first line takes a fault of its label only, so that later lines
    take dataset faults against it."""
    profile = STYLES[style].profile
    separators = STYLES[style].separators
    unmasked: set[str] = set()
    written = 0  # lines whose writing is checked
    # One preset a style and task, in turn: each preset's lines in several styles, and the
    # faults themselves on every style's lines in test_each_fault_that_fits_a_styled_line.
    turn = sorted(STYLES).index(style) * len(TASKS) + TASKS.index(task)
    presets = ("mixed", "dents", "showcase")
    seed, preset = turn % len(presets) + 1, presets[turn % len(presets)]
    options = {"count": RUN_IMAGES, "width": 64, "height": 64, "style": style, "task": task}
    dataset = generate(preset, out=tmp_path / preset, seed=seed, broken_fraction=1, **options)
    expected = dataset.expected()
    for split in dataset.splits:
        key = dataset.broken_manifest_key(split)
        broken = _findings_by_line(dataset, key, profile)
        valid = _findings_by_line(dataset, dataset.manifest_key(split), profile)
        assert not any(severity is Severity.ERROR for _, severity in valid)
        lines = dataset.read(key).decode("utf-8", "surrogateescape").split("\n")[:-1]
        entries = [e for e in expected if e["manifest"] == key]
        assert [e["line"] for e in entries] == list(range(1, len(lines) + 1))
        for entry, line in zip(entries, lines, strict=True):
            assert entry["fault"] is not None, entry  # broken_fraction 1: every line
            number = entry["line"]
            errors = broken.get((number, Severity.ERROR), set())
            warnings = broken.get((number, Severity.WARNING), set())
            assert errors == set(entry["rules"]), (preset, entry)
            declared = set(entry["warnings"])
            twin = valid.get((number, Severity.WARNING), set())
            assert declared <= warnings <= declared | twin, (preset, entry)
            if "anomaly-mask-ref" not in line and entry["rules"]:
                unmasked.add(entry["fault"])
            written += _written_as(line, set(entry["fault"].split("+")), separators)
    assert written, "no line's writing was checked"
    assert any(e.get("level") == "dataset" for e in expected), "no dataset fault was drawn"
    if task == "classification":  # no line holds a mask: every fault broke a line without one
        assert unmasked == {e["fault"] for e in expected if e["rules"]}, unmasked
    elif style == "console":  # its normal lines hold no mask, and they break too
        assert unmasked, unmasked


@pytest.mark.parametrize(
    ("task", "limit"), [("segmentation", 800), ("classification", 4000)], ids=["seg", "cls"]
)
def test_project_faults_break_exactly_their_project_rules(
    task: str, limit: int, tmp_path: Path
) -> None:
    dataset = generate(
        "dents", out=tmp_path, seed=3, count=6, width=64, height=64, broken_fraction=0.5, task=task
    )
    entries = dataset.projects()
    assert {e["fault"] for e in entries} == {
        f.name for f in DATASET_FAULTS.values() if isinstance(f, ProjectFault) and not f.grow_to
    }
    for entry in entries:
        train, test = (tmp_path / key for key in entry["project"])
        assert len(test.read_text().splitlines()) > (limit if entry["line"] else 0)
        findings = validate_project(train, test)  # text only: the lines name no object
        errors = [(f.rule, f.line, f.source) for f in findings if f.severity is Severity.ERROR]
        warnings = {f.rule for f in findings if f.severity is Severity.WARNING}
        manifest = str(tmp_path / entry["manifest"])
        assert errors == [(rule, entry["line"], manifest) for rule in entry["rules"]], entry
        assert warnings == set(entry["warnings"]), entry
    assert entries[0]["line"] == limit + 1  # the first image past the test limit


def test_an_oversized_manifest_is_sparse_and_written_only_when_asked(tmp_path: Path) -> None:
    """`--faults manifest.file-size`: a train manifest 1 byte over 1 GB that takes no disk,
    refused by its size alone (test_s3.py: refused for S3 output; not in the default choice:
    test_project_faults_break_exactly_their_project_rules)."""
    dataset = _broken_mixed(tmp_path / "big", ["manifest.file-size"], 0.5)
    [entry] = dataset.projects()
    manifest = tmp_path / "big" / entry["manifest"]
    assert (entry["fault"], entry["project"], entry["line"]) == (
        "manifest-over-1gb",
        [entry["manifest"]],
        None,
    )
    assert manifest.stat().st_size == DATASET_FAULTS["manifest-over-1gb"].grow_to
    assert manifest.stat().st_size > synth.validate.MAX_MANIFEST_BYTES
    assert manifest.stat().st_blocks * 512 < 1 << 20  # sparse: under 1 MB on disk
    head = manifest.open("rb").readline()  # the valid lines it holds before the hole
    assert json.loads(head)["source-ref"].startswith("s3://")
    findings = validate_project(manifest)
    assert [(f.rule, f.severity, f.line) for f in findings] == [
        ("manifest.file-size", Severity.ERROR, None)
    ]
    assert entry["rules"] == ["manifest.file-size"]
    with pytest.raises(OutputError, match="without --shard"):  # a merge would copy 1 GB
        generate(
            "dents",
            out=tmp_path / "shard",
            shard=Shard(0, 2),
            broken_fraction=0.5,
            faults=["manifest.file-size"],
        )
    assert not (tmp_path / "shard").exists()  # refused before the output is touched


def test_a_project_rule_choice_writes_that_project_only(tmp_path: Path) -> None:
    dataset = _broken_mixed(tmp_path, ["dataset.training-minimum"], 0.5)
    assert [e["fault"] for e in dataset.projects()] == ["test-too-few-anomalies"]
    assert sorted(p.name for p in (tmp_path / "broken" / "projects").iterdir()) == [
        "expected.jsonl",
        "test-too-few-anomalies",
    ]
    assert not (tmp_path / "broken" / "projects" / "test-too-few-anomalies" / "images").exists()
