"""Working hours as an admin types them, in `sopbot calendar hours` and `/kalender jam`:
weekdays ("jumat", "senin-kamis", "senin,rabu", or 0 = Monday to 6) and intervals
("07:30-11:30,13:00-16:30", or 07.30; "-" for a day off)."""

from __future__ import annotations

import datetime as dt

from sopbot.engine.working_calendar import Interval

WEEKDAYS = ("senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu")


def parse_intervals(text: str) -> list[Interval]:
    """ "07:30-11:30,13:00-16:30" (or 07.30) -> intervals; "-" -> none; `ValueError` saying how
    to write them."""
    if text.strip() in ("-", ""):
        return []
    result = []
    for part in text.split(","):
        start, _, end = part.strip().partition("-")
        try:
            result.append(
                (
                    dt.time.fromisoformat(start.strip().replace(".", ":")),
                    dt.time.fromisoformat(end.strip().replace(".", ":")),
                )
            )
        except ValueError:
            raise ValueError(
                f"cannot read the hours {part.strip()!r}: write e.g. 07:30-11:30,13:00-16:30,"
                " or - for a day off"
            ) from None
    return result


def parse_weekday(text: str) -> int:
    """A weekday's Indonesian name or its number (0 = Monday)."""
    lowered = text.strip().lower()
    if lowered.isdigit() and 0 <= int(lowered) <= 6:
        return int(lowered)
    if lowered not in WEEKDAYS:
        raise ValueError(f"no weekday {text.strip()!r}: senin ... minggu, or 0 (Monday) to 6")
    return WEEKDAYS.index(lowered)


def parse_weekdays(text: str) -> list[int]:
    """Weekdays as written: "jumat", "senin-kamis" (a range), "senin,rabu" (a list)."""
    days: list[int] = []
    for part in text.split(","):
        first, dash, last = part.partition("-")
        start = parse_weekday(first)
        end = parse_weekday(last) if dash else start
        if end < start:
            raise ValueError(f"{part.strip()!r}: a range of weekdays runs from Monday to Sunday")
        days.extend(d for d in range(start, end + 1) if d not in days)
    return sorted(days)
