"""Seconds read from the environment: a number above 0 and at most the bound, else one line."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synth import environment
from synth.errors import OutputError

NAME = "SYNTH_TEST_SECONDS"


def test_unset_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NAME, raising=False)
    assert environment.seconds(NAME, 15.0, 60.0, OutputError) == 15.0


# What an environment can hold: no NUL, no lone surrogate.
TEXT = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=8)


@given(st.floats(allow_nan=True, allow_infinity=True) | TEXT)
def test_a_value_is_taken_exactly_when_it_is_a_bounded_positive_number(value: float | str) -> None:
    text = str(value)
    with pytest.MonkeyPatch.context() as patch:
        if text:
            patch.setenv(NAME, text)
        else:
            patch.delenv(NAME, raising=False)
        try:
            number = float(text) if text else 15.0
        except ValueError:
            number = math.nan
        if 0 < number <= 60:
            assert environment.seconds(NAME, 15.0, 60.0, OutputError) == number
        else:
            with pytest.raises(OutputError, match=f"^{NAME}=.*: must be a number of seconds"):
                environment.seconds(NAME, 15.0, 60.0, OutputError)
