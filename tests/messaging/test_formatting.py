"""Telegram's limits and Indonesian times."""

from __future__ import annotations

import datetime as dt

import pytest

from sopbot.emulator.text_entities import parse_html, utf16_len
from sopbot.engine.durations import parse_standard_time
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.formatting import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    due_time,
    escape,
    fit_caption,
    local_clock,
    local_date,
    local_time,
    plain_text,
    short_duration,
    shorten,
    split_message,
    visible_length,
)
from sopbot.messaging.keyboards import CALLBACK_LIMIT, Action, callback, decode


def parts_as_telegram_reads_them(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The text of each part, parsed as Telegram parses it (refusing what it refuses)."""
    parsed = [parse_html(part) for part in split_message(text, limit)]
    assert all(0 < utf16_len(p.text) <= limit for p in parsed)
    return [p.text for p in parsed]


def test_length_is_counted_after_parsing_so_830_ampersands_are_one_message() -> None:
    # Issue 16: a title of 830 "&" is 4150 characters of HTML; it was cut inside <b>.
    text = default_catalog().text(
        Language.ID, "start.started", title=escape("&" * 830), number=1, sop="SOP"
    )
    assert len(text) > MESSAGE_LIMIT
    assert split_message(text) == [text]
    assert visible_length(text) == len(parse_html(text).text)


def test_a_cut_closes_and_reopens_tags_and_never_cuts_an_escape() -> None:
    text = "<b>Judul</b>\n<i>" + "&amp;" * 5000 + "</i>"
    parts = split_message(text)
    assert parts[1].startswith("<i>")
    assert parts[1].endswith("</i>")
    assert parts_as_telegram_reads_them(text) == ["Judul", "&" * 4096, "&" * 904]


def test_an_emoji_counts_two_units_and_is_never_cut_in_half() -> None:
    assert parts_as_telegram_reads_them("📄" * 3000) == ["📄" * 2048, "📄" * 952]
    assert parts_as_telegram_reads_them("a" + "📄" * 2048) == ["a" + "📄" * 2047, "📄"]


def test_split_prefers_line_breaks_then_spaces_and_leaves_out_empty_parts() -> None:
    lines = [f"<b>baris {n:04d}</b> " + "x" * 90 for n in range(100)]
    parts = split_message("\n".join(lines) + "\n\n   \n")
    assert len(parts) == 3
    assert all(visible_length(p) <= MESSAGE_LIMIT for p in parts)
    assert all(p.startswith("<b>baris") for p in parts)
    words = parts_as_telegram_reads_them(" ".join(["kata"] * 2000))
    assert [len(p) for p in words] == [4094, 4094, 1809]  # whole words; the spaces trimmed
    assert " ".join(words).split(" ") == ["kata"] * 2000


def test_plain_text_is_what_the_person_reads() -> None:
    assert plain_text("<b>PT &amp; CV</b> a &lt; b &#x1F4C4; &copy; R&D") == (
        "PT & CV a < b 📄 &copy; R&D"
    )
    assert plain_text("<b>tidak ditutup") == "tidak ditutup"


def test_shorten_counts_utf16_units_and_keeps_emoji_whole() -> None:
    assert shorten("pendek", 10) == "pendek"
    assert shorten("a" * 20, 10) == "a" * 9 + "…"
    assert shorten("📄" * 10, 10) == "📄" * 4 + "…"  # 9 units: a fifth emoji would make 11
    assert utf16_len(shorten("📄" * 10, 10)) <= 10


def test_captions_fit() -> None:
    assert len(fit_caption("x" * 5000)) == CAPTION_LIMIT
    assert utf16_len(fit_caption("📄" * 600)) <= CAPTION_LIMIT
    assert fit_caption("pendek") == "pendek"


@pytest.mark.parametrize(
    ("standard", "indonesian", "english"),
    [
        ("30 detik", "Senin, 6 Juli 2026 09.30.45 WITA", "Mon 6 Jul 2026, 09:30:45 WITA"),
        ("5 menit", "Senin, 6 Juli 2026 09.30 WITA", "Mon 6 Jul 2026, 09:30 WITA"),
        ("1 hari", "Senin, 6 Juli 2026 09.30 WITA", "Mon 6 Jul 2026, 09:30 WITA"),
    ],
)
def test_a_due_time_shows_seconds_only_where_its_standard_has_them(
    standard: str, indonesian: str, english: str
) -> None:
    moment = dt.datetime(2026, 7, 6, 1, 30, 45, tzinfo=dt.UTC)
    parsed = parse_standard_time(standard)
    assert due_time(moment, "Asia/Makassar", Language.ID, parsed) == indonesian
    assert due_time(moment, "Asia/Makassar", Language.EN, parsed) == english


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
    # Working time counts working days: 32 working hours of a 7.5-hour day are more than
    # four days of work, not "1 hari 8 jam".
    day = 7.5 * 3600
    assert short_duration(32 * 3600, Language.ID, working_day=day) == "4 hari kerja 2 jam"
    assert short_duration(32 * 3600, Language.EN, working_day=day) == "4 working d 2 h"
    assert short_duration(7 * 3600, Language.ID, working_day=day) == "7 jam"
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
