"""Telegram's limits and Indonesian times."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from sopbot.messaging.catalog import Language
from sopbot.messaging.formatting import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    escape,
    fit_caption,
    local_clock,
    local_date,
    local_time,
    short_duration,
    split_message,
)
from sopbot.messaging.keyboards import CALLBACK_LIMIT, Action, callback, decode


@given(st.lists(st.text(max_size=300), max_size=60))
def test_split_keeps_every_part_within_the_limit_and_loses_nothing(lines: list[str]) -> None:
    text = "\n".join(lines)
    parts = split_message(text, limit=500)
    assert all(len(part) <= 500 for part in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_split_prefers_line_breaks() -> None:
    lines = [f"baris {n:04d} " + "x" * 90 for n in range(100)]
    parts = split_message("\n".join(lines))
    assert len(parts) == 3
    assert all(len(p) <= MESSAGE_LIMIT for p in parts)
    assert all(p.startswith("baris") for p in parts)


def test_captions_fit() -> None:
    assert len(fit_caption("x" * 5000)) == CAPTION_LIMIT
    assert fit_caption("pendek") == "pendek"


def test_local_times_in_indonesian_zones() -> None:
    moment = dt.datetime(2026, 7, 6, 1, 30, tzinfo=dt.UTC)
    assert local_time(moment, "Asia/Makassar", Language.ID) == "Senin, 6 Juli 2026 09.30 WITA"
    assert local_time(moment, "Asia/Jakarta", Language.ID) == "Senin, 6 Juli 2026 08.30 WIB"
    assert local_time(moment, "Asia/Jayapura", Language.EN) == "Mon 6 Jul 2026, 10:30 WIT"


def test_the_day_and_the_time_of_day_apart() -> None:
    late_evening = dt.datetime(2026, 7, 6, 16, 45, tzinfo=dt.UTC)  # already Tuesday in Samarinda
    assert local_date(late_evening, "Asia/Makassar", Language.ID) == "Selasa, 7 Juli 2026"
    assert local_clock(late_evening, "Asia/Makassar", Language.ID) == "00.45"
    assert local_date(late_evening, "Asia/Jakarta", Language.EN) == "Mon 6 Jul 2026"
    assert local_clock(late_evening, "Asia/Jakarta", Language.EN) == "23:45"


def test_durations_and_escaping() -> None:
    assert short_duration(3 * 86400 + 2 * 3600 + 5 * 60, Language.ID) == "3 hari 2 jam"
    assert short_duration(45 * 60, Language.ID) == "45 menit"
    assert short_duration(10, Language.EN) == "0 min"
    assert escape("<b>PT & CV</b>") == "&lt;b&gt;PT &amp; CV&lt;/b&gt;"


def test_callback_data_fits_and_decodes_strictly() -> None:
    import uuid

    data = callback(Action.HAND_TO, uuid.uuid4(), 123456789)
    assert len(data.encode()) <= CALLBACK_LIMIT
    pressed = decode(data)
    assert pressed is not None
    assert pressed.action is Action.HAND_TO
    assert pressed.int_at(1) == 123456789
    for forged in ("", "q:1", "s:../../x", "s:" + "a" * 70, "s:1:2:3:4:5:6:7:8:9:0:1:2:3:4"):
        result = decode(forged)
        assert result is None or result.uuid_at(0) is None
