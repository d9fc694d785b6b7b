"""The words the monitoring documents write figures in: working time in working days, shares,
the trend against the previous period, and "–" for what was not measured."""

from __future__ import annotations

import datetime as dt

import pytest

from sopbot.documents.page_format import paper_size
from sopbot.documents.report_words import (
    date_text,
    difference_text,
    month_text,
    period_text,
    share_text,
    span_text,
    trend_text,
    working_day_text,
    working_time_text,
)
from tests.helpers import monitoring_values

DAY = 7.5 * 3600


@pytest.mark.parametrize(
    ("seconds", "day", "written"),
    [
        (None, DAY, "–"),
        (0, DAY, "0 menit"),
        (30, DAY, "< 1 menit"),
        (15 * 60, DAY, "15 menit"),
        (2 * 3600 + 15 * 60, DAY, "2 jam 15 menit"),
        (DAY, DAY, "1 hari"),
        (DAY + 3 * 3600, DAY, "1 hari 3 jam"),
        (DAY + 3 * 3600 + 20 * 60, DAY, "1 hari 3 jam"),  # two units, as short_duration
        (250 * DAY, DAY, "250 hari"),
        (1250 * DAY, DAY, "1.250 hari"),
        (DAY + 3 * 3600, None, "10 jam 30 menit"),  # no day's length: hours
    ],
)
def test_working_time_reads_in_working_days_hours_and_minutes(
    seconds: float | None, day: float | None, written: str
) -> None:
    assert working_time_text(seconds, day) == written


def test_a_difference_carries_its_sign() -> None:
    assert difference_text(DAY + 3600, DAY) == "+1 hari 1 jam"
    assert difference_text(-15 * 60, DAY) == "-15 menit"
    assert difference_text(None, DAY) == "–"


@pytest.mark.parametrize(
    ("share", "written"),
    [
        (None, "–"),
        (0.0, "0%"),
        (1.0, "100%"),
        (0.84, "84%"),
        (0.8449, "84%"),
        (0.996, "99,6%"),  # not quite all is not written as all
        (0.003, "0,3%"),
    ],
)
def test_a_share_is_a_percentage_and_nothing_measured_is_a_dash(
    share: float | None, written: str
) -> None:
    assert share_text(share) == written


def test_the_trend_names_the_change_in_points_and_the_previous_share() -> None:
    assert trend_text(0.84, 0.65) == "naik 19 poin dari 65%"
    assert trend_text(0.6, 0.8) == "turun 20 poin dari 80%"
    assert trend_text(0.8, 0.8) == "sama dengan periode sebelumnya (80%)"
    assert trend_text(0.8, None) == "periode sebelumnya belum ada langkah yang diukur"
    assert trend_text(None, 0.8) == "belum ada langkah yang diukur pada periode ini"


def test_the_trend_names_the_previous_period_when_given() -> None:
    span = "1 Juli 2025 s.d. 31 Desember 2025"
    assert trend_text(0.84, 0.65, span) == f"naik 19 poin dari 65% ({span})"
    assert trend_text(0.6, 0.8, span) == f"turun 20 poin dari 80% ({span})"
    assert trend_text(0.8, 0.8, span) == f"sama dengan periode sebelumnya ({span}: 80%)"
    assert trend_text(0.8, None, span) == (
        f"periode sebelumnya ({span}) belum ada langkah yang diukur"
    )
    assert span_text(dt.date(2025, 7, 1), dt.date(2025, 12, 31)) == span


def test_dates_months_and_the_period_in_indonesian() -> None:
    header = monitoring_values.header()
    assert date_text(dt.date(2026, 8, 17)) == "17 Agustus 2026"
    assert month_text(dt.date(2026, 5, 1)) == "Mei 2026"
    assert period_text(header) == "1 Januari 2026 s.d. 31 Januari 2027"
    assert working_day_text(header) == "1 hari = 1 hari kerja (7 jam 30 menit)"
    assert working_day_text(monitoring_values.header(day=None)) == "waktu ditulis dalam jam kerja"


def test_f4_and_a4_landscape_and_an_unknown_paper_refused() -> None:
    width, height = paper_size("F4", wide=True)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (330, 215)
    width, height = paper_size("A4", wide=False)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)
    with pytest.raises(ValueError, match="unknown paper 'Letter': write one of F4, A4"):
        paper_size("Letter", wide=True)  # type: ignore[arg-type]
