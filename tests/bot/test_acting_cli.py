"""`sopbot acting appoint|end|list`: terms from and until a date or a date and time, in the
agency's time zone; what cannot be read, or cannot be, is refused and writes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from tests.helpers.agencies import seed_library
from tests.helpers.audit import TEST_AUDIT_KEY
from tests.helpers.command_line import AGENCY, create_agency, run, stored_agency, use_fresh_database

HEADER = "Plt/Plh of kesbangpol-pekalongan (times in WIB):"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_fresh_database(monkeypatch, tmp_path)


@pytest.fixture
def agency(capsys: pytest.CaptureFixture[str]) -> None:
    """The Kesbangpol agency with a Kepala Badan (member 1, Siti) and Budi (member 2)."""
    create_agency(capsys)
    code, _, err = run(
        capsys, "position", "add", AGENCY, "kaban", "--name", "Kepala Badan", "--role",
        "kepala_dinas",
    )  # fmt: skip
    assert code == 0, err
    assert run(capsys, "admin", "add", AGENCY, "--name", "Siti Admin")[0] == 0
    found = stored_agency(AGENCY)
    assert found is not None
    database = Database(os.environ["DATABASE_URL"], audit_key=TEST_AUDIT_KEY)
    try:
        organization = OrganizationService(ProcedureService(database, seed_library()))
        assert organization.add_member(agency_id=found.id, name="Budi Santoso") == 2
    finally:
        database.dispose()
    assert run(capsys, "member", "appoint", AGENCY, "1", "kaban")[0] == 0


def listed(capsys: pytest.CaptureFixture[str]) -> list[str]:
    code, out, err = run(capsys, "acting", "list", AGENCY)
    assert code == 0, err
    return out.splitlines()


@pytest.mark.usefixtures("agency")
def test_terms_from_and_until_a_day_or_a_day_and_time(capsys: pytest.CaptureFixture[str]) -> None:
    assert listed(capsys) == ["no Plt/Plh in office or scheduled in kesbangpol-pekalongan"]
    code, out, err = run(
        capsys, "acting", "appoint", AGENCY, "2", "kaban", "--kind", "plh", "--for-member", "1",
        "--from", "12 Juli 2027", "--until", "2027-07-16", "--decree", "800/12/2027",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert out.strip() == (
        "Plh. kaban: member 2 (appointment 1); 0 running procedure(s) re-routed; starts "
        "2027-07-12 WIB, no work moves until then"
    )
    code, out, err = run(
        capsys, "acting", "appoint", AGENCY, "2", "kaban", "--kind", "plh", "--for-member", "1",
        "--from", "2027-07-19 13:00", "--until", "19 Juli 2027 pukul 16.00",
    )  # fmt: skip
    assert code == 0, err
    code, out, err = run(capsys, "acting", "appoint", AGENCY, "2", "kaban", "--kind", "plt")
    assert code == 0, err
    assert out.strip() == "Plt. kaban: member 2 (appointment 3); 0 running procedure(s) re-routed"
    lines = listed(capsys)
    assert lines[0] == HEADER
    assert lines[1].split() == [
        "id",
        "kind",
        "person",
        "position",
        "for",
        "from",
        "until",
        "decree",
        "state",
    ]
    rows = [line.split("  ") for line in lines[2:]]
    cells = [[cell.strip() for cell in row if cell.strip()] for row in rows]
    today = cells[0][5]
    assert cells == [
        ["3", "Plt.", "Budi Santoso (2)", "kaban (Kepala Badan)", "jabatan kosong", today, "-",
         "-", "in office"],
        ["1", "Plh.", "Budi Santoso (2)", "kaban (Kepala Badan)", "Siti Admin", "2027-07-12",
         "2027-07-16", "800/12/2027", "scheduled"],
        ["2", "Plh.", "Budi Santoso (2)", "kaban (Kepala Badan)", "Siti Admin",
         "2027-07-19 13:00", "2027-07-19 16:00", "-", "scheduled"],
    ]  # fmt: skip
    code, out, _ = run(capsys, "acting", "end", "3")
    assert (code, out.strip()) == (0, "appointment 3 ended; 0 running procedure(s) re-routed")
    assert [line.split()[0] for line in listed(capsys)[2:]] == ["1", "2"]


@pytest.mark.usefixtures("agency")
@pytest.mark.parametrize(
    ("options", "why"),
    [
        (
            ["--until", "2027-07-10 16"],
            "cannot: cannot read '2027-07-10 16': write a date, or a date and a time, e.g. "
            "2026-07-10, '2026-07-10 16:00' or '10 Juli 2026 16.00'",
        ),
        (
            ["--until", "31 Juni 2027"],
            "cannot: the date in '31 Juni 2027' does not exist; check the day and the month",
        ),
        (
            ["--until", "2027-07-10 24:00"],
            "cannot: the time in '2027-07-10 24:00' does not exist; write it as 00:00 to 23:59",
        ),
        (
            ["--until", "2027-07-10 16:00 WITA"],
            "cannot: '2027-07-10 16:00 WITA' names WITA; times are in the agency's own time "
            "zone (WIB): leave the zone out",
        ),
        (["--from", "besok", "--until", "2027-07-10"], "cannot: cannot read 'besok': write a "
         "date, or a date and a time, e.g. 2026-07-10, '2026-07-10 16:00' or '10 Juli 2026 "
         "16.00'"),
        (["--until", "2020-01-31"], "cannot: the appointment would end in the past"),
        (
            ["--from", "2027-07-16", "--until", "2027-07-12"],
            "cannot: the appointment must end after it starts",
        ),
        ([], "cannot: a Plh stands in for a while; give --until (its last day)"),
    ],
)  # fmt: skip
def test_what_cannot_be_read_or_be_is_refused_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], options: list[str], why: str
) -> None:
    code, out, err = run(
        capsys, "acting", "appoint", AGENCY, "2", "kaban", "--kind", "plh", "--for-member", "1",
        *options,
    )  # fmt: skip
    assert (code, out, err.strip()) == (1, "", why)
    assert listed(capsys) == ["no Plt/Plh in office or scheduled in kesbangpol-pekalongan"]


def test_the_list_of_an_unknown_agency(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "acting", "list", "tiada")
    assert (code, out, err.strip()) == (1, "", "no agency tiada")
