"""An agency's time zone as its admin writes it: WIB, WITA or WIT, or the IANA name.

Every due time and reminder is counted on the agency's working clock, so a wrong zone puts
every deadline of an office an hour or two off: the zone is always given, never assumed.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

INDONESIAN_ZONES = {
    "WIB": "Asia/Jakarta",
    "WITA": "Asia/Makassar",
    "WIT": "Asia/Jayapura",
}
"""Indonesia's three zones by the names offices use, and the IANA zone of each."""


def agency_zone(written: str) -> str:
    """The IANA name of a zone written as WIB/WITA/WIT (any letter case) or as an IANA name;
    ValueError, saying what is accepted, for anything else."""
    text = written.strip()
    named = INDONESIAN_ZONES.get(text.upper())
    if named is not None:
        return named
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        accepted = ", ".join(f"{short} ({zone})" for short, zone in INDONESIAN_ZONES.items())
        raise ValueError(f"unknown time zone {written!r}: write {accepted}") from exc
    return text
