"""A Plt/Plh term's start and end as admins write them: a day, or a day and a time of day, in
the agency's time zone; read back as written."""

from __future__ import annotations

import datetime as dt

import pytest

from sopbot.engine.term_times import (
    TermTimeError,
    TermTimeProblem,
    WrittenMoment,
    end_as_written,
    read_moment,
    start_as_written,
    term_end,
    term_start,
)

WIB = "Asia/Jakarta"
WITA = "Asia/Makassar"
JULY_10 = dt.date(2026, 7, 10)


@pytest.mark.parametrize(
    "written",
    [
        "2026-07-10 16:00",
        "2026-07-10T16:00",
        "10 Juli 2026 16.00",
        "10 juli 2026, 16:00",
        "10/07/2026 16.00",
        "10-07-2026 pukul 16.00",
        "10 Juli 2026 jam 16.00 WIB",
        "  10   Jul   2026   16:00 ",
    ],
)
def test_a_day_and_a_time(written: str) -> None:
    assert read_moment(written, WIB) == WrittenMoment(JULY_10, dt.time(16, 0))


@pytest.mark.parametrize("written", ["2026-07-10", "10 Juli 2026", "10/07/2026", "10.07.2026"])
def test_a_day(written: str) -> None:
    assert read_moment(written, WIB) == WrittenMoment(JULY_10)


def test_a_day_starts_at_its_first_moment_and_ends_at_its_last() -> None:
    day = WrittenMoment(JULY_10)
    assert term_start(day, WIB) == dt.datetime(2026, 7, 9, 17, 0, tzinfo=dt.UTC)  # 00.00 WIB
    assert term_end(day, WIB) == dt.datetime(2026, 7, 10, 17, 0, tzinfo=dt.UTC)  # 24.00 WIB
    afternoon = WrittenMoment(JULY_10, dt.time(16, 0))
    assert term_end(afternoon, WITA) == dt.datetime(2026, 7, 10, 8, 0, tzinfo=dt.UTC)


def test_what_is_stored_reads_back_as_written() -> None:
    for moment in (WrittenMoment(JULY_10), WrittenMoment(JULY_10, dt.time(16, 30))):
        assert start_as_written(term_start(moment, WITA), WITA) == moment
        assert end_as_written(term_end(moment, WITA), WITA) == moment


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("besok", TermTimeProblem.UNREADABLE),
        ("2026-07-10 16", TermTimeProblem.UNREADABLE),
        ("2026-07-10 16:00:00", TermTimeProblem.UNREADABLE),
        ("", TermTimeProblem.UNREADABLE),
        ("-", TermTimeProblem.UNREADABLE),
        ("31 Juni 2026", TermTimeProblem.NO_SUCH_DATE),
        ("2026-13-01", TermTimeProblem.NO_SUCH_DATE),
        ("2026-07-10 24:00", TermTimeProblem.NO_SUCH_TIME),
        ("2026-07-10 16:60", TermTimeProblem.NO_SUCH_TIME),
        ("10 Juli 2026 16.00 WITA", TermTimeProblem.OTHER_ZONE),
    ],
)
def test_what_cannot_be_read_says_why(written: str, problem: TermTimeProblem) -> None:
    with pytest.raises(TermTimeError) as refused:
        read_moment(written, WIB)
    assert refused.value.problem is problem
