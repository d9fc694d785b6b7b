"""What "hari" means to an agency, chosen on the command line: at `agency create --hari` and later
with `calendar hari`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sopbot.engine.working_calendar import DayRule
from sopbot.storage import agencies
from sopbot.storage.database import Database
from tests.helpers.audit import TEST_AUDIT_KEY
from tests.helpers.command_line import AGENCY, create_agency, run, use_fresh_database

KERJA = "kerja (a working day's worth of working time from when a step opens)"
AKHIR = "akhir (by the close of the Nth working day after the day a step opens)"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_fresh_database(monkeypatch, tmp_path)


def stored_rule() -> DayRule:
    database = Database(os.environ["DATABASE_URL"], audit_key=TEST_AUDIT_KEY)
    try:
        with database.unit_of_work(read_only=True) as uow:
            stored = agencies.agency_by_key(uow, AGENCY)
    finally:
        database.dispose()
    assert stored is not None
    return stored.day_rule


def create(capsys: pytest.CaptureFixture[str], *extra: str) -> int:
    return run(
        capsys,
        "agency",
        "create",
        AGENCY,
        "--name",
        "Badan Kesbangpol",
        "--timezone",
        "WIB",
        *extra,
    )[0]


def test_an_agency_keeps_the_working_time_reading_unless_told(
    capsys: pytest.CaptureFixture[str],
) -> None:
    create_agency(capsys)
    assert stored_rule() is DayRule.WORKING_TIME


def test_an_agency_created_with_the_end_of_day_reading(capsys: pytest.CaptureFixture[str]) -> None:
    assert create(capsys, "--hari", "akhir") == 0
    assert stored_rule() is DayRule.END_OF_DAY


def test_an_unknown_reading_is_a_usage_error_that_names_both(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        create(capsys, "--hari", "besok")
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "'besok' is not a reading of hari; kerja: " in err
    assert "akhir: by the close of the Nth working day" in err


def test_calendar_hari_changes_the_reading(capsys: pytest.CaptureFixture[str]) -> None:
    create_agency(capsys)
    code, out, _ = run(capsys, "calendar", "hari", AGENCY, "akhir")
    assert (code, out.strip()) == (0, f"hari: {AKHIR}; 0 open step(s) got a new due time")
    assert stored_rule() is DayRule.END_OF_DAY
    code, out, _ = run(capsys, "calendar", "hari", AGENCY, "KERJA")
    assert (code, out.strip()) == (0, f"hari: {KERJA}; 0 open step(s) got a new due time")
    assert stored_rule() is DayRule.WORKING_TIME
    code, _, err = run(capsys, "calendar", "hari", "no-such-agency", "akhir")
    assert (code, err.strip()) == (1, "no agency no-such-agency")
