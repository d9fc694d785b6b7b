"""`sopbot calendar`: an agency's days off, hours and alert thresholds from the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sopbot.engine.hours_text import WEEKDAYS
from tests.helpers.command_line import AGENCY, create_agency, run, use_fresh_database


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_fresh_database(monkeypatch, tmp_path)


def test_an_agency_changes_its_calendar(capsys: pytest.CaptureFixture[str]) -> None:
    create_agency(capsys)
    day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=40)).date()
    code, out, _ = run(capsys, "calendar", "off", AGENCY, day.isoformat(), "HUT", "Kota")
    assert (code, out.strip()) == (0, f"{day}: off; 0 open step(s) got a new due time")
    code, out, _ = run(capsys, "calendar", "show", AGENCY, "--days", "60")
    assert code == 0
    assert f"{day}  {WEEKDAYS[day.weekday()]:<7} libur instansi    HUT Kota" in out.splitlines()
    code, out, _ = run(capsys, "calendar", "clear", AGENCY, day.isoformat())
    assert (code, out.strip()) == (0, f"{day}: cleared; 0 open step(s) got a new due time")
    code, _, err = run(capsys, "calendar", "clear", AGENCY, day.isoformat())
    assert (code, err.strip()) == (1, "cannot: the agency has not changed this day")
    code, out, _ = run(capsys, "calendar", "hours", AGENCY, "jumat", "07:30-11:00")
    assert (code, out.strip()) == (0, "jumat: 07:30-11:00; 0 open step(s) got a new due time")
    code, out, _ = run(
        capsys, "calendar", "policy", AGENCY, "--repeat-minutes", "60", "--escalate-factor", "3"
    )
    assert code == 0
    assert out.startswith("reminders every 60 working minutes, escalation at 3.0x")


def test_an_unknown_agency_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "calendar", "off", "no-such-agency", "2027-08-30", "HUT")
    assert (code, err.strip()) == (1, "no agency no-such-agency")


def test_ramadan_hours_for_a_period(capsys: pytest.CaptureFixture[str]) -> None:
    create_agency(capsys)
    today = dt.datetime.now(dt.UTC).date()
    first, last = today + dt.timedelta(days=30), today + dt.timedelta(days=59)
    days = f"({first}..{last})"
    code, out, err = run(
        capsys,
        *("calendar", "hours", AGENCY, "senin-kamis", "08:00-12:00,12:30-15:00"),
        *("--dari", first.isoformat(), "--sampai", last.isoformat(), "--nama", "Ramadan 1448 H"),
    )
    assert (code, out.strip(), err) == (
        0,
        f"Ramadan 1448 H {days}, senin-kamis: 08:00-12:00,12:30-15:00;"
        " 0 open step(s) got a new due time",
        "",
    )
    # More weekdays of the same period, by its name alone.
    code, out, _ = run(
        capsys,
        "calendar",
        "hours",
        AGENCY,
        "jumat",
        "08.00-11.30,12.30-15.30",
        "--nama",
        "Ramadan 1448 H",
    )
    assert code == 0
    assert out.startswith(f"Ramadan 1448 H {days}, jumat: 08.00-11.30,12.30-15.30;")
    ramadan = (
        f"{first}..{last}  Ramadan 1448 H: senin-kamis 08:00-12:00,12:30-15:00;"
        " jumat 08:00-11:30,12:30-15:30"
    )
    regular = (
        "jam kerja biasa: senin-kamis 07:30-12:00,13:00-16:00; jumat 07:30-11:30,13:00-16:30;"
        " sabtu-minggu -"
    )
    code, out, _ = run(capsys, "calendar", "periods", AGENCY)
    assert (code, out.splitlines()) == (0, [regular, ramadan])
    code, out, _ = run(capsys, "calendar", "show", AGENCY, "--days", "60")
    assert out.splitlines()[-2:] == [regular, ramadan]
    code, out, _ = run(capsys, "calendar", "show", AGENCY, "--days", "20")
    assert out.splitlines()[-1] == regular  # the period starts after the days shown
    code, out, _ = run(capsys, "calendar", "clear-period", AGENCY, "Ramadan", "1448", "H")
    assert (code, out.strip()) == (
        0,
        "Ramadan 1448 H: removed; 0 open step(s) got a new due time",
    )
    code, out, _ = run(capsys, "calendar", "periods", AGENCY, "--all")
    assert out.splitlines() == [regular, "no period with other working hours"]


@pytest.mark.parametrize(
    ("arguments", "refusal"),
    [
        (
            (
                "senin",
                "08:00-12:00",
                "--nama",
                "Ramadan",
                "--dari",
                "2027-03-09",
                "--sampai",
                "2027-02-08",
            ),
            "cannot: the period Ramadan ends (2027-02-08) before it starts (2027-03-09)",
        ),
        (
            (
                "senin",
                "08:00-12:00",
                "--nama",
                "Rapat kerja",
                "--dari",
                "2027-03-01",
                "--sampai",
                "2027-03-12",
            ),
            "cannot: the period overlaps Ramadan 1448 H (2027-02-08 to 2027-03-09)",
        ),
        (
            ("senin", "08:00-12:00", "--nama", "Rapat kerja"),
            "cannot: a new period needs its first and last day",
        ),
        (
            ("senin", "15:00-08:00", "--nama", "Ramadan 1448 H"),
            "cannot: working interval 15:00:00-08:00:00 ends before it starts",
        ),
        (
            ("senin", "08:00", "--nama", "Ramadan 1448 H"),
            "cannot: cannot read the hours '08:00': write e.g. 07:30-11:30,13:00-16:30,"
            " or - for a day off",
        ),
        (
            ("senen", "08:00-12:00"),
            "cannot: no weekday 'senen': senin ... minggu, or 0 (Monday) to 6",
        ),
        (
            ("jumat-senin", "08:00-12:00"),
            "cannot: 'jumat-senin': a range of weekdays runs from Monday to Sunday",
        ),
        (
            ("senin", "08:00-12:00", "--dari", "2027-03-01"),
            "cannot: --dari and --sampai are a period's days: name it with --nama",
        ),
        (
            (
                "senin",
                "08:00-12:00",
                "--nama",
                "Lain",
                "--dari",
                "1 Maret",
                "--sampai",
                "2027-03-12",
            ),
            "cannot: cannot read the date '1 Maret'",  # the rest is the date reader's advice
        ),
    ],
)
def test_a_period_that_cannot_be_is_refused(
    capsys: pytest.CaptureFixture[str], arguments: tuple[str, ...], refusal: str
) -> None:
    create_agency(capsys)
    code, _, _ = run(
        capsys,
        *("calendar", "hours", AGENCY, "senin-kamis", "08:00-12:00,12:30-15:00"),
        *("--nama", "Ramadan 1448 H", "--dari", "8 Februari 2027", "--sampai", "09/03/2027"),
    )
    assert code == 0
    code, out, err = run(capsys, "calendar", "hours", AGENCY, *arguments)
    assert (code, out) == (1, "")
    assert err.startswith(refusal)


def test_removing_a_period_the_agency_does_not_have(capsys: pytest.CaptureFixture[str]) -> None:
    create_agency(capsys)
    code, _, err = run(capsys, "calendar", "clear-period", AGENCY, "Ramadan 1448 H")
    assert (code, err.strip()) == (1, "cannot: the agency has no period of that name")
