"""The letter of a procedure in the services and the storage, on SQLite and PostgreSQL: stored
with the instance and read back onto every view's facts; changed by an admin or, while it runs,
by its starter, once per key, audited, and shown on the live dispositions by an edit (no new
message); refused for anyone else with nothing written."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import func
from sqlmodel import SQLModel, col, select

from sopbot.engine.errors import InstanceNotRunning, NotAllowed, NotFound
from sopbot.engine.letters import Letter, LetterEdit, LetterError, LetterPart, LetterProblem
from sopbot.messaging.formatting import plain_text
from sopbot.messaging.notices import Notifier
from sopbot.services.letters import LetterCard, LetterDesk
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.services.views import Views
from sopbot.storage.database import Database
from sopbot.storage.letters import letters_of
from sopbot.storage.models import AuditRow, InstanceRow, OutboxRow
from sopbot.storage.notice_writer import NoticeWriter
from sopbot.storage.procedure_reading import procedure_numbered, running_procedures
from sopbot.storage.task_lists import inbox_of
from tests.helpers.agencies import SeedAgency, next_key, seed_library, staff_agency

LIBRARY = seed_library()
PENGOLAHAN = LIBRARY.definitions["dinas-kukmp-samarinda/pengolahan-data-kinerja"]
KESBANGPOL = LIBRARY.definitions["kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"]
LETTER = Letter("005/123/Disdik/2026", dt.date(2026, 12, 3), "Kementerian Dalam Negeri")
LINE = "✉️ No. Surat: 005/123/Disdik/2026 tgl 3 Desember 2026 dari Kementerian Dalam Negeri"


@dataclass
class Office:
    database: Database
    procedures: ProcedureService
    agency: SeedAgency

    def start(self, title: str, letter: Letter | None = None) -> uuid.UUID:
        outcome = self.procedures.start(
            next_key(),
            agency_id=self.agency.agency_id,
            sop_id=PENGOLAHAN.id,
            title=title,
            starter_id=self.agency.person("kepala_dinas"),
            letter=letter,
        )
        return outcome.result.instance_id

    def counts(self) -> dict[str, int]:
        with self.database.transaction() as session:
            return {
                name: session.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in SQLModel.metadata.tables.items()
                if name not in ("processed_command",)  # a refusal is remembered by its key
            }

    def outbox_after(self, last: int) -> list[OutboxRow]:
        with self.database.reading() as session:
            rows = session.exec(select(OutboxRow).where(col(OutboxRow.id) > last))
            return sorted(rows, key=lambda row: row.id or 0)

    def letter_rows(self) -> list[AuditRow]:
        with self.database.reading() as session:
            rows = session.exec(select(AuditRow).where(AuditRow.action == "letter"))
            return sorted(rows, key=lambda row: row.id or 0)


@pytest.fixture
def office(database: Database) -> Office:
    procedures = ProcedureService(database, LIBRARY, observer=NoticeWriter(Notifier()))
    agency = staff_agency(OrganizationService(procedures), PENGOLAHAN)
    return Office(database, procedures, agency)


def test_the_letter_is_stored_with_the_instance_and_on_every_views_facts(office: Office) -> None:
    with_letter = office.start("Dengan surat", LETTER)
    office.start("Tanpa surat")
    procedures, agency = office.procedures, office.agency
    with office.database.reading() as session:
        row = session.get(InstanceRow, with_letter)
        assert row is not None
        assert (row.letter_number, row.letter_date, row.letter_sender) == (
            LETTER.number,
            LETTER.date,
            LETTER.sender,
        )
    with office.database.unit_of_work(read_only=True) as uow:
        assert procedures.instances.load(uow, with_letter).instance.letter == LETTER
        assert [f.letter for f in running_procedures(uow, agency.agency_id)] == [LETTER, None]
        facts = procedure_numbered(uow, agency.agency_id, 1)
        assert facts is not None
        assert facts.letter == LETTER
        assert letters_of(uow, [with_letter, uuid.uuid4()]) == {with_letter: LETTER}
        assert letters_of(uow, []) == {}
    sekretaris = agency.person("sekretaris")
    with office.database.snapshot() as connection:
        assert [item.letter for item in inbox_of(connection, sekretaris)] == [LETTER, None]
    views = Views(procedures)
    assert [task.letter for task in views.tasks(sekretaris)] == [LETTER, None]
    assert [status.letter for status in views.status(agency.agency_id)] == [LETTER, None]
    assert views.history(agency.agency_id, 1).letter == LETTER
    assert views.history(agency.agency_id, 2).letter is None


def test_a_change_is_audited_once_per_key_and_edits_the_live_dispositions(
    office: Office,
) -> None:
    instance_id = office.start("Data Kinerja", LETTER)
    procedures, agency = office.procedures, office.agency
    sekretaris = agency.person("sekretaris")
    last = max((row.id or 0 for row in office.outbox_after(0)), default=0)
    key = next_key()
    edits = [LetterEdit(LetterPart.DATE, dt.date(2026, 12, 4))]
    first = procedures.change_letter(
        key, member_id=agency.admin_id, instance_id=instance_id, edits=edits
    )
    again = procedures.change_letter(
        key, member_id=agency.admin_id, instance_id=instance_id, edits=edits
    )
    assert (first.replayed, again.replayed) == (False, True)
    assert again.result == first.result
    assert first.result.changed
    assert first.result.letter == Letter(LETTER.number, dt.date(2026, 12, 4), LETTER.sender)
    (row,) = office.letter_rows()
    assert (row.actor_id, row.instance_id, row.entity, row.before, row.after) == (
        agency.admin_id,
        instance_id,
        "instance",
        "running",
        "running",
    )
    assert row.detail == {
        "letter_number": LETTER.number,
        "letter_date": "2026-12-04",
        "letter_sender": LETTER.sender,
        "was_letter_number": LETTER.number,
        "was_letter_date": "2026-12-03",
        "was_letter_sender": LETTER.sender,
    }
    # The sekretaris's message is edited (an edit rings no phone); no message is sent.
    (edit,) = office.outbox_after(last)
    assert (edit.kind, edit.member_id, edit.edits_outbox_id is not None) == (
        "edit",
        sekretaris,
        True,
    )
    text = plain_text(str(edit.payload["text"]))
    assert LINE.replace("3 Desember", "4 Desember") in text.splitlines()
    assert edit.payload["keyboard"]  # still live: its buttons stay
    # The same letter again under another key: nothing to record, nothing to send.
    same = procedures.change_letter(
        next_key(), member_id=agency.admin_id, instance_id=instance_id, edits=edits
    )
    assert not same.result.changed
    assert len(office.letter_rows()) == 1
    assert len(office.outbox_after(last)) == 1


def test_anyone_else_is_refused_and_nothing_is_written(office: Office) -> None:
    instance_id = office.start("Data Kinerja", LETTER)
    procedures, agency = office.procedures, office.agency
    other = staff_agency(OrganizationService(procedures), KESBANGPOL)
    before = office.counts()
    number = [LetterEdit(LetterPart.NUMBER, "9/9/2026")]
    for member_id, refusal in [
        (agency.person("sekretaris"), NotAllowed),  # neither its starter nor an admin
        (other.admin_id, NotFound),  # another agency's admin: not theirs to see
        (987654, NotFound),
    ]:
        with pytest.raises(refusal):
            procedures.change_letter(
                next_key(), member_id=member_id, instance_id=instance_id, edits=number
            )
    with pytest.raises(NotFound):
        procedures.change_letter(
            next_key(), member_id=agency.admin_id, instance_id=uuid.uuid4(), edits=number
        )
    # A date for a procedure without a number is refused too.
    bare = office.start("Tanpa surat")
    before = office.counts()
    with pytest.raises(LetterError) as refused:
        procedures.change_letter(
            next_key(),
            member_id=agency.admin_id,
            instance_id=bare,
            edits=[LetterEdit(LetterPart.DATE, dt.date(2026, 1, 2))],
        )
    assert refused.value.problem is LetterProblem.NUMBER_FIRST
    assert office.counts() == before
    with office.database.unit_of_work(read_only=True) as uow:
        assert procedures.instances.load(uow, instance_id).instance.letter == LETTER


def test_the_starter_may_while_it_runs_and_the_desk_says_who_may(office: Office) -> None:
    instance_id = office.start("Data Kinerja")
    procedures, agency = office.procedures, office.agency
    desk = LetterDesk(procedures)
    kepala, sekretaris = agency.person("kepala_dinas"), agency.person("sekretaris")
    assert desk.card(kepala, number=1) == LetterCard(instance_id, 1, "Data Kinerja", None)
    assert desk.card(agency.admin_id, instance_id=instance_id).number == 1
    with pytest.raises(NotAllowed):
        desk.card(sekretaris, number=1)
    with pytest.raises(NotFound):
        desk.card(kepala, number=2)
    with pytest.raises(NotFound):
        desk.card(kepala, instance_id=uuid.uuid4())
    procedures.change_letter(
        next_key(),
        member_id=kepala,
        instance_id=instance_id,
        edits=[LetterEdit(LetterPart.NUMBER, "1/2026"), LetterEdit(LetterPart.SENDER, "Bupati")],
    )
    assert desk.card(kepala, number=1).letter == Letter("1/2026", None, "Bupati")
    procedures.cancel(next_key(), member_id=kepala, instance_id=instance_id, reason="Salah")
    with pytest.raises(InstanceNotRunning):
        desk.card(kepala, number=1)
    with pytest.raises(InstanceNotRunning):
        procedures.change_letter(
            next_key(), member_id=kepala, instance_id=instance_id, edits=[LetterEdit(None)]
        )
    # The admin, and the server's operator, may still correct the record.
    assert desk.of_agency(agency.agency_id, 1).letter == Letter("1/2026", None, "Bupati")
    cleared = procedures.change_letter(
        next_key(), member_id=None, instance_id=instance_id, edits=[LetterEdit(None)]
    )
    assert (cleared.result.changed, cleared.result.letter) == (True, None)
    with pytest.raises(NotFound):
        desk.of_agency(agency.agency_id, 5)
    assert [row.actor_id for row in office.letter_rows()] == [kepala, None]
