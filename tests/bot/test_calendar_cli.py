"""`sopbot calendar`: an agency's days off, hours and alert thresholds from the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sopbot.bot.calendar_cli import WEEKDAYS
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
