"""`sopbot calendar`: an agency's days off, hours and alert thresholds from the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sopbot.bot.calendar_cli import WEEKDAYS
from sopbot.cli import main

REPO = Path(__file__).resolve().parents[2]
AGENCY = "kesbangpol-pekalongan"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'sopbot.db'}")
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "sopbot_pekalongan_bot")
    monkeypatch.delenv("SOPBOT_SOP_DIR", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_an_agency_changes_its_calendar(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(
        capsys,
        "agency",
        "create",
        AGENCY,
        "--name",
        "Badan Kesbangpol",
        "--timezone",
        "Asia/Jakarta",
    )
    assert code == 0
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
