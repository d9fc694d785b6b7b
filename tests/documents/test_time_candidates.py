"""The standard times offered for a wording that is not one value: each number with its own
unit, a number without one taking the next number's."""

from __future__ import annotations

import pytest

from sopbot.documents.time_candidates import time_candidates


@pytest.mark.parametrize(
    ("written", "offered"),
    [
        ("30 Menit s/d 1 Jam", ["30 Menit", "1 Jam"]),
        ("15 menit - 1 jam", ["15 menit", "1 jam"]),
        ("1-2 Hari", ["1 Hari", "2 Hari"]),
        ("1 s/d 3 hari kerja", ["1 hari kerja", "3 hari kerja"]),
        ("± 10 menit", ["10 menit"]),
        ("2 jam sampai dengan 1 hari", ["2 jam", "1 hari"]),
        ("segera", []),
        ("sesuai jadwal", []),
        ("1 - 2", []),
    ],
)
def test_each_number_is_offered_with_its_own_unit(written: str, offered: list[str]) -> None:
    assert time_candidates(written) == offered
