"""`sopbot roster import`: the staff list import of /impor_pegawai from the command line, the
plan printed first, applied with --yes, the links printed and written to a CSV."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from sqlmodel import select

from sopbot.storage.database import Database
from sopbot.storage.models import InvitationRow, MemberRow
from tests.helpers.audit import TEST_AUDIT_KEY
from tests.helpers.command_line import AGENCY, create_agency, run, use_fresh_database
from tests.helpers.rosters import PEOPLE, read_workbook, roster_workbook


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_fresh_database(monkeypatch, tmp_path)


def members() -> list[MemberRow]:
    database = Database(os.environ["DATABASE_URL"], audit_key=TEST_AUDIT_KEY)
    try:
        with database.transaction() as session:
            return list(session.exec(select(MemberRow)).all())
    finally:
        database.dispose()


def invitations() -> list[InvitationRow]:
    database = Database(os.environ["DATABASE_URL"], audit_key=TEST_AUDIT_KEY)
    try:
        with database.transaction() as session:
            return list(session.exec(select(InvitationRow)).all())
    finally:
        database.dispose()


def test_the_plan_then_the_links(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    create_agency(capsys)
    people = [*PEOPLE, (5, "1.98E+17", "Maya Sari", "Staf Pelaksana", "")]
    roster = tmp_path / "pegawai.xlsx"
    roster.write_bytes(roster_workbook(people))
    code, out, err = run(capsys, "roster", "import", AGENCY, str(roster))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "pegawai.xlsx: sheet Pegawai, headers on row 3"
    assert lines[1] == (
        "will create 4 member(s) and 4 new position(s); 0 existing position(s) used; "
        "1 row(s) not imported"
    )
    assert "  kepala_bidang_koperasi  Kepala Bidang Koperasi  (row(s) 6)" in lines
    assert any(
        line.startswith("  row 8: Maya Sari · 1.98E+17: The NIP was stored as a number by Excel")
        for line in lines
    ), out
    assert (
        "  row 4  Dr. Hendra Gunawan, M.Si.  [Kepala Dinas]  NIP 198001012005011001  @hendra_g"
        in lines
    )
    assert lines[-1] == "nothing was created; run again with --yes to create it"
    assert len(members()) == 0

    links = tmp_path / "tautan.csv"
    code, out, err = run(
        capsys, "roster", "import", AGENCY, str(roster), "--yes", "--links", str(links)
    )
    assert (code, err) == (0, "")
    assert "created 4 member(s) and 4 new position(s); each link works once, until" in out
    printed = [line.strip() for line in out.splitlines() if "t.me/" in line]
    assert len(printed) == 4
    assert all(p.startswith("https://t.me/sopbot_pekalongan_bot?start=") for p in printed)
    assert "   1. Dr. Hendra Gunawan, M.Si. [Kepala Dinas] (only @hendra_g)" in out
    with links.open(encoding="utf-8-sig", newline="") as file:
        table = list(csv.reader(file))
    assert table[0] == [
        "No",
        "Nama",
        "Jabatan",
        "NIP",
        "Username Telegram",
        "Tautan undangan",
        "Berlaku sampai",
    ]
    assert [row[5] for row in table[1:]] == printed
    assert table[1][4] == "hendra_g"  # no "@": a spreadsheet would take it for a formula
    stored = members()
    assert sorted(m.name for m in stored)[0] == "Agus Prasetyo"
    assert len(invitations()) == 4

    # Again: everybody is registered, nothing to create.
    code, out, _ = run(capsys, "roster", "import", AGENCY, str(roster), "--yes")
    assert code == 0
    assert "will create 0 member(s)" in out
    assert len(members()) == 4

    # The links as the bot's Excel file.
    roster.write_bytes(roster_workbook([(1, "", "Rina Kusuma", "Staf Pelaksana", "")]))
    workbook = tmp_path / "tautan.xlsx"
    code, _, _ = run(
        capsys, "roster", "import", AGENCY, str(roster), "--yes", "--links", str(workbook)
    )
    assert code == 0
    sheet = read_workbook(workbook.read_bytes())
    assert sheet[1][:3] == [1, "Rina Kusuma", "Staf Pelaksana"]


def test_refusals(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    create_agency(capsys)
    roster = tmp_path / "pegawai.csv"
    roster.write_text("Nama;Umur\nBudi;40\n", encoding="utf-8")
    code, _, err = run(capsys, "roster", "import", AGENCY, str(roster))
    assert code == 1
    assert err.startswith(f"{roster}: no header row with Nama and Jabatan in the first 30 rows")
    big = tmp_path / "besar.csv"
    big.write_bytes(b"x" * (6 * 1024 * 1024))
    code, _, err = run(capsys, "roster", "import", AGENCY, str(big))
    assert (code, err.strip()) == (
        1,
        f"{big}: the file is over 5 MB, while a list of 2,000 people takes about 200 KB. "
        "Send the list alone, without pictures or other sheets.",
    )
    code, _, err = run(capsys, "roster", "import", "no-such-agency", str(roster))
    assert (code, err.strip()) == (
        1,
        "no agency no-such-agency; create it with `sopbot agency create`",
    )
    code, _, err = run(capsys, "roster", "import", AGENCY, str(roster), "--links", "x.csv")
    assert (code, err.strip()) == (1, "--links writes the links that --yes creates: give both")
    code, _, err = run(capsys, "roster", "import", AGENCY, str(tmp_path / "missing.xlsx"))
    assert code == 1
    assert err.startswith("cannot read")
