"""Formatting for Telegram: HTML escaping, Telegram's length limits, local times and durations."""

from __future__ import annotations

import datetime as dt
import html
from zoneinfo import ZoneInfo

from sopbot.messaging.catalog import Language
from sopbot.messaging.numbers import quantity

MESSAGE_LIMIT = 4096  # characters of text per message
CAPTION_LIMIT = 1024  # characters of a document's caption

# Indonesia writes its three zones by name; elsewhere the UTC offset is shown.
_ZONE_NAMES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
_DAYS = {
    Language.ID: ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    Language.EN: ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_MONTHS = {
    Language.ID: (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ),
    Language.EN: (
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
    ),
}


def escape(text: object) -> str:
    """Text from people or documents, safe inside an HTML-formatted message."""
    return html.escape(str(text), quote=False)


def zone_name(timezone: str) -> str:
    """WIB, WITA or WIT for Indonesia's zones, else the zone's name."""
    return _ZONE_NAMES.get(timezone, timezone)


def local_time(moment: dt.datetime, timezone: str, language: Language) -> str:
    """A moment as officials read it: "Senin, 6 Juli 2026 09.30 WITA"."""
    date, clock = local_date(moment, timezone, language), local_clock(moment, timezone, language)
    if language is Language.ID:
        return f"{date} {clock} {zone_name(timezone)}"
    return f"{date}, {clock} {zone_name(timezone)}"


def local_date(moment: dt.datetime, timezone: str, language: Language) -> str:
    """The local day of a moment: "Senin, 6 Juli 2026" / "Mon 6 Jul 2026"."""
    local = moment.astimezone(ZoneInfo(timezone))
    day = _DAYS[language][local.weekday()]
    month = _MONTHS[language][local.month - 1]
    separator = "," if language is Language.ID else ""
    return f"{day}{separator} {local.day} {month} {local.year}"


def local_clock(moment: dt.datetime, timezone: str, language: Language) -> str:
    """The local time of day of a moment, without its zone: "09.30" / "09:30"."""
    local = moment.astimezone(ZoneInfo(timezone))
    mark = "." if language is Language.ID else ":"
    return f"{local.hour:02d}{mark}{local.minute:02d}"


def short_duration(seconds: float, language: Language) -> str:
    """A length of time in the largest sensible units: "2 hari 3 jam", "45 menit"."""
    total_minutes = max(0, int(seconds // 60))
    days, rest = divmod(total_minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    names = ("hari", "jam", "menit") if language is Language.ID else ("d", "h", "min")
    parts = [
        f"{quantity(value, language)} {name}"
        for value, name in zip((days, hours, minutes), names, strict=True)
        if value
    ]
    return " ".join(parts[:2]) if parts else f"0 {names[2]}"


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split a long text into messages of at most `limit` characters, at line breaks if possible.

    HTML tags are kept whole per line: the catalog never spans a tag over two lines.
    """
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single overlong line: cut it hard
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def fit_caption(text: str, limit: int = CAPTION_LIMIT) -> str:
    """A caption cut to Telegram's limit, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
