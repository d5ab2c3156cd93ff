"""creation-date forms: the ISO 8601 the docs show, other date-times real data carries, or none.

AWS's getting-started cookie dataset carries JavaScript `Date` strings
(`Mon Aug 22 2022 13:52:52 GMT-0700 (Pacific Daylight Time)`), and the service trained
on it: `mask.creation-date` makes such a form a warning, and a string that is no date-time an error.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import Enum

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]00:?00)?")
# _ISO with each field in its range and a day up to the 28th (group: the year): what
# fromisoformat accepts, found without parsing.
PLAIN_ISO = re.compile(
    r"([0-9]{4})-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?(?:Z|[+-]00:?00)?"
)
# Date.prototype.toString(): weekday, month, day, year, time, GMT offset, optional zone name.
_JS = re.compile(
    r"(?P<stamp>[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{4} \d{2}:\d{2}:\d{2}) "
    r"GMT(?P<offset>[+-]\d{4})( \([^()]*\))?"
)


class DateForm(Enum):
    ISO = "iso"  # a UTC ISO 8601 date-time, as the docs show
    OTHER = "other"  # a date-time in another common form (JavaScript, RFC 2822)


def date_form(value: object) -> DateForm | None:
    """The form of a creation-date, or None when it is not a UTC-readable date-time at all."""
    if not isinstance(value, str):
        return None
    plain = PLAIN_ISO.fullmatch(value)
    if plain and plain[1] != "0000":
        return DateForm.ISO  # every field in range, a day every month has: no calendar needed
    if _ISO.fullmatch(value):
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return DateForm.ISO
    return DateForm.OTHER if _other(value) else None


def _other(value: str) -> bool:
    js = _JS.fullmatch(value)
    try:
        if js:
            datetime.strptime(f"{js['stamp']} {js['offset']}", "%a %b %d %Y %H:%M:%S %z")
            return True
        # RFC 2822 / Date.prototype.toUTCString(), with a time: "Mon, 22 Aug 2022 20:52:52 GMT".
        # email.utils (socket, random, calendar...) only for such a date: a tenth of the
        # lines-only command's start-up otherwise.
        from email.utils import parsedate_to_datetime

        return ":" in value and parsedate_to_datetime(value) is not None
    except (ValueError, TypeError, IndexError):
        return False
