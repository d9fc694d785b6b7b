"""Standard times as SOPs write them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sopbot.engine.durations import DurationError, TimeUnit, parse_standard_time


@pytest.mark.parametrize(
    ("written", "amount", "unit", "working"),
    [
        ("5 Menit", "5", TimeUnit.MINUTE, True),
        ("60 Menit", "60", TimeUnit.MINUTE, True),
        ("5menit", "5", TimeUnit.MINUTE, True),
        ("5 MENIT", "5", TimeUnit.MINUTE, True),
        ("10 mnt", "10", TimeUnit.MINUTE, True),
        ("30 detik", "30", TimeUnit.SECOND, True),
        ("1 Jam", "1", TimeUnit.HOUR, True),
        ("2 jam", "2", TimeUnit.HOUR, True),
        ("1 hari", "1", TimeUnit.WORKING_DAY, True),
        ("1 Hari", "1", TimeUnit.WORKING_DAY, True),
        ("0,5 Hari", "0.5", TimeUnit.WORKING_DAY, True),
        ("1.5 hari", "1.5", TimeUnit.WORKING_DAY, True),
        ("3 Hari Kerja", "3", TimeUnit.WORKING_DAY, True),
        ("  4   Hari  ", "4", TimeUnit.WORKING_DAY, True),
        ("1 minggu", "1", TimeUnit.WEEK, True),
        ("14 hari kalender", "14", TimeUnit.CALENDAR_DAY, False),
        ("2 x 24 jam", "2", TimeUnit.CALENDAR_DAY, False),
        ("1x24 Jam", "1", TimeUnit.CALENDAR_DAY, False),
    ],
)
def test_reads_the_ways_sops_write_times(
    written: str, amount: str, unit: TimeUnit, working: bool
) -> None:
    parsed = parse_standard_time(written)
    assert parsed.as_written == written
    assert parsed.amount == Decimal(amount)
    assert parsed.unit is unit
    assert parsed.working_time is working


def test_fixed_lengths_and_working_days() -> None:
    assert parse_standard_time("60 Menit").seconds == 3600
    assert parse_standard_time("30 detik").seconds == 30
    assert parse_standard_time("2 x 24 jam").seconds == 2 * 86400
    assert parse_standard_time("1 Hari").seconds is None  # depends on the agency's calendar
    assert parse_standard_time("0,5 Hari").working_days == Decimal("0.5")
    assert parse_standard_time("2 minggu").working_days == Decimal(10)
    assert parse_standard_time("5 Menit").working_days is None
    assert parse_standard_time("1 hari").counts_days
    assert not parse_standard_time("1 jam").counts_days


def test_describe_normalises_the_wording() -> None:
    assert parse_standard_time("0,5 Hari").describe() == "0,5 hari kerja"
    assert parse_standard_time("60 Menit").describe() == "60 menit"


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (
            "5 mnit",
            "cannot read the time '5 mnit'; write a number and a unit, e.g. '5 Menit', "
            "'2 Jam', '1 Hari' (units: detik, menit, jam, hari, hari kerja, hari kalender, "
            "minggu)",
        ),
        (
            "Menit",
            "cannot read the time 'Menit'; write a number and a unit, e.g. '5 Menit', "
            "'2 Jam', '1 Hari' (units: detik, menit, jam, hari, hari kerja, hari kalender, "
            "minggu)",
        ),
        ("1-2 Hari", "'1-2 Hari' is a range; write the standard time as one value, e.g. '2 Hari'"),
        ("0 Menit", "the time '0 Menit' must be more than zero"),
        ("   ", "the time is empty; write a number and a unit, e.g. '5 Menit'"),
    ],
)
def test_unreadable_times_say_how_to_write_them(written: str, message: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_standard_time(written)
    assert str(caught.value) == message


_UNIT_SPELLINGS = st.sampled_from(
    ["detik", "Detik", "menit", "Menit", "MENIT", "jam", "Jam", "hari", "Hari", "hari kerja"]
)


@given(
    whole=st.integers(min_value=1, max_value=10_000),
    unit=_UNIT_SPELLINGS,
    space=st.sampled_from(["", " ", "  "]),
)
def test_any_positive_amount_with_any_spelling_parses(whole: int, unit: str, space: str) -> None:
    parsed = parse_standard_time(f"{whole}{space}{unit}")
    assert parsed.amount == whole
    assert parsed.working_time


@given(st.text(max_size=30))
def test_never_fails_with_anything_but_a_duration_error(text: str) -> None:
    try:
        parsed = parse_standard_time(text)
    except DurationError:
        return
    assert parsed.amount > 0
