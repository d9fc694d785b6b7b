"""The archive service: a procedure exported for an auditor (its documents checked against
their SHA-256, the agency's audit chain walked, the zip's SHA256SUMS and its PDF read back), who
may export and search what, and a search's words turned into the agency's SOPs, members and
days."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from pathlib import Path

import pdfplumber
import pytest
from sqlmodel import col, select

from sopbot.demo.samples import sample_pdf
from sopbot.engine.archive_query import ArchiveQuery, parse_query
from sopbot.engine.errors import NotAllowed, NotFound
from sopbot.engine.procedure_record import DocumentCheck
from sopbot.messaging.catalog import Language
from sopbot.services.archive import ArchiveService, ArchiveTooLarge, ExportedArchive
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.services.views import Views
from sopbot.storage.database import Database
from sopbot.storage.document_store import LocalDocumentStore
from sopbot.storage.models import AuditRow, DocumentRow, MemberRow
from tests.helpers.agencies import Player, SeedAgency, next_key, staff_agency, start_as
from tests.helpers.archive import (
    KESBANGPOL,
    LIBRARY,
    OLDER,
    ArchiveOffice,
    OpenedZip,
    archive_office,
    open_zip,
    play_storing,
    stored_upload,
    wita,
)
from tests.helpers.clock import ManualClock
from tests.storage.test_audit_integrity import drop_append_only_triggers, tamper

TITLE = "Pengolahan Data Kinerja Triwulan III 2026"


@dataclasses.dataclass
class Played:
    """Kesbangpol with procedure No. 1 played to the end, each document a real stored PDF."""

    database: Database
    procedures: ProcedureService
    agency: SeedAgency
    store: LocalDocumentStore
    archive: ArchiveService
    names: list[str]

    def export(
        self, member_id: int | None = None, **options: object
    ) -> tuple[ExportedArchive, OpenedZip]:
        target = io.BytesIO()
        who = self.agency.admin_id if member_id is None else member_id
        exported = self.archive.export(who, target, number=1, **options)  # type: ignore[arg-type]
        assert target.tell() == exported.size_bytes
        return exported, open_zip(target.getvalue())

    def documents(self) -> list[DocumentRow]:
        with self.database.transaction() as session:
            return list(
                session.exec(select(DocumentRow).order_by(col(DocumentRow.uploaded_at))).all()
            )


@pytest.fixture
def played(database: Database, tmp_path: Path) -> Played:
    clock = ManualClock(wita(11, 2))
    procedures = ProcedureService(database, LIBRARY, clock=clock)
    agency = staff_agency(OrganizationService(procedures, clock=clock), KESBANGPOL)
    start_as(procedures, agency, KESBANGPOL, TITLE)
    store = LocalDocumentStore(tmp_path / "documents")
    names = play_storing(Player(procedures, agency), store, clock=clock)
    archive = ArchiveService(Views(procedures, clock=clock), store, clock=clock)
    return Played(database, procedures, agency, store, archive, names)


def pdf_text(content: bytes) -> str:
    """The PDF's text as a reader reads it: every run of spaces and line breaks one space."""
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return " ".join(" ".join(page.extract_text() or "" for page in pdf.pages).split())


def test_the_zip_holds_every_document_whose_sums_check_and_whose_pdf_names_each_hash(
    played: Played,
) -> None:
    exported, opened = played.export()
    assert exported.file_name == "arsip-kesbangpol-pekalongan-no1.zip"
    assert exported.intact
    assert opened.check_sums() == []
    # SHA256SUMS names every file but itself, and nothing else.
    assert {name for _, name in opened.sums} == set(opened.files) - {"SHA256SUMS"}
    rows = played.documents()
    assert len(rows) == len(played.names) == 5
    documents = opened.documents()
    assert sorted(hashlib.sha256(data).hexdigest() for data in documents.values()) == sorted(
        row.sha256 for row in rows
    )
    assert list(documents) == [
        "dokumen/01_langkah-4_Laporan-langkah-4-putaran-1-8.pdf",
        "dokumen/02_langkah-7_Laporan-langkah-7-putaran-1-4.pdf",
        "dokumen/03_langkah-7_Laporan-langkah-7-putaran-1-5.pdf",
        "dokumen/04_langkah-7_Laporan-langkah-7-putaran-1-6.pdf",
        "dokumen/05_langkah-9_Laporan-langkah-9-putaran-1-8.pdf",
    ]
    text = pdf_text(opened.pdf())
    flat = re.sub(r"\s+", "", text)
    for row in rows:
        assert row.sha256 in flat
    assert "Riwayat Prosedur No. 1" in text
    assert TITLE in text
    assert "Terverifikasi:" in text
    assert f"{exported.record.chain.rows} baris diperiksa" in text
    assert "5 dari 5 dokumen utuh" in text
    assert "TIDAK UTUH" not in text
    readme = opened.files["README.txt"].decode("utf-8")
    assert "sha256sum -c SHA256SUMS" in readme
    assert "riwayat-prosedur-1.pdf" in readme


def test_the_pdf_tells_who_did_what_when_and_each_step_against_its_standard(
    played: Played,
) -> None:
    exported, opened = played.export()
    record = exported.record
    assert record.state.value == "finished"
    assert len(record.steps) == len(KESBANGPOL.steps)
    # Each official acts 20 minutes after the one before (from 08.00 WIB): step 2 ("5 menit")
    # is late, step 4 ("1 hari") is not, and step 13 fell in the lunch break (no working time).
    steps = {step.step_label: step for step in record.steps}
    assert (steps["2"].late, steps["2"].working_seconds) == (True, 20 * 60)
    assert (steps["4"].late, steps["4"].working_seconds) == (False, 20 * 60)
    assert (steps["13"].late, steps["13"].working_seconds) == (False, 0)
    text = pdf_text(opened.pdf())
    assert "Langkah: waktu nyata terhadap waktu baku (waktu WITA)" not in text  # a WIB agency
    assert "(waktu WIB)" in text
    assert "terlambat" in text
    assert "tepat waktu" in text
    assert "02/11/2026" in text  # the start, in Pekalongan's day
    assert "Memulai prosedur" in text
    assert "Dokumen diunggah" in text
    assert "Prosedur selesai" in text
    kepala = next(e.actor for e in record.events if e.action.value == "start")
    assert kepala is not None
    assert kepala in text


def test_a_missing_file_and_a_changed_file_are_listed_as_such_and_left_out(
    played: Played,
) -> None:
    first, second, *_ = played.documents()
    played.store.path_of(first.storage_key).unlink()
    played.store.path_of(second.storage_key).write_bytes(b"%PDF-1.4 diganti")
    exported, opened = played.export()
    assert not exported.intact
    assert (exported.documents_in_zip, exported.documents_left_out) == (3, 2)
    checks = [d.check for d in exported.record.documents]
    assert checks[:2] == [DocumentCheck.MISSING, DocumentCheck.CHANGED]
    left_out = [d.entry for d in exported.record.documents[:2]]
    assert not set(left_out) & set(opened.files)
    assert opened.check_sums() == []  # what is in the zip still checks
    text = pdf_text(opened.pdf())
    assert "HILANG" in text
    assert "BERUBAH" in text
    assert "3 dari 5 dokumen utuh" in text
    assert "2 dokumen hilang atau berubah" in text
    flat = re.sub(r"\s+", "", text)
    assert first.sha256 in flat
    assert second.sha256 in flat
    readme = opened.files["README.txt"].decode("utf-8")
    assert all(entry in readme for entry in left_out)


def test_an_edited_audit_row_of_the_procedure_breaks_the_chain_in_the_pdf(
    played: Played,
) -> None:
    drop_append_only_triggers(played.database)
    with played.database.transaction() as session:
        row = session.exec(
            select(AuditRow).where(AuditRow.action == "complete").order_by(col(AuditRow.id))
        ).first()
        assert row is not None
    tamper(played.database, "UPDATE audit_event SET actor_id = 424242 WHERE id = :id", id=row.id)
    exported, opened = played.export()
    chain = exported.record.chain
    assert not chain.intact
    assert [p.kind for p in chain.problems] == ["edited"]
    assert chain.procedure_problems == 1
    text = pdf_text(opened.pdf())
    assert "TIDAK UTUH" in text
    assert "baris diubah (hash tidak cocok)" in text
    assert "1 dari" in text
    assert "baris bermasalah" in text


def test_an_upload_row_whose_hash_was_rewritten_with_its_file_is_not_vouched_for(
    played: Played,
) -> None:
    # The file swapped and its row updated to match: the store is content, the audit row
    # that recorded the upload still names the old hash.
    document = played.documents()[0]
    forged = sample_pdf("Dokumen palsu")
    kept = stored_upload(played.store, "palsu.pdf", forged)
    with played.database.transaction() as session:
        row = session.get(DocumentRow, document.id)
        assert row is not None
        row.sha256, row.storage_key, row.size_bytes = kept.sha256, kept.storage_key, kept.size_bytes
        session.add(row)
    exported, _ = played.export()
    (first, *_rest) = exported.record.documents
    assert first.check is DocumentCheck.INTACT  # its file matches its (edited) row...
    assert not first.audited  # ...but not the trail's record of the upload


def test_who_may_export(played: Played, database: Database) -> None:
    agency = played.agency
    involved = agency.person("kepala_bidang", 2)
    # An official who took part may read the history, not take every step's documents.
    with pytest.raises(NotAllowed):
        played.export(involved)
    exported, _ = played.export(agency.admin_id)
    assert exported.record.made_by is not None
    organization = OrganizationService(played.procedures)
    stranger = organization.add_member(agency_id=agency.agency_id, name="Tamu")
    with pytest.raises(NotAllowed):
        played.export(stranger)
    (item,) = played.archive.search(agency.admin_id, ArchiveQuery(number=1)).items
    with pytest.raises(NotAllowed):
        played.archive.card(stranger, item.instance_id)
    assert played.archive.search(stranger, ArchiveQuery()).total == 0
    other = organization.create_agency(key="dinas-lain", name="Dinas Lain", timezone="Asia/Jakarta")
    outsider = organization.add_member(agency_id=other, name="Admin Lain", is_admin=True)
    with pytest.raises(NotFound):
        played.export(outsider)
    # A member who left: refused, whatever they once did.
    with database.transaction() as session:
        row = session.get(MemberRow, involved)
        assert row is not None
        row.deactivated_at = wita(11, 20)
        session.add(row)
    with pytest.raises(NotAllowed):
        played.export(involved)
    # The server's operator, for the agency.
    target = io.BytesIO()
    by_operator = played.archive.export(None, target, agency_id=agency.agency_id, number=1)
    assert by_operator.record.made_by is None
    assert open_zip(target.getvalue()).check_sums() == []


def test_a_zip_over_the_limit_is_refused(played: Played) -> None:
    total = sum(row.size_bytes for row in played.documents())
    with pytest.raises(ArchiveTooLarge) as before_building:
        played.export(limit=total - 1)
    # The refusal names the procedure, for the message that offers the server's command.
    assert before_building.value.params == {"size": total, "limit": total - 1, "number": 1}
    with pytest.raises(ArchiveTooLarge) as after_building:
        played.export(limit=total + 10)  # the documents fit; with the PDF the zip does not
    size = after_building.value.params["size"]
    assert after_building.value.params["number"] == 1
    assert isinstance(size, int)
    assert size > total + 10
    exported, _ = played.export(limit=None)
    assert exported.size_bytes > total


def test_hostile_and_clashing_names_are_made_safe_inside_the_zip(
    database: Database, tmp_path: Path
) -> None:
    procedures = ProcedureService(database, LIBRARY)
    agency = staff_agency(OrganizationService(procedures), KESBANGPOL)
    start_as(procedures, agency, KESBANGPOL, TITLE)
    store = LocalDocumentStore(tmp_path / "documents")
    player = Player(procedures, agency)
    # Step 4 takes several uploads before it is done: the names a careless or hostile
    # sender might give, two of them alike but for their case.
    while not any(item.step_number == 4 for _, item in player.work()):
        player.act(*player.work()[0])
    member, item = next((m, i) for m, i in player.work() if i.step_number == 4)
    hostile = [
        "../../etc/passwd.pdf",
        "C:\\Windows\\laporan.pdf",
        "Laporan Ñandú.pdf",
        "LAPORAN.pdf",
        "laporan.pdf",
        "\u202efdp.exe",
    ]
    for index, name in enumerate(hostile):
        procedures.attach_document(
            next_key(),
            member_id=member,
            disposition_id=item.disposition_id,
            document=stored_upload(store, name, sample_pdf(f"berkas {index}")),
        )
    archive = ArchiveService(Views(procedures), store)
    target = io.BytesIO()
    exported = archive.export(agency.admin_id, target, number=1)
    entries = [d.entry for d in exported.record.documents]
    assert entries == [
        "dokumen/01_langkah-4_etc_passwd.pdf",
        "dokumen/02_langkah-4_C__Windows_laporan.pdf",
        "dokumen/03_langkah-4_Laporan-Nandu.pdf",
        "dokumen/04_langkah-4_LAPORAN.pdf",
        "dokumen/05_langkah-4_laporan.pdf",
        "dokumen/06_langkah-4_fdp.pdf",
    ]
    opened = open_zip(target.getvalue())
    assert opened.check_sums() == []
    for name in opened.files:
        assert re.fullmatch(r"[A-Za-z0-9._/-]+", name), name
        assert ".." not in name.split("/")


@pytest.fixture
def office(database: Database) -> ArchiveOffice:
    return archive_office(database)


def searcher(office: ArchiveOffice) -> ArchiveService:
    return ArchiveService(
        Views(office.procedures), LocalDocumentStore(Path("/nonexistent")), clock=office.clock
    )


def test_a_search_names_sops_and_officials_as_people_write_them(office: ArchiveOffice) -> None:
    archive = searcher(office)
    admin = office.agency.admin_id
    by_name = archive.search(admin, parse_query("sop:pelaporan"), page_size=100)
    assert by_name.total == OLDER + 1
    by_id = archive.search(admin, parse_query("sop:pengolahan-data"), page_size=100)
    assert [i.title for i in by_id.items] == [
        "Evaluasi data-kinerja",
        "Evaluasi data_kinerja",
        "Rapat Koordinasi Triwulan III",
    ]
    assert by_id.items[0].sop_name == "PENGOLAHAN DATA"
    nobody = archive.search(admin, parse_query("sop:keuangan"))
    assert (nobody.total, nobody.unknown_sop) == (0, True)
    bidang = archive.search(admin, parse_query('oleh:"kepala bidang"'))
    assert [i.title for i in bidang.items] == ["Rapat Koordinasi Triwulan III"]
    assert archive.search(admin, parse_query("oleh:Zainal")).unknown_official


def test_a_search_s_days_are_the_agency_s_days(office: ArchiveOffice) -> None:
    archive = searcher(office)
    admin = office.agency.admin_id
    # "strip" started on 1 December at 09.00 WITA (01.00 UTC).
    office.set_times(office.numbers["strip"], wita(12, 1, 0, 30))  # 30 Nov 16.30 UTC
    on_the_first = archive.search(admin, parse_query("dari:1/12/2026 sampai:1/12/2026"))
    assert [i.title for i in on_the_first.items] == ["Evaluasi data-kinerja"]
    assert archive.search(admin, parse_query("sampai:30/11/2026 data-kinerja")).total == 0


def test_a_member_searches_only_what_involves_them_and_pages_are_kept_in_range(
    office: ArchiveOffice,
) -> None:
    archive = searcher(office)
    member = archive.search(office.agency.person("kepala_bidang"), ArchiveQuery(words=("a",)))
    assert member.own_only
    assert [i.title for i in member.items] == ["Rapat Koordinasi Triwulan III"]
    admin = office.agency.admin_id
    first = archive.search(admin, parse_query("lama"))
    assert (first.total, first.pages, len(first.items)) == (OLDER, 2, 8)
    beyond = archive.search(admin, parse_query("lama"), page=99)
    assert (beyond.page, len(beyond.items)) == (1, OLDER - 8)
    assert beyond.items[-1].title == "Arsip lama 1"
    ended = archive.search(admin, parse_query("arsip"))
    assert [i.title for i in ended.items] == [
        "Evaluasi data_kinerja",
        "Rapat Koordinasi Triwulan III",
    ]


def test_a_card_opens_only_for_those_who_may_see_it(office: ArchiveOffice) -> None:
    archive = searcher(office)
    admin = office.agency.admin_id
    (rapat,) = archive.search(admin, parse_query(f"#{office.numbers['rapat']}")).items
    card = archive.card(admin, rapat.instance_id)
    assert card.item.letter is not None
    assert card.item.letter.number == "005/UND/XI/2026"
    assert card.started_by == "Kepala Dinas #1"
    assert card.history.entries[-1].action.value == "finish"
    with pytest.raises(NotAllowed):
        archive.card(office.reporters["kadis"], rapat.instance_id)
    (theirs,) = archive.search(office.other.admin_id, ArchiveQuery(words=("rapat",))).items
    with pytest.raises(NotFound):
        archive.card(admin, theirs.instance_id)


def test_the_pdf_in_english(played: Played) -> None:
    _exported, opened = played.export(language=Language.EN)
    text = pdf_text(opened.pdf())
    assert "History of procedure No. 1" in text
    assert "Verified:" in text
    assert "SHA-256" in text
    assert "sha256sum -c SHA256SUMS" in opened.files["README.txt"].decode()
