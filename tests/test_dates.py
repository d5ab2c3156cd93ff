"""The ISO form of creation-date: each field's range in a pattern, the calendar from Python."""

from __future__ import annotations

import re
from datetime import datetime

from hypothesis import example, given
from hypothesis import strategies as st

from synth.validate.dates import DateForm, date_form

# mask.creation-date (docs/rules.md): an ISO 8601 date-time in UTC Python's datetime accepts.
_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]00:?00)?")


def _reference(value: str) -> bool:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    return bool(_SHAPE.fullmatch(value)) and parsed is not None


_digits = st.text("0123456789", min_size=2, max_size=2)
_dates = st.builds(
    "{}-{}-{}T{}:{}:{}{}{}".format,
    st.text("0123456789", min_size=4, max_size=4) | st.sampled_from(["2024", "2023", "0000"]),
    _digits | st.sampled_from(["02", "12", "13", "00"]),
    _digits | st.sampled_from(["28", "29", "30", "31", "32", "00"]),
    _digits | st.sampled_from(["23", "24"]),
    _digits,
    _digits | st.sampled_from(["59", "60"]),
    st.sampled_from(["", ".1", ".123456", ".1234567"]),
    st.sampled_from(["", "Z", "+00:00", "-0000", "+01:00", "z"]),
)


@given(_dates | st.from_regex(_SHAPE, fullmatch=True) | st.text(max_size=40))
@example("2024-02-29T10:00:00Z")
@example("2023-02-29T10:00:00Z")
@example("0000-01-01T00:00:00")
@example("٢٠٢٢-03-28T10:14:53")
def test_date_check_is_shape_then_calendar(value: str) -> None:
    assert (date_form(value) is DateForm.ISO) == _reference(value)
