"""Header dates as SOPs write them."""

from __future__ import annotations

import datetime as dt

import pytest

from sopbot.engine.written_dates import WrittenDateError, parse_written_date


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("4 Mei 2026", dt.date(2026, 5, 4)),
        ("01 Maret 2021", dt.date(2021, 3, 1)),
        ("1 Agustus 2023", dt.date(2023, 8, 1)),
        ("4 Oktober 2023", dt.date(2023, 10, 4)),
        ("17 Agt 2024", dt.date(2024, 8, 17)),
        ("30 Nopember 2025", dt.date(2025, 11, 30)),
        ("2026-05-04", dt.date(2026, 5, 4)),
        ("04/05/2026", dt.date(2026, 5, 4)),
        ("-", None),
        ("", None),
    ],
)
def test_reads_header_dates(written: str, expected: dt.date | None) -> None:
    parsed = parse_written_date(written)
    assert parsed.value == expected
    assert parsed.as_written == written


@pytest.mark.parametrize("written", ["4 Mai 2026", "Mei 2026", "2026/13/01", "kemarin"])
def test_unreadable_dates_say_how_to_write_them(written: str) -> None:
    with pytest.raises(WrittenDateError) as caught:
        parse_written_date(written)
    assert str(caught.value) == (
        f"cannot read the date '{written}'; write it as in the document, e.g. '4 Mei 2026', "
        "or as 2026-05-04 ('-' when there is none)"
    )


@pytest.mark.parametrize("written", ["31 Februari 2026", "2026-02-30", "31/04/2026"])
def test_dates_that_do_not_exist_are_named_as_such(written: str) -> None:
    with pytest.raises(WrittenDateError) as caught:
        parse_written_date(written)
    assert str(caught.value) == (
        f"the date '{written}' does not exist; check the day and the month"
    )
