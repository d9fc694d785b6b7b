"""Standard times as SOPs write them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sopbot.engine.durations import DurationError, TimeUnit, parse_standard_time

_KEEP = (
    "or keep the document's wording and give the standard to count: "
    "'waktu: {tertulis: ..., baku: ...}'"
)
_FORMS = (
    "write a number and a unit, e.g. '5 Menit', '2 Jam', '1 Hari', '1 jam 30 menit', "
    "'1/2 hari', '5 menit/berkas' (units: detik, menit, jam, hari, hari kerja, hari kalender, "
    f"minggu, bulan), {_KEEP}"
)


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


@pytest.mark.parametrize(
    ("written", "amount", "unit", "per"),
    [
        # approximate or a ceiling: the number is the standard
        ("± 5 menit", "5", TimeUnit.MINUTE, None),
        ("±5 Menit", "5", TimeUnit.MINUTE, None),
        ("+/- 5 menit", "5", TimeUnit.MINUTE, None),
        ("kurang lebih 5 menit", "5", TimeUnit.MINUTE, None),
        ("Kurang Lebih 2 Jam", "2", TimeUnit.HOUR, None),
        ("maks. 5 menit", "5", TimeUnit.MINUTE, None),
        ("Maksimal 3 Hari", "3", TimeUnit.WORKING_DAY, None),
        ("paling lama 1 hari", "1", TimeUnit.WORKING_DAY, None),
        # the number in words, in brackets
        ("1 (satu) hari", "1", TimeUnit.WORKING_DAY, None),
        ("1 (Satu) Hari Kerja", "1", TimeUnit.WORKING_DAY, None),
        ("12 (dua belas) hari", "12", TimeUnit.WORKING_DAY, None),
        ("14 (empat belas) hari kalender", "14", TimeUnit.CALENDAR_DAY, None),
        ("25 (dua puluh lima) menit", "25", TimeUnit.MINUTE, None),
        ("10 (sepuluh) menit", "10", TimeUnit.MINUTE, None),
        ("1 1/2 (satu setengah) hari", "1.5", TimeUnit.WORKING_DAY, None),
        # compound: the parts add up, in the smallest unit written
        ("1 jam 30 menit", "90", TimeUnit.MINUTE, None),
        ("1 Jam 30 Menit", "90", TimeUnit.MINUTE, None),
        ("2 menit 30 detik", "150", TimeUnit.SECOND, None),
        ("1 (satu) jam 30 (tiga puluh) menit", "90", TimeUnit.MINUTE, None),
        # fractions
        ("1/2 hari", "0.5", TimeUnit.WORKING_DAY, None),
        ("1½ hari", "1.5", TimeUnit.WORKING_DAY, None),
        ("½ Hari", "0.5", TimeUnit.WORKING_DAY, None),
        ("1 1/2 hari", "1.5", TimeUnit.WORKING_DAY, None),
        ("3/4 jam", "0.75", TimeUnit.HOUR, None),
        # months: calendar months
        ("1 bulan", "1", TimeUnit.CALENDAR_MONTH, None),
        ("3 (tiga) Bulan", "3", TimeUnit.CALENDAR_MONTH, None),
        # per unit of work
        ("5 Menit/berkas", "5", TimeUnit.MINUTE, "berkas"),
        ("5 menit / berkas", "5", TimeUnit.MINUTE, "berkas"),
        ("5 menit per berkas", "5", TimeUnit.MINUTE, "berkas"),
        ("5 menit tiap dokumen", "5", TimeUnit.MINUTE, "dokumen"),
        ("10 menit setiap pemohon", "10", TimeUnit.MINUTE, "pemohon"),
        ("± 15 menit/surat", "15", TimeUnit.MINUTE, "surat"),
        # working time said twice
        ("2 jam kerja", "2", TimeUnit.HOUR, None),
        ("3 hari kerja", "3", TimeUnit.WORKING_DAY, None),
    ],
)
def test_reads_the_forms_real_sops_write(
    written: str, amount: str, unit: TimeUnit, per: str | None
) -> None:
    parsed = parse_standard_time(written)
    assert parsed.as_written == written  # kept exactly as the document writes it
    assert parsed.amount == Decimal(amount)
    assert parsed.unit is unit
    assert parsed.per == per


def test_a_per_unit_time_names_its_unit_when_described() -> None:
    assert parse_standard_time("5 Menit/berkas").describe() == "5 menit per berkas"
    assert parse_standard_time("1 jam 30 menit").describe() == "90 menit"


@pytest.mark.parametrize(
    ("written", "shows"),
    [
        ("30 detik", True),
        ("90 detik", True),
        ("2 menit 30 detik", True),
        ("0,5 menit", True),
        ("60 detik", False),
        ("5 menit", False),
        ("1 jam", False),
        ("1 hari", False),
        ("2 x 24 jam", False),
        ("1 bulan", False),
    ],
)
def test_seconds_are_shown_only_where_the_standard_has_them(written: str, shows: bool) -> None:
    assert parse_standard_time(written).shows_seconds is shows


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (
            "1 (dua) hari",
            "'1 (dua) hari' says 1 in digits but 'dua' in words; correct the one that is wrong",
        ),
        (
            "2 (dua puluh) menit",
            "'2 (dua puluh) menit' says 2 in digits but 'dua puluh' in words; correct the one "
            "that is wrong",
        ),
        (
            "1 (one) hari",
            "cannot read '(one)' in '1 (one) hari' as a number in words; write it as the "
            "document does, e.g. '1 (satu) hari', or leave the words out",
        ),
        (
            "1 hari 2 jam",
            "cannot add up the time '1 hari 2 jam': only jam, menit and detik combine, largest "
            "first, each once ('1 jam 30 menit'); write days as one number, e.g. '1,5 hari'",
        ),
        (
            "30 menit 1 jam",
            "cannot add up the time '30 menit 1 jam': only jam, menit and detik combine, "
            "largest first, each once ('1 jam 30 menit'); write days as one number, e.g. "
            "'1,5 hari'",
        ),
        ("1/0 hari", "the fraction in '1/0 hari' divides by zero"),
        (
            "1,5 bulan",
            "'1,5 bulan' is part of a month; a month has no fixed length, so write the time "
            "in days, e.g. '10 hari'",
        ),
        (
            "± 1-2 hari",
            "'± 1-2 hari' is a range; write the standard time as one value, e.g. '2 Hari', "
            f"{_KEEP}",
        ),
        (
            "1 sampai dengan 3 hari",
            "'1 sampai dengan 3 hari' is a range; write the standard time as one value, e.g. "
            f"'2 Hari', {_KEEP}",
        ),
        ("segera", f"cannot read the time 'segera'; {_FORMS}"),
        ("sesuai jadwal", f"cannot read the time 'sesuai jadwal'; {_FORMS}"),
        ("5 menit per", f"cannot read the time '5 menit per'; {_FORMS}"),
        ("minimal 5 menit", f"cannot read the time 'minimal 5 menit'; {_FORMS}"),
    ],
)
def test_unreadable_forms_are_refused_with_a_reason(written: str, message: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_standard_time(written)
    assert str(caught.value) == message


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
            f"cannot read the time '5 mnit'; {_FORMS}",
        ),
        (
            "Menit",
            f"cannot read the time 'Menit'; {_FORMS}",
        ),
        (
            "1-2 Hari",
            f"'1-2 Hari' is a range; write the standard time as one value, e.g. '2 Hari', {_KEEP}",
        ),
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
