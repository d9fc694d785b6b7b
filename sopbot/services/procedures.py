"""Running procedures: each command loads the instance, asks the engine, and saves the result,
its audit rows and its idempotency key in one transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import bindparam
from sqlalchemy import select as select_core
from sqlmodel import Session, col, select

from sopbot.engine.definition import DecisionAnswer, OutputKind, SopDefinition, Step
from sopbot.engine.errors import NotAllowed, UnknownMember, UnknownSop
from sopbot.engine.instance import LIVE_DISPOSITION_STATES, InstanceState, Transition
from sopbot.engine.library import SopLibrary
from sopbot.engine.organization import Assignee
from sopbot.engine.procedure import Deadline, Procedure
from sopbot.services.commands import Clock, CommandRunner, Outcome, utc_now
from sopbot.storage.calendars import CalendarStore
from sopbot.storage.database import Database
from sopbot.storage.definitions import DefinitionStore
from sopbot.storage.instance_store import InstanceStore, LoadedInstance
from sopbot.storage.models import (
    AgencyRow,
    DispositionRow,
    DocumentRow,
    InstanceRow,
    MemberRow,
    OutboxRow,
    StepRunRow,
)
from sopbot.storage.organization_store import routing_for
from sopbot.storage.prepared import PreparedQuery, RawConnection
from sopbot.storage.statements import table_of
from sopbot.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One disposition waiting for a member: what /tugas lists."""

    disposition_id: uuid.UUID
    step_run_id: uuid.UUID
    instance_id: uuid.UUID
    instance_number: int
    title: str
    sop_id: str
    step_number: int
    round: int
    state: str
    received_at: dt.datetime
    due_at: dt.datetime | None
    acting: str | None
    acting_for_id: int | None
    # What a task list needs to describe the step and count its lateness, read with it.
    agency_id: int
    sop_version_id: int


@dataclass(frozen=True, slots=True)
class NewDocument:
    """An uploaded file, already checked and kept in the document store."""

    telegram_file_id: str
    telegram_file_unique_id: str
    original_name: str
    mime_type: str
    size_bytes: int
    sha256: str
    storage_key: str


_DISPOSITION = table_of(DispositionRow)
_STEP_RUN = table_of(StepRunRow)
_INSTANCE = table_of(InstanceRow)
# What /tugas and every "which task?" question read: compiled once (storage/prepared.py).
_INBOX_QUERY = PreparedQuery(
    select_core(
        _DISPOSITION.c.id,
        _STEP_RUN.c.id,
        _INSTANCE.c.id,
        _INSTANCE.c.number,
        _INSTANCE.c.title,
        _INSTANCE.c.sop_id,
        _STEP_RUN.c.step_number,
        _STEP_RUN.c.round,
        _DISPOSITION.c.state,
        _DISPOSITION.c.created_at,
        _STEP_RUN.c.due_at,
        _DISPOSITION.c.acting,
        _DISPOSITION.c.acting_for_id,
        _INSTANCE.c.agency_id,
        _INSTANCE.c.sop_version_id,
    )
    .join(_STEP_RUN, _STEP_RUN.c.id == _DISPOSITION.c.step_run_id)
    .join(_INSTANCE, _INSTANCE.c.id == _DISPOSITION.c.instance_id)
    .where(_DISPOSITION.c.assignee_id == bindparam("member_id"))
    .where(_DISPOSITION.c.state.in_([s.value for s in LIVE_DISPOSITION_STATES]))
    .order_by(_DISPOSITION.c.created_at)
)


def inbox_of(connection: RawConnection, member_id: int) -> list[InboxItem]:
    """A member's live dispositions, oldest first, read in the connection's transaction."""
    return [InboxItem(*row) for row in _INBOX_QUERY.rows(connection, {"member_id": member_id})]


class ChangeObserver(Protocol):
    """Hears of every change inside its transaction (the notifier writes the outbox here)."""

    def on_change(
        self,
        session: Session,
        loaded: LoadedInstance,
        transitions: Iterable[Transition],
        now: dt.datetime,
    ) -> None:
        """Called with the changes of one command, before they are saved."""


class ProcedureService:
    """The moves officials make on procedures, each idempotent under its key."""

    def __init__(
        self,
        database: Database,
        library: SopLibrary,
        *,
        definitions: DefinitionStore | None = None,
        clock: Clock = utc_now,
        observer: ChangeObserver | None = None,
    ) -> None:
        self.database = database
        self.library = library
        self.observers: list[ChangeObserver] = [observer] if observer is not None else []
        self.definitions = definitions or DefinitionStore()
        self.instances = InstanceStore(self.definitions)
        self.calendars = CalendarStore()
        self.runner = CommandRunner(database, clock)

    # -- starting --------------------------------------------------------------------------

    def start(
        self,
        key: str | None,
        *,
        agency_id: int,
        sop_id: str,
        title: str,
        starter_id: int,
        note: str | None = None,
        documents: Sequence[NewDocument] = (),
    ) -> Outcome[dict[str, Any]]:
        """Start a procedure; when the starter holds the first step, it is done at once.

        `documents` (e.g. the incoming letter) become the first step's output, so they travel
        with the next disposition.
        """

        def work(uow: UnitOfWork, now: dt.datetime) -> dict[str, Any]:
            session = uow.session
            agency = session.get(AgencyRow, agency_id)
            definition = self.library.get(sop_id)
            if agency is None or definition is None or definition.agency_key != agency.key:
                raise UnknownSop("no such SOP for this agency", sop_id=sop_id)
            starter = _member_of(session, agency_id, starter_id)
            routing = routing_for(session, agency_id, sop_id, now)
            first_holders = {a.member_id for a in routing(definition.first_step.role)}
            if starter_id not in first_holders and not starter.is_admin:
                raise NotAllowed(
                    "only the holder of the first step or an admin may start", member_id=starter_id
                )
            version_id = self.definitions.register(session, definition, now)
            procedure = Procedure.start(
                definition,
                agency_id=agency_id,
                title=title,
                starter_id=starter_id,
                note=note,
                at=now,
                routing=routing,
                deadline=self.deadline(session, agency_id),
            )
            first = procedure.first_disposition_of(starter_id)
            rows: list[DocumentRow] = []
            if first is not None:
                for document in documents:
                    document_id = uuid.uuid4()
                    procedure.attach_document(first.id, starter_id, document_id, now)
                    rows.append(
                        _document_row(
                            document_id,
                            procedure.instance.id,
                            first.step_run_id,
                            starter_id,
                            now,
                            document,
                        )
                    )
                if rows or definition.first_step.output_kind is not OutputKind.DOCUMENT:
                    procedure.complete(first.id, starter_id, at=now, routing=routing, note=note)
            loaded = self.instances.add_new(
                session, procedure, version_id, agency_timezone=agency.timezone
            )
            self._save(session, loaded, now, documents=rows)
            return {"instance_id": str(procedure.instance.id), "number": loaded.number}

        return self.runner.run(key, "start", work, dict)

    # -- moves on a disposition ------------------------------------------------------------

    def complete(
        self,
        key: str | None,
        *,
        member_id: int,
        disposition_id: uuid.UUID,
        note: str | None = None,
    ) -> Outcome[dict[str, Any]]:
        """The holder presses "Selesai"."""
        return self._on_disposition(
            key,
            "complete",
            disposition_id,
            lambda p, now, routing: p.complete(
                disposition_id, member_id, at=now, routing=routing, note=note
            ),
        )

    def decide(
        self,
        key: str | None,
        *,
        member_id: int,
        disposition_id: uuid.UUID,
        answer: DecisionAnswer,
        reason: str | None = None,
        note: str | None = None,
    ) -> Outcome[dict[str, Any]]:
        """The holder answers a decision ("Sesuai" / "Tidak sesuai" with a reason)."""
        return self._on_disposition(
            key,
            "decide",
            disposition_id,
            lambda p, now, routing: p.decide(
                disposition_id,
                member_id,
                answer,
                at=now,
                routing=routing,
                reason=reason,
                note=note,
            ),
        )

    def claim(
        self, key: str | None, *, member_id: int, disposition_id: uuid.UUID
    ) -> Outcome[dict[str, Any]]:
        """A team member takes the step for themselves."""
        return self._on_disposition(
            key,
            "claim",
            disposition_id,
            lambda p, now, _routing: p.claim(disposition_id, member_id, now),
        )

    def send_back(
        self, key: str | None, *, member_id: int, disposition_id: uuid.UUID, reason: str
    ) -> Outcome[dict[str, Any]]:
        """The holder returns the step to the one before it ("Kembalikan")."""
        return self._on_disposition(
            key,
            "send_back",
            disposition_id,
            lambda p, now, routing: p.send_back(
                disposition_id, member_id, reason=reason, at=now, routing=routing
            ),
        )

    def hand_over(
        self,
        key: str | None,
        *,
        member_id: int,
        disposition_id: uuid.UUID,
        to_member_id: int,
        reason: str,
    ) -> Outcome[dict[str, Any]]:
        """The holder (or an agency admin) hands the step to a colleague ("Alihkan")."""

        def move(procedure: Procedure, now: dt.datetime, session: Session) -> None:
            agency_id = procedure.instance.agency_id
            actor = _member_of(session, agency_id, member_id)
            target = _member_of(session, agency_id, to_member_id)
            assert target.id is not None  # noqa: S101 - a stored row
            procedure.hand_over(
                disposition_id,
                member_id,
                Assignee(target.id, 0),
                reason=reason,
                at=now,
                is_admin=actor.is_admin,
            )

        return self._on_disposition_with_session(key, "hand_over", disposition_id, move)

    def attach_document(
        self,
        key: str | None,
        *,
        member_id: int,
        disposition_id: uuid.UUID,
        document: NewDocument,
    ) -> Outcome[dict[str, Any]]:
        """Record an uploaded file as output of the member's disposition."""
        document_id = uuid.uuid4()

        duplicate = False

        def move(procedure: Procedure, now: dt.datetime, session: Session) -> None:
            nonlocal duplicate
            disposition = procedure.instance.disposition(disposition_id)
            procedure.check_actionable(disposition_id, member_id)
            same = session.exec(
                select(DocumentRow.id)
                .where(DocumentRow.disposition_id == disposition_id)
                .where(DocumentRow.sha256 == document.sha256)
            ).first()
            if same is not None:
                duplicate = True  # the same content again: keep the one already attached
                return
            # Checked before the row is written, so a refused upload leaves no trace.
            procedure.attach_document(disposition_id, member_id, document_id, now)
            session.add(
                _document_row(
                    document_id,
                    procedure.instance.id,
                    disposition.step_run_id,
                    member_id,
                    now,
                    document,
                )
            )
            session.flush()

        outcome = self._on_disposition_with_session(key, "attach", disposition_id, move)
        if outcome.replayed:
            return outcome
        return Outcome({**outcome.result, "document_id": str(document_id), "duplicate": duplicate})

    def cancel(
        self, key: str | None, *, member_id: int, instance_id: uuid.UUID, reason: str
    ) -> Outcome[dict[str, Any]]:
        """The starter or an agency admin stops the procedure."""

        def work(uow: UnitOfWork, now: dt.datetime) -> dict[str, Any]:
            session = uow.session
            loaded = self.instances.load(session, instance_id)
            actor = _member_of(session, loaded.instance.agency_id, member_id)
            loaded.procedure.cancel(member_id, reason=reason, at=now, is_admin=actor.is_admin)
            return self._save(session, loaded, now)

        return self.runner.run(key, "cancel", work, dict)

    def reconcile_agency(
        self, session: Session, agency_id: int, now: dt.datetime, actor_id: int | None
    ) -> int:
        """Re-route the open steps of an agency's running instances (after a change of people).

        Runs inside the caller's transaction; returns how many instances changed.
        """
        changed = 0
        running = session.exec(
            select(InstanceRow.id).where(
                InstanceRow.agency_id == agency_id,
                InstanceRow.state == InstanceState.RUNNING.value,
            )
        ).all()
        for instance_id in running:
            loaded = self.instances.load(session, instance_id)
            routing = routing_for(session, agency_id, loaded.instance.sop_id, now)
            loaded.procedure.reconcile(at=now, routing=routing, actor_id=actor_id)
            if loaded.procedure.transitions:
                self._save(session, loaded, now)
                changed += 1
        return changed

    def resend_open(self, member_id: int) -> int:
        """Send a member's open dispositions again (e.g. once their account is bound)."""
        count = 0
        with self.database.transaction() as session:
            instance_ids = session.exec(
                select(DispositionRow.instance_id)
                .where(DispositionRow.assignee_id == member_id)
                .where(col(DispositionRow.state).in_([s.value for s in LIVE_DISPOSITION_STATES]))
                .distinct()
            ).all()
            resenders = [o.resend for o in self.observers if hasattr(o, "resend")]
            for instance_id in instance_ids:
                loaded = self.instances.load(session, instance_id)
                for disposition in loaded.instance.live_dispositions(member_id):
                    for resend in resenders:
                        resend(session, loaded, disposition, self.runner.clock())
                    count += 1
        return count

    def check(self, member_id: int, disposition_id: uuid.UUID) -> int:
        """Raise why the member cannot act on the disposition now; else its step number."""
        with self.database.reading() as session:
            loaded = self.instances.load_for_disposition(session, disposition_id)
            loaded.procedure.check_actionable(disposition_id, member_id)
            disposition = loaded.instance.disposition(disposition_id)
            return loaded.instance.run(disposition.step_run_id).step_number

    def save_note(
        self, key: str | None, *, member_id: int, disposition_id: uuid.UUID, note: str
    ) -> Outcome[dict[str, Any]]:
        """Keep a note the holder replied to their disposition, until they press Selesai."""

        def work(uow: UnitOfWork, now: dt.datetime) -> dict[str, Any]:
            session = uow.session
            loaded = self.instances.load_for_disposition(session, disposition_id)
            loaded.procedure.write_note(disposition_id, member_id, note)
            self.instances.save_note(session, loaded.instance.disposition(disposition_id))
            return {"disposition_id": str(disposition_id)}

        return self.runner.run(key, "note", work, dict)

    # -- queries ---------------------------------------------------------------------------

    def disposition_for_message(self, chat_id: int, message_id: int) -> uuid.UUID | None:
        """The disposition a bot message in a chat shows, if it shows one."""
        with self.database.reading() as session:
            row = session.exec(
                select(OutboxRow).where(
                    OutboxRow.chat_id == chat_id,
                    OutboxRow.telegram_message_id == message_id,
                    col(OutboxRow.disposition_id).is_not(None),
                )
            ).first()
            return row.disposition_id if row else None

    def startable(self, member_id: int) -> list[SopDefinition]:
        """The SOPs a member may start: they hold the first step, or they are an admin."""
        now = self.runner.clock()
        with self.database.reading() as session:
            member = session.get(MemberRow, member_id)
            agency = session.get(AgencyRow, member.agency_id) if member else None
            if member is None or agency is None or agency.id is None:
                return []
            result = []
            for definition in self.library.for_agency(agency.key):
                routing = routing_for(session, agency.id, definition.id, now)
                holders = {a.member_id for a in routing(definition.first_step.role)}
                if member.is_admin or member_id in holders:
                    result.append(definition)
            return result

    def colleagues(self, member_id: int) -> list[tuple[int, str]]:
        """Other members of the member's agency who use the bot: (id, name)."""
        with self.database.reading() as session:
            member = session.get(MemberRow, member_id)
            if member is None:
                return []
            rows = session.exec(
                select(MemberRow)
                .where(MemberRow.agency_id == member.agency_id)
                .where(col(MemberRow.telegram_user_id).is_not(None))
                .where(MemberRow.id != member_id)
                .order_by(col(MemberRow.name))
            ).all()
            return [(m.id, m.name) for m in rows if m.id is not None]

    def member_names(self, member_ids: Iterable[int]) -> dict[int, str]:
        """Names of members, by id."""
        ids = list(set(member_ids))
        if not ids:
            return {}
        with self.database.reading() as session:
            rows = session.exec(select(MemberRow).where(col(MemberRow.id).in_(ids))).all()
            return {m.id: m.name for m in rows if m.id is not None}

    def inbox(self, member_id: int) -> list[InboxItem]:
        """The member's live dispositions, oldest first."""
        with self.database.snapshot() as connection:
            return inbox_of(connection, member_id)

    # -- plumbing --------------------------------------------------------------------------

    def _on_disposition(
        self,
        key: str | None,
        kind: str,
        disposition_id: uuid.UUID,
        move: Callable[[Procedure, dt.datetime, Any], None],
    ) -> Outcome[dict[str, Any]]:
        def with_routing(procedure: Procedure, now: dt.datetime, session: Session) -> None:
            routing = routing_for(
                session, procedure.instance.agency_id, procedure.instance.sop_id, now
            )
            move(procedure, now, routing)

        return self._on_disposition_with_session(key, kind, disposition_id, with_routing)

    def _on_disposition_with_session(
        self,
        key: str | None,
        kind: str,
        disposition_id: uuid.UUID,
        move: Callable[[Procedure, dt.datetime, Session], None],
    ) -> Outcome[dict[str, Any]]:
        def work(uow: UnitOfWork, now: dt.datetime) -> dict[str, Any]:
            session = uow.session
            loaded = self.instances.load_for_disposition(session, disposition_id)
            loaded.procedure.deadline = self.deadline(session, loaded.instance.agency_id)
            move(loaded.procedure, now, session)
            return self._save(session, loaded, now)

        return self.runner.run(key, kind, work, dict)

    def deadline(self, session: Session, agency_id: int) -> Deadline:
        """Due times on the agency's working clock (its hours, holidays and cuti bersama)."""
        calendar = self.calendars.calendar(session, agency_id)

        def due(step: Step, opened_at: dt.datetime) -> dt.datetime:
            return calendar.due(opened_at, step.standard_time)

        return due

    def _save(
        self,
        session: Session,
        loaded: LoadedInstance,
        now: dt.datetime,
        documents: Sequence[DocumentRow] = (),
    ) -> dict[str, Any]:
        transitions = list(loaded.procedure.transitions)
        self.instances.save(session, loaded, documents=documents)
        # After the save, so that what the notices show (documents, dispositions) is there.
        if transitions:
            for observer in self.observers:
                observer.on_change(session, loaded, transitions, now)
        instance = loaded.instance
        return {
            "instance_id": str(instance.id),
            "title": instance.title,
            "number": loaded.number,
            "state": instance.state.value,
            "version": instance.version,
        }


def _document_row(
    document_id: uuid.UUID,
    instance_id: uuid.UUID,
    step_run_id: uuid.UUID,
    member_id: int,
    now: dt.datetime,
    document: NewDocument,
) -> DocumentRow:
    """The row of an uploaded file (attached to its disposition when the engine says so)."""
    return DocumentRow(
        id=document_id,
        instance_id=instance_id,
        step_run_id=step_run_id,
        telegram_file_id=document.telegram_file_id,
        telegram_file_unique_id=document.telegram_file_unique_id,
        original_name=document.original_name,
        mime_type=document.mime_type,
        size_bytes=document.size_bytes,
        sha256=document.sha256,
        storage_key=document.storage_key,
        uploaded_by_id=member_id,
        uploaded_at=now,
    )


def _member_of(session: Session, agency_id: int, member_id: int) -> MemberRow:
    member = session.get(MemberRow, member_id)
    if member is None or member.agency_id != agency_id:
        raise UnknownMember("no such member in this agency", member_id=member_id)
    return member
