"""`sopbot procedure search` and `sopbot procedure export`: the twins of /cari and /ekspor for
the server's operator (every procedure of the agency, no size limit)."""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import select

from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.document_store import LocalDocumentStore
from sopbot.storage.migrate import upgrade
from sopbot.storage.models import DocumentRow, InstanceRow
from tests.helpers.agencies import Player, SeedAgency, staff_agency, start_as
from tests.helpers.archive import KESBANGPOL, LIBRARY, open_zip, play_storing, wita
from tests.helpers.audit import TEST_AUDIT_KEY
from tests.helpers.clock import ManualClock
from tests.helpers.command_line import AGENCY, run, use_fresh_database


@dataclass
class Office:
    """The command line's database: Kesbangpol with No. 1 played to the end (its documents in
    the folder SOPBOT_DOCUMENTS_DIR names) and No. 2 running."""

    database: Database
    agency: SeedAgency
    store: LocalDocumentStore


@pytest.fixture
def office(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Office]:
    use_fresh_database(monkeypatch, tmp_path)
    monkeypatch.setenv("SOPBOT_DOCUMENTS_DIR", str(tmp_path / "documents"))
    monkeypatch.setenv("COLUMNS", "160")
    database = Database(os.environ["DATABASE_URL"], audit_key=TEST_AUDIT_KEY)
    upgrade(database)
    clock = ManualClock(wita(11, 2))
    procedures = ProcedureService(database, LIBRARY, clock=clock)
    agency = staff_agency(OrganizationService(procedures, clock=clock), KESBANGPOL)
    start_as(procedures, agency, KESBANGPOL, "Pengolahan Data Kinerja Triwulan III")
    store = LocalDocumentStore(tmp_path / "documents")
    play_storing(Player(procedures, agency), store, clock=clock)
    clock.set(wita(11, 16))
    start_as(procedures, agency, KESBANGPOL, "Pengolahan Data Kinerja Triwulan IV")
    with database.transaction() as session:
        first = session.exec(select(InstanceRow).where(InstanceRow.number == 1)).one()
        first.letter_number = "005/UND/XI/2026"
        session.add(first)
    yield Office(database, agency, store)
    database.dispose()


def test_search_prints_a_table_of_what_it_finds(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "procedure", "search", AGENCY, "kinerja")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[-1] == "2 procedure(s) found in kesbangpol-pekalongan"
    header = next(line for line in lines if "Title" in line)
    assert "Started (WIB)" in header
    rows = [line for line in lines if re.match(r"│ \d ", line)]
    assert [row.split("│")[1].strip() for row in rows] == ["2", "1"]  # newest first
    assert "finished" in rows[1]
    assert "2026-11-02 08:00" in rows[1]  # 09.00 WITA is 08.00 in Pekalongan


def test_search_filters_as_cari_does(office: Office, capsys: pytest.CaptureFixture[str]) -> None:
    for argv, numbers in (
        (["--letter", "005/und"], ["1"]),
        (["--finished"], ["1"]),
        (["--ended"], ["1"]),
        (["--from", "16/11/2026"], ["2"]),
        (["--to", "2 November 2026"], ["1"]),
        (["--sop", "pengolahan"], ["2", "1"]),
        (["--by", "kepala bidang"], ["1"]),
        (["IV"], ["2"]),
        (["1"], ["1"]),  # No. 1 (no title or letter holds a 1)
    ):
        code, out, _ = run(capsys, "procedure", "search", AGENCY, *argv)
        assert code == 0
        found = [
            line.split("│")[1].strip() for line in out.splitlines() if re.match(r"│ \d ", line)
        ]
        assert found == numbers, (argv, out)
    code, out, _ = run(capsys, "procedure", "search", AGENCY, "--by", "Zainal")
    assert code == 0
    assert out.splitlines() == [
        "no member of kesbangpol-pekalongan has a name holding 'Zainal'",
        "0 procedure(s) found in kesbangpol-pekalongan",
    ]


def test_search_refuses_what_it_cannot_read(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "procedure", "search", AGENCY, "--from", "31/2/2026")
    assert code == 1
    assert "cannot read the date '31/2/2026'" in err
    code, _, err = run(
        capsys, "procedure", "search", AGENCY, "--from", "2/11/2026", "--to", "1/11/2026"
    )
    assert (code, err.strip()) == (1, "--from 2/11/2026 is after --to 1/11/2026")
    code, _, err = run(capsys, "procedure", "search", "dinas-tidak-ada")
    assert (code, err.strip()) == (1, "no agency dinas-tidak-ada")


def test_export_writes_the_zip_an_auditor_can_check(
    office: Office, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "arsip-1.zip"
    code, out, err = run(capsys, "procedure", "export", AGENCY, "1", "-o", str(target))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith(f"wrote {target} (")
    assert "procedure No. 1 (Pengolahan Data Kinerja Triwulan III), 5 document(s)" in lines[0]
    assert re.fullmatch(r"audit chain agency:\d+ intact: \d+ rows", lines[-1])
    opened = open_zip(target.read_bytes())
    assert opened.check_sums() == []
    assert len(opened.documents()) == 5
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []
    # In English, when asked.
    english = tmp_path / "history.zip"
    code, _, _ = run(capsys, "procedure", "export", AGENCY, "1", "-o", str(english), "--lang", "en")
    assert code == 0
    with zipfile.ZipFile(english) as archive:
        assert "How to check the files" in archive.read("README.txt").decode()


def test_export_says_what_is_wrong_and_exits_1(
    office: Office, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with office.database.transaction() as session:
        document = session.exec(select(DocumentRow)).first()
        assert document is not None
    office.store.path_of(document.storage_key).unlink()
    target = tmp_path / "arsip-1.zip"
    code, out, _ = run(capsys, "procedure", "export", AGENCY, "1", "-o", str(target))
    assert code == 1
    assert target.is_file()  # written all the same, and saying so inside
    assert re.search(r"^left out: dokumen/\d\d_langkah-\S+ \(missing: ", out, re.MULTILINE)
    assert "4 document(s)" in out


def test_export_of_a_number_the_agency_does_not_have_writes_nothing(
    office: Office, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "arsip-9.zip"
    code, out, err = run(capsys, "procedure", "export", AGENCY, "9", "-o", str(target))
    assert (code, out, err.strip()) == (1, "", "no procedure No. 9 in kesbangpol-pekalongan")
    assert list(tmp_path.glob("arsip*")) == []
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []
