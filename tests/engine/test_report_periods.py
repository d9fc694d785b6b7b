"""The periods a report covers: picked by a button or written on the command line."""

from __future__ import annotations

import datetime as dt

import pytest

from sopbot.engine.compliance import InvalidPeriod, Period
from sopbot.engine.report_periods import NamedPeriod, named_period, written_period

D = dt.date


@pytest.mark.parametrize(
    ("name", "today", "expected"),
    [
        (NamedPeriod.THIS_MONTH, D(2026, 12, 6), (D(2026, 12, 1), D(2026, 12, 6))),
        (NamedPeriod.LAST_MONTH, D(2026, 12, 6), (D(2026, 11, 1), D(2026, 11, 30))),
        (NamedPeriod.LAST_MONTH, D(2026, 1, 15), (D(2025, 12, 1), D(2025, 12, 31))),
        (NamedPeriod.LAST_MONTH, D(2024, 3, 31), (D(2024, 2, 1), D(2024, 2, 29))),
        (NamedPeriod.THIS_SEMESTER, D(2026, 12, 6), (D(2026, 7, 1), D(2026, 12, 6))),
        (NamedPeriod.THIS_SEMESTER, D(2026, 6, 30), (D(2026, 1, 1), D(2026, 6, 30))),
        (NamedPeriod.LAST_SEMESTER, D(2026, 12, 6), (D(2026, 1, 1), D(2026, 6, 30))),
        (NamedPeriod.LAST_SEMESTER, D(2026, 3, 1), (D(2025, 7, 1), D(2025, 12, 31))),
        (NamedPeriod.THIS_YEAR, D(2026, 12, 6), (D(2026, 1, 1), D(2026, 12, 6))),
        (NamedPeriod.LAST_YEAR, D(2026, 12, 6), (D(2025, 1, 1), D(2025, 12, 31))),
        (NamedPeriod.LAST_12_MONTHS, D(2026, 12, 6), (D(2026, 1, 1), D(2026, 12, 6))),
        (NamedPeriod.LAST_12_MONTHS, D(2026, 3, 31), (D(2025, 4, 1), D(2026, 3, 31))),
    ],
)
def test_a_named_period_is_seen_from_today(
    name: NamedPeriod, today: dt.date, expected: tuple[dt.date, dt.date]
) -> None:
    assert named_period(name, today) == Period(*expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025", (D(2025, 1, 1), D(2025, 12, 31))),
        ("2025-s1", (D(2025, 1, 1), D(2025, 6, 30))),
        ("2025-S2", (D(2025, 7, 1), D(2025, 12, 31))),
        ("2025-Q1", (D(2025, 1, 1), D(2025, 3, 31))),
        ("2024-q1", (D(2024, 1, 1), D(2024, 3, 31))),
        ("2025-q4", (D(2025, 10, 1), D(2025, 12, 31))),
        ("2024-02", (D(2024, 2, 1), D(2024, 2, 29))),
        (" 2025-12 ", (D(2025, 12, 1), D(2025, 12, 31))),
        # A period still running ends today.
        ("2026", (D(2026, 1, 1), D(2026, 12, 6))),
        ("2026-S2", (D(2026, 7, 1), D(2026, 12, 6))),
    ],
)
def test_a_written_period(text: str, expected: tuple[dt.date, dt.date]) -> None:
    assert written_period(text, D(2026, 12, 6)) == Period(*expected)


@pytest.mark.parametrize("text", ["", "26", "2026-13", "2026-0", "2026-S3", "2026-Q5", "kemarin"])
def test_an_unreadable_period_says_what_to_write(text: str) -> None:
    with pytest.raises(InvalidPeriod, match="2026-S1"):
        written_period(text, D(2026, 12, 6))


def test_a_period_that_has_not_begun_is_refused() -> None:
    with pytest.raises(InvalidPeriod, match="not begun"):
        written_period("2027", D(2026, 12, 6))
