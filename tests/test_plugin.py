"""The pytest plugin and strategies, used as another project would: the fixtures come from the
installed plugin, not a conftest (the project's conftest only sets Hypothesis as this suite
runs it), in a subprocess."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from synth.testing import every_case
from tests.helpers import hypothesis_conftest

pytest_plugins = ["pytester"]


@pytest.mark.slow
def test_fixtures_and_strategies_in_a_project_of_its_own(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(hypothesis_conftest())
    pytester.makepyfile(
        test_user="""
        import json
        from pathlib import Path

        import pytest
        from hypothesis import given, settings
        from synth.testing import every_case, manifest_cases
        from synth.validate import validate_manifest


        def test_local_dataset(synth_dataset):
            dataset = synth_dataset("dents", count=3)
            lines = Path(dataset.manifest_location("train")).read_text().splitlines()
            assert [json.loads(line)["source-ref"][:5] for line in lines] == ["s3://"] * len(lines)


        def test_same_arguments_same_dataset(synth_dataset):
            assert synth_dataset("dents", count=3) is synth_dataset("dents", count=3)


        def test_the_seed_is_fixed_not_the_test_name(synth_dataset, synth_seed):
            dataset = synth_dataset("dents", count=3)
            assert dataset is synth_dataset("dents", count=3, seed=synth_seed)


        class TestAnotherSeed:
            @pytest.fixture
            def synth_seed(self):
                return 12345

            def test_overridden(self, synth_dataset):
                other = synth_dataset("dents", count=3)
                assert other is synth_dataset("dents", count=3, seed=12345)
                assert other.records() != synth_dataset("dents", count=3, seed=0).records()


        @pytest.mark.parametrize("case", every_case(objects=False))
        def test_every_case(case):
            errors = {f.rule for f in validate_manifest(case.manifest) if f.severity == "error"}
            assert errors == case.expected_rules


        def test_broken_dataset_knows_its_rules(synth_dataset):
            dataset = synth_dataset("mixed", count=6, broken_fraction=1.0, faults=["mask.type"])
            assert {tuple(e["rules"]) for e in dataset.expected()} == {("mask.type",)}


        def test_mocked_bucket(synth_s3):
            bucket = synth_s3("mixed", count=2)
            listing = bucket.client.list_objects_v2(Bucket="synth-test")["Contents"]
            keys = [o["Key"] for o in listing]
            assert "dataset/train.manifest" in keys
            assert bucket.manifest_uri == "s3://synth-test/dataset/train.manifest"


        @settings(max_examples=20, deadline=None)
        @given(manifest_cases(valid=False, objects=False))
        def test_strategy(case):
            errors = {f.rule for f in validate_manifest(case.manifest) if f.severity == "error"}
            assert errors == case.expected_rules
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    cases = len(every_case(objects=False))
    result.assert_outcomes(passed=7 + cases)
    assert "synth_dataset_cache" not in result.stdout.str()


@pytest.mark.slow
def test_fixtures_list_no_private_cache(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider")
    listing = result.stdout.str()
    assert "synth_seed" in listing
    assert "synth_dataset_cache" not in listing  # private fixtures are listed only with -v


def test_plugin_module_imports_nothing_heavy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, synth.testing.pytest_plugin; "
        "print(sorted(m for m in ('numpy', 'PIL', 'boto3', 'moto') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_example_finds_the_toy_validators_bug() -> None:
    example = runpy.run_path(str(Path(__file__).parents[1] / "examples" / "test_toy_validator.py"))
    example["test_fuzzing_finds_the_upper_case_bug"]()


@pytest.mark.slow
def test_a_test_writes_to_its_own_copy_of_a_shared_dataset(pytester: pytest.Pytester) -> None:
    """Datasets are built once a session, but what one test writes no other test sees."""
    pytester.makepyfile(
        test_writes="""
        from pathlib import Path


        def test_writes(synth_dataset):
            dataset = synth_dataset("dents", count=3)
            Path(dataset.manifest_location("train")).write_text("mine\\n")
            next(Path(dataset.location, "images").iterdir()).unlink()
            assert synth_dataset("dents", count=3) is dataset


        def test_reads(synth_dataset):
            dataset = synth_dataset("dents", count=3)
            assert Path(dataset.manifest_location("train")).read_text() != "mine\\n"
            assert len(list(Path(dataset.location, "images").iterdir())) == 3
            assert dataset.read(dataset.manifest_key("train")) != b"mine\\n"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
