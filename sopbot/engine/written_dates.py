"""Dates as SOP headers write them: "4 Mei 2026", "01 Maret 2021", "-" or a blank cell."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_MONTHS = {
    "januari": 1,
    "jan": 1,
    "februari": 2,
    "pebruari": 2,
    "feb": 2,
    "maret": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "mei": 5,
    "juni": 6,
    "jun": 6,
    "juli": 7,
    "jul": 7,
    "agustus": 8,
    "agu": 8,
    "agt": 8,
    "ags": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "okt": 10,
    "nopember": 11,
    "november": 11,
    "nov": 11,
    "desember": 12,
    "des": 12,
}
_WORDS = re.compile(r"^(?P<day>\d{1,2})\s+(?P<month>[a-z]+)\.?\s+(?P<year>\d{4})$")
_ISO = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})$")
_NUMERIC = re.compile(r"^(?P<day>\d{1,2})[/.-](?P<month>\d{1,2})[/.-](?P<year>\d{4})$")
# A dash or an empty cell means "no date" (e.g. never revised).
_BLANKS = frozenset({"", "-", "–", "—"})


class WrittenDateError(ValueError):
    """A header date that cannot be read; the message says how to write it."""


@dataclass(frozen=True, slots=True)
class WrittenDate:
    """A header date: the cell as written and the calendar date it names (None when blank)."""

    as_written: str
    value: dt.date | None

    @property
    def is_blank(self) -> bool:
        """True when the document leaves the date empty or writes "-"."""
        return self.value is None


def parse_written_date(text: str, *, none_hint: str = "'-' when there is none") -> WrittenDate:
    """Read an Indonesian header date, an ISO date or a d/m/yyyy date; blanks give value None.

    `none_hint` ends the message for an unreadable date: how to write that there is no date.
    """
    normalised = " ".join(text.strip().lower().split())
    if normalised in _BLANKS:
        return WrittenDate(text, None)
    for pattern in (_WORDS, _ISO, _NUMERIC):
        match = pattern.match(normalised)
        if match is None:
            continue
        month_text = match["month"]
        month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text)
        if month is None:
            break
        try:
            return WrittenDate(text, dt.date(int(match["year"]), month, int(match["day"])))
        except ValueError:
            raise WrittenDateError(
                f"the date '{text}' does not exist; check the day and the month"
            ) from None
    raise WrittenDateError(
        f"cannot read the date '{text}'; write it as in the document, e.g. '4 Mei 2026', "
        f"or as 2026-05-04 ({none_hint})"
    )


def parse_day(text: str) -> dt.date:
    """A date as officials type it ("30/08/2026", "30 Agustus 2026", "2026-08-30")."""
    value = parse_written_date(text).value
    if value is None:
        raise WrittenDateError(f"'{text}' is not a date")
    return value
