"""Quantities as each language writes them: one helper for counts, sizes and standard times."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sopbot.engine.durations import parse_standard_time
from sopbot.messaging.catalog import Language
from sopbot.messaging.formatting import short_duration
from sopbot.messaging.numbers import megabytes, quantity, standard_time

MB = 1024 * 1024


def test_indonesian_groups_with_a_dot_and_marks_decimals_with_a_comma() -> None:
    assert quantity(21.0, Language.ID, decimals=1) == "21,0"
    assert quantity(1250, Language.ID) == "1.250"
    assert quantity(1234567.891, Language.ID, decimals=2) == "1.234.567,89"
    assert quantity(Decimal("0.5"), Language.ID, decimals=1) == "0,5"


def test_english_groups_with_a_comma_and_marks_decimals_with_a_point() -> None:
    assert quantity(21.0, Language.EN, decimals=1) == "21.0"
    assert quantity(1250, Language.EN) == "1,250"
    assert quantity(1234567.891, Language.EN, decimals=2) == "1,234,567.89"


def test_file_sizes_in_megabytes() -> None:
    assert megabytes(21 * MB, Language.ID) == "21,0"
    assert megabytes(21 * MB, Language.EN) == "21.0"
    assert megabytes(20 * MB + 1, Language.ID) == "20,0"
    assert megabytes(1536 * MB, Language.ID) == "1.536,0"


def test_long_durations_group_their_thousands() -> None:
    assert short_duration(1200 * 86400, Language.ID) == "1.200 hari"
    assert short_duration(1200 * 86400, Language.EN) == "1,200 d"


@pytest.mark.parametrize(
    ("written", "indonesian", "english"),
    [
        ("5 Menit", "5 menit", "5 min"),
        ("5 menit", "5 menit", "5 min"),
        ("1 Jam", "1 jam", "1 h"),
        ("0,5 Hari", "0,5 hari kerja", "0.5 working days"),
        ("1 hari", "1 hari kerja", "1 working day"),
        ("2 x 24 Jam", "2 hari kalender", "2 calendar days"),
        ("1 Minggu", "1 minggu", "1 week"),
        ("5 Menit/berkas", "5 menit per berkas", "5 min per berkas"),
        ("1 jam 30 menit", "90 menit", "90 min"),
        ("1½ hari", "1,5 hari kerja", "1.5 working days"),
        ("1 bulan", "1 bulan", "1 month"),
        ("3 (tiga) bulan", "3 bulan", "3 months"),
    ],
)
def test_a_standard_time_reads_in_the_style_of_our_own_units(
    written: str, indonesian: str, english: str
) -> None:
    standard = parse_standard_time(written)
    assert standard_time(standard, Language.ID) == indonesian
    assert standard_time(standard, Language.EN) == english
