"""An agency's time zone as admins write it."""

from __future__ import annotations

import pytest

from sopbot.engine.time_zones import agency_zone


@pytest.mark.parametrize(
    ("written", "zone"),
    [
        ("WIB", "Asia/Jakarta"),
        ("wita", "Asia/Makassar"),
        (" WIT ", "Asia/Jayapura"),
        ("Asia/Pontianak", "Asia/Pontianak"),
        ("Asia/Makassar", "Asia/Makassar"),
    ],
)
def test_indonesia_s_zones_by_name_or_as_iana_names(written: str, zone: str) -> None:
    assert agency_zone(written) == zone


@pytest.mark.parametrize("written", ["Samarinda", "", "GMT+8x", "../etc/passwd"])
def test_anything_else_is_refused_with_what_is_accepted(written: str) -> None:
    with pytest.raises(ValueError, match=r"write WIB \(Asia/Jakarta\), WITA"):
        agency_zone(written)
