"""Running procedures: each command loads the instance, asks the engine, and saves the result,
its audit rows, the messages it causes and its idempotency key in one transaction.

The path of one press, top-down: `_on_disposition` loads the instance in the command runner's
unit of work; the engine decides (a refusal raises a DomainError and nothing is written);
`_save` writes the changed rows under the instance's version check, records one audit row per
transition and hands the transitions to the notices, which queue the outbox rows; the runner
stores the command's key and result and marks the update processed; the commit links the audit
rows into the agency's chain.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sopbot.engine.definition import Branch, SopDefinition, Together
from sopbot.engine.durations import StandardTime
from sopbot.engine.errors import (
    NotADecision,
    NotAllowed,
    NotFound,
    NotServingRole,
    UnknownSop,
)
from sopbot.engine.instance import (
    Disposition,
    EntityKind,
    InstanceState,
    Transition,
    TransitionAction,
)
from sopbot.engine.letters import Letter, LetterEdit, letter_after
from sopbot.engine.library import DefinitionSource
from sopbot.engine.organization import Assignee
from sopbot.engine.procedure import Deadline, Procedure, Routing
from sopbot.services.commands import Clock, CommandKey, CommandRunner, Outcome, utc_now
from sopbot.storage import instance_lookup, members, outbox
from sopbot.storage.audit import record_transitions
from sopbot.storage.calendars import CalendarStore
from sopbot.storage.database import Database
from sopbot.storage.definitions import DefinitionStore
from sopbot.storage.instance_store import (
    InstanceStore,
    LoadedInstance,
    NewDocument,
    StagedDocument,
)
from sopbot.storage.organization_store import routing_for
from sopbot.storage.step_candidates import serving_the_step
from sopbot.storage.task_lists import InboxItem, inbox_of
from sopbot.storage.unit_of_work import UnitOfWork

__all__ = [
    "ChangeHook",
    "ChangeNotices",
    "DocumentAttached",
    "InboxItem",
    "LetterChanged",
    "NewDocument",
    "NoteSaved",
    "ProcedureChanged",
    "ProcedureService",
    "inbox_of",
]

Key = CommandKey | str | None


@dataclass(frozen=True, slots=True)
class ProcedureChanged:
    """What a move on a procedure left: the instance as it now stands."""

    instance_id: uuid.UUID
    title: str
    number: int
    state: InstanceState
    version: int


@dataclass(frozen=True, slots=True)
class DocumentAttached:
    """An upload recorded as a step's output (`duplicate`: the same content was attached
    already, and that one is kept)."""

    instance_id: uuid.UUID
    title: str
    number: int
    document_id: uuid.UUID
    duplicate: bool


@dataclass(frozen=True, slots=True)
class LetterChanged:
    """A procedure's letter as a change left it (`changed` False: it was so already). Flat
    fields, as the command keys store results."""

    instance_id: uuid.UUID
    title: str
    number: int
    changed: bool
    letter_number: str | None = None
    letter_date: dt.date | None = None
    letter_sender: str | None = None

    @classmethod
    def of(
        cls, instance_id: uuid.UUID, title: str, number: int, letter: Letter | None, changed: bool
    ) -> LetterChanged:
        """The result for a procedure and its letter now."""
        if letter is None:
            return cls(instance_id, title, number, changed)
        return cls(instance_id, title, number, changed, letter.number, letter.date, letter.sender)

    @property
    def letter(self) -> Letter | None:
        """The procedure's letter now (None: it has none)."""
        if self.letter_number is None:
            return None
        return Letter(self.letter_number, self.letter_date, self.letter_sender)


@dataclass(frozen=True, slots=True)
class NoteSaved:
    """A note kept on a disposition until its holder presses Selesai."""

    disposition_id: uuid.UUID


class ChangeHook(Protocol):
    """Told of a command's saved transitions, inside its transaction."""

    def on_change(
        self,
        uow: UnitOfWork,
        loaded: LoadedInstance,
        transitions: Iterable[Transition],
        now: dt.datetime,
    ) -> None:
        """Called once per saved change."""


class ChangeNotices(ChangeHook, Protocol):
    """Turns a command's transitions into the messages people get, in its transaction (the
    notifier: it writes the outbox rows)."""

    def resend(
        self, uow: UnitOfWork, loaded: LoadedInstance, disposition: Disposition, now: dt.datetime
    ) -> None:
        """A live disposition's message again (its holder's account was just bound)."""


class ProcedureService:
    """The moves officials make on procedures, each idempotent under its key."""

    def __init__(
        self,
        database: Database,
        library: DefinitionSource,
        *,
        definitions: DefinitionStore | None = None,
        clock: Clock = utc_now,
        observer: ChangeNotices | None = None,
    ) -> None:
        self.database = database
        # The SOPs that can be started: a folder as loaded, or the installed catalog seen
        # live (services.live_definitions); a running procedure reads its own stored version.
        self.library = library
        self.notices = observer
        # Plans the reminders of the steps a change opens; set by the composition root once
        # the scheduler exists (it needs this service).
        self.reminders: ChangeHook | None = None
        self.definitions = definitions or DefinitionStore()
        self.instances = InstanceStore(self.definitions)
        self.calendars = CalendarStore()
        self.runner = CommandRunner(database, clock)

    # -- starting --------------------------------------------------------------------------

    def start(
        self,
        key: Key,
        *,
        agency_id: int,
        sop_id: str,
        title: str,
        starter_id: int,
        note: str | None = None,
        documents: Sequence[NewDocument] = (),
        letter: Letter | None = None,
    ) -> Outcome[ProcedureChanged]:
        """Start a procedure; when the starter holds the first step, it is done at once.

        `documents` (e.g. the incoming letter) become the first step's output, so they travel
        with the next disposition; `letter` (its number, date and sender) is shown on every
        disposition.
        """

        # Read before the transaction: a live library may look at the catalog, on a
        # connection of its own.
        definition = self.library.get(sop_id)

        def work(uow: UnitOfWork, now: dt.datetime) -> ProcedureChanged:
            starter = members.member_of_agency(uow, agency_id, starter_id)
            if definition is None or definition.agency_key != starter.agency_key:
                raise UnknownSop("no such SOP for this agency", sop_id=sop_id)
            routing = self._routing(uow, agency_id, sop_id, now)
            first_holders = _first_holders(definition, routing)
            if starter_id not in first_holders and not starter.is_admin:
                raise NotAllowed(
                    "only the holder of the first step or an admin may start", member_id=starter_id
                )
            version_id = self.definitions.register(uow, definition, now)
            procedure = Procedure.start(
                definition,
                agency_id=agency_id,
                title=title,
                starter_id=starter_id,
                note=note,
                at=now,
                routing=routing,
                deadline=self.deadline(uow, agency_id),
                letter=letter,
            )
            staged = self._do_first_step(procedure, starter_id, note, documents, routing, now)
            loaded = self.instances.add_new(
                uow, procedure, version_id, agency_timezone=starter.agency_timezone
            )
            return self._save(uow, loaded, now, documents=staged)

        return self.runner.run(key, "start", work, ProcedureChanged)

    @staticmethod
    def _do_first_step(
        procedure: Procedure,
        starter_id: int,
        note: str | None,
        documents: Sequence[NewDocument],
        routing: Routing,
        now: dt.datetime,
    ) -> list[StagedDocument]:
        """When the starter holds the first step: attach the documents they started with and
        complete it (a step whose output is a document waits until one is given)."""
        first = procedure.first_disposition_of(starter_id)
        if first is None:
            return []
        staged = [
            StagedDocument(uuid.uuid4(), first.step_run_id, starter_id, now, document)
            for document in documents
        ]
        for document in staged:
            procedure.attach_document(first.id, starter_id, document.id, now)
        # A first step that asks a question waits for the starter's answer like any other.
        if procedure.answers_question(first, procedure.definition.first_step):
            return staged
        if not procedure.needs_document(first.id):
            procedure.complete(first.id, starter_id, at=now, routing=routing, note=note)
        return staged

    # -- moves on a disposition ------------------------------------------------------------

    def complete(
        self,
        key: Key,
        *,
        member_id: int,
        disposition_id: uuid.UUID,
        note: str | None = None,
    ) -> Outcome[ProcedureChanged]:
        """The holder presses "Selesai"."""

        def move(uow: UnitOfWork, procedure: Procedure, now: dt.datetime) -> None:
            routing = self._routing_of(uow, procedure, now)
            procedure.complete(disposition_id, member_id, at=now, routing=routing, note=note)

        return self._on_disposition(key, "complete", disposition_id, move)

    def decide(
        self,
        key: Key,
        *,
        member_id: int,
        disposition_id: uuid.UUID,
        answer: str,
        reason: str | None = None,
        note: str | None = None,
    ) -> Outcome[ProcedureChanged]:
        """The holder answers a question: `answer` is the key of a branch ("ya", "tidak",
        or a labelled answer's "1", "2", ...); a branch that sends the work back needs a reason."""

        def move(uow: UnitOfWork, procedure: Procedure, now: dt.datetime) -> None:
            routing = self._routing_of(uow, procedure, now)
            procedure.decide(
                disposition_id, member_id, answer, at=now, routing=routing, reason=reason, note=note
            )

        return self._on_disposition(key, "decide", disposition_id, move)

    def claim(
        self, key: Key, *, member_id: int, disposition_id: uuid.UUID
    ) -> Outcome[ProcedureChanged]:
        """A team member takes the step for themselves."""

        def move(_uow: UnitOfWork, procedure: Procedure, now: dt.datetime) -> None:
            procedure.claim(disposition_id, member_id, now)

        return self._on_disposition(key, "claim", disposition_id, move)

    def send_back(
        self, key: Key, *, member_id: int, disposition_id: uuid.UUID, reason: str
    ) -> Outcome[ProcedureChanged]:
        """The holder returns the step to the one before it ("Kembalikan")."""

        def move(uow: UnitOfWork, procedure: Procedure, now: dt.datetime) -> None:
            routing = self._routing_of(uow, procedure, now)
            procedure.send_back(disposition_id, member_id, reason=reason, at=now, routing=routing)

        return self._on_disposition(key, "send_back", disposition_id, move)

    def hand_over(
        self,
        key: Key,
        *,
        member_id: int,
        disposition_id: uuid.UUID,
        to_member_id: int,
        reason: str,
    ) -> Outcome[ProcedureChanged]:
        """The holder (or an agency admin) hands the step to a colleague ("Alihkan")."""

        def move(uow: UnitOfWork, procedure: Procedure, now: dt.datetime) -> None:
            agency_id = procedure.instance.agency_id
            actor = members.member_of_agency(uow, agency_id, member_id)
            target = members.member_of_agency(uow, agency_id, to_member_id)
            procedure.hand_over(
                disposition_id,
                member_id,
                Assignee(target.id, 0),
                reason=reason,
                at=now,
                is_admin=actor.is_admin,
            )

        return self._on_disposition(key, "hand_over", disposition_id, move)

    def attach_document(
        self,
        key: Key,
        *,
        member_id: int,
        disposition_id: uuid.UUID,
        document: NewDocument,
    ) -> Outcome[DocumentAttached]:
        """Record an uploaded file as output of the member's disposition."""

        def work(uow: UnitOfWork, now: dt.datetime) -> DocumentAttached:
            loaded = self._load_for_disposition(uow, disposition_id)
            procedure = loaded.procedure
            procedure.check_actionable(disposition_id, member_id)
            step_run_id = procedure.instance.disposition(disposition_id).step_run_id
            same = instance_lookup.attached_with_content(uow, disposition_id, document.sha256)
            if same is not None:
                # The same content again: keep the one already attached.
                return _attached(loaded, same, duplicate=True)
            staged = StagedDocument(uuid.uuid4(), step_run_id, member_id, now, document)
            # Checked before the row is written, so a refused upload leaves no trace.
            procedure.attach_document(disposition_id, member_id, staged.id, now)
            self._save(uow, loaded, now, documents=[staged])
            return _attached(loaded, staged.id, duplicate=False)

        return self.runner.run(key, "attach", work, DocumentAttached)

    def cancel(
        self, key: Key, *, member_id: int | None, instance_id: uuid.UUID, reason: str
    ) -> Outcome[ProcedureChanged]:
        """The starter or an agency admin stops the procedure, with a reason (`member_id` None:
        the server's operator, from the command line). It is closed as cancelled, never
        deleted; every holder of a live disposition and the starter are told."""

        def work(uow: UnitOfWork, now: dt.datetime) -> ProcedureChanged:
            loaded = self.instances.load(uow, instance_id)
            is_admin = _admin_of(uow, loaded, member_id, require=False)
            loaded.procedure.cancel(member_id, reason=reason, at=now, is_admin=is_admin)
            return self._save(uow, loaded, now)

        return self.runner.run(key, "cancel", work, ProcedureChanged)

    def change_letter(
        self,
        key: Key,
        *,
        member_id: int | None,
        instance_id: uuid.UUID,
        edits: Sequence[LetterEdit],
    ) -> Outcome[LetterChanged]:
        """Give, change or remove the letter a procedure is about (`edits`, applied in one
        go to the letter as it stands now): an agency admin at any time, its starter while it
        runs (`member_id` None: the server's operator). Audited with the letter before and
        after; the live dispositions' messages are edited to show it, without a new message."""

        def work(uow: UnitOfWork, now: dt.datetime) -> LetterChanged:
            loaded = self.instances.load(uow, instance_id)
            is_admin = _admin_of(uow, loaded, member_id, require=False)
            instance = loaded.instance
            before = instance.letter
            # Who may is checked before what: a refused member learns nothing of the letter.
            loaded.procedure.require_letter_change(member_id, is_admin=is_admin)
            after = letter_after(before, tuple(edits))
            changed = loaded.procedure.set_letter(after, member_id, at=now, is_admin=is_admin)
            self._save(uow, loaded, now)
            return LetterChanged.of(instance.id, instance.title, loaded.number, after, changed)

        return self.runner.run(key, "letter", work, LetterChanged)

    def reassign(
        self,
        key: Key,
        *,
        member_id: int | None,
        disposition_id: uuid.UUID,
        to_member_id: int,
        reason: str,
    ) -> Outcome[ProcedureChanged]:
        """An agency admin (None: the server's operator) moves an open step to another official
        who serves its role now, or to the Plt/Plh in office for one of its positions, with a
        reason: the step is stuck with someone away. The new holder gets the reason as the
        instruction; the audit row says the admin moved it (not the holder's own "Alihkan")."""

        def move(uow: UnitOfWork, procedure: Procedure, now: dt.datetime) -> None:
            _admin_of(uow, procedure, member_id, require=True)
            procedure.check_actionable(disposition_id, member_id, is_admin=True)
            disposition = procedure.instance.disposition(disposition_id)
            serving = {p.member_id: p for p in serving_the_step(uow, procedure, disposition, now)}
            target = serving.get(to_member_id)
            if target is None:
                raise NotServingRole(
                    "the person does not serve the step's role", member_id=to_member_id
                )
            # Acting for the step's own post, the new disposition says so ("Plh. ... untuk").
            acting = target.acting if target.position_id == disposition.position_id else None
            procedure.hand_over(
                disposition_id,
                member_id,
                Assignee(
                    to_member_id,
                    disposition.position_id,
                    acting,
                    target.acting_for_id if acting is not None else None,
                ),
                reason=reason,
                at=now,
                is_admin=True,
            )

        return self._on_disposition(key, "reassign", disposition_id, move)

    def reconcile_agency(
        self,
        uow: UnitOfWork,
        agency_id: int,
        now: dt.datetime,
        actor_id: int | None,
        *,
        gone: frozenset[int] = frozenset(),
    ) -> int:
        """Re-route the open steps of an agency's running instances (after a change of people;
        `gone`: members deactivated, whose handed-over steps go back too).

        Runs inside the caller's unit of work; returns how many instances changed.
        """
        return self.reconcile_agency_moves(uow, agency_id, now, actor_id, gone=gone).instances

    def reconcile_agency_moves(
        self,
        uow: UnitOfWork,
        agency_id: int,
        now: dt.datetime,
        actor_id: int | None,
        *,
        gone: frozenset[int] = frozenset(),
    ) -> Reconciled:
        """`reconcile_agency`, saying also which open steps moved from whom to whom (what the
        Plt/Plh term notices count)."""
        changed = 0
        moves: list[WorkMoved] = []
        for instance_id in instance_lookup.running_in_agency(uow, agency_id):
            loaded = self.instances.load(uow, instance_id)
            routing = self._routing_of(uow, loaded.procedure, now)
            loaded.procedure.reconcile(at=now, routing=routing, actor_id=actor_id, gone=gone)
            if loaded.procedure.transitions:
                moves.extend(_moves_of(loaded, loaded.procedure.transitions))
                self._save(uow, loaded, now)
                changed += 1
        return Reconciled(changed, tuple(moves))

    def live_work(self, uow: UnitOfWork, member_id: int) -> set[uuid.UUID]:
        """The ids of the member's live dispositions, in the caller's unit of work."""
        return instance_lookup.live_dispositions_of(uow, member_id)

    def send_again(
        self, uow: UnitOfWork, member_id: int, dispositions: set[uuid.UUID], now: dt.datetime
    ) -> int:
        """Send the member those of `dispositions` that are still live, as new, in the caller's
        unit of work: their messages never reached the member (written before the member had
        a Telegram account), and those not delivered yet are superseded, so each reaches them
        once. Returns how many were sent."""
        outbox.supersede_unsent(uow, member_id, dispositions)
        count = 0
        for instance_id in instance_lookup.with_live_work_of(uow, member_id):
            loaded = self.instances.load(uow, instance_id)
            for disposition in loaded.instance.live_dispositions(member_id):
                if disposition.id in dispositions and self.notices is not None:
                    self.notices.resend(uow, loaded, disposition, now)
                    count += 1
        return count

    def check(self, member_id: int, disposition_id: uuid.UUID) -> str:
        """Raise why the member cannot act on the disposition now; else its step's number as
        the SOP prints it."""
        with self.database.unit_of_work(read_only=True) as uow:
            loaded = self.instances.load_for_disposition(uow, disposition_id)
            loaded.procedure.check_actionable(disposition_id, member_id)
            disposition = loaded.instance.disposition(disposition_id)
            run = loaded.instance.run(disposition.step_run_id)
            return loaded.procedure.definition.step(run.step_number).label

    def branch(self, member_id: int, disposition_id: uuid.UUID, answer: str) -> ChosenBranch:
        """The branch `answer` names on the disposition's question, when the member may answer
        it now (raises why not: not theirs, not a question, no such answer)."""
        with self.database.unit_of_work(read_only=True) as uow:
            loaded = self.instances.load_for_disposition(uow, disposition_id)
            procedure = loaded.procedure
            procedure.check_actionable(disposition_id, member_id)
            disposition = loaded.instance.disposition(disposition_id)
            run = loaded.instance.run(disposition.step_run_id)
            step = procedure.definition.step(run.step_number)
            decision = step.decision
            if (
                decision is None
                or not procedure.answers_question(disposition, step)
                or not decision.has_branch(answer)
            ):
                raise NotADecision("no such answer here", step_number=step.number)
            return ChosenBranch(step.label, decision.branch(answer))

    def save_note(
        self, key: Key, *, member_id: int, disposition_id: uuid.UUID, note: str
    ) -> Outcome[NoteSaved]:
        """Keep a note the holder replied to their disposition, until they press Selesai."""

        def work(uow: UnitOfWork, _now: dt.datetime) -> NoteSaved:
            loaded = self.instances.load_for_disposition(uow, disposition_id)
            loaded.procedure.write_note(disposition_id, member_id, note)
            self.instances.save_note(uow, loaded.instance.disposition(disposition_id))
            return NoteSaved(disposition_id)

        return self.runner.run(key, "note", work, NoteSaved)

    # -- queries ---------------------------------------------------------------------------

    def disposition_for_message(self, chat_id: int, message_id: int) -> uuid.UUID | None:
        """The disposition a bot message in a chat shows, if it shows one."""
        with self.database.unit_of_work(read_only=True) as uow:
            return instance_lookup.disposition_shown_in(uow, chat_id, message_id)

    def startable(self, member_id: int) -> list[SopDefinition]:
        """The SOPs a member may start: they hold the first step, or they are an admin."""
        now = self.runner.clock()
        with self.database.unit_of_work(read_only=True) as uow:
            member = members.find_member(uow, member_id)
        if member is None:
            return []
        # Read outside the transaction: a live library may look at the catalog, on a
        # connection of its own.
        definitions = self.library.for_agency(member.agency_key)
        with self.database.unit_of_work(read_only=True) as uow:
            result = []
            for definition in definitions:
                routing = self._routing(uow, member.agency_id, definition.id, now)
                holders = _first_holders(definition, routing)
                if member.is_admin or member_id in holders:
                    result.append(definition)
            return result

    def colleagues(self, member_id: int) -> list[tuple[int, str]]:
        """Other members of the member's agency who use the bot: (id, name)."""
        with self.database.unit_of_work(read_only=True) as uow:
            return members.colleagues_of(uow, member_id)

    def member_names(self, member_ids: Iterable[int]) -> dict[int, str]:
        """Names of members, by id."""
        with self.database.unit_of_work(read_only=True) as uow:
            return members.names_of(uow, member_ids)

    def inbox(self, member_id: int) -> list[InboxItem]:
        """The member's live dispositions, oldest first."""
        with self.database.snapshot() as connection:
            return inbox_of(connection, member_id)

    # -- the path of a move ----------------------------------------------------------------

    def _on_disposition(
        self,
        key: Key,
        kind: str,
        disposition_id: uuid.UUID,
        move: Callable[[UnitOfWork, Procedure, dt.datetime], None],
    ) -> Outcome[ProcedureChanged]:
        """Load the disposition's instance, make the move, save: one command under `key`."""

        def work(uow: UnitOfWork, now: dt.datetime) -> ProcedureChanged:
            loaded = self._load_for_disposition(uow, disposition_id)
            move(uow, loaded.procedure, now)
            return self._save(uow, loaded, now)

        return self.runner.run(key, kind, work, ProcedureChanged)

    def _load_for_disposition(self, uow: UnitOfWork, disposition_id: uuid.UUID) -> LoadedInstance:
        """The instance a disposition belongs to, with its agency's working clock."""
        loaded = self.instances.load_for_disposition(uow, disposition_id)
        loaded.procedure.deadline = self.deadline(uow, loaded.instance.agency_id)
        return loaded

    def _save(
        self,
        uow: UnitOfWork,
        loaded: LoadedInstance,
        now: dt.datetime,
        documents: Sequence[StagedDocument] = (),
    ) -> ProcedureChanged:
        """Save what the engine changed, audit it and queue the messages it causes."""
        instance = loaded.instance
        transitions = self.instances.save(uow, loaded, documents=documents)
        if transitions:
            record_transitions(
                uow,
                transitions,
                agency_id=instance.agency_id,
                instance_id=instance.id,
                documents=documents,
            )
            # After the save, so that what the notices show (documents, dispositions) is there.
            if self.notices is not None:
                self.notices.on_change(uow, loaded, transitions, now)
            if self.reminders is not None:
                self.reminders.on_change(uow, loaded, transitions, now)
        return ProcedureChanged(
            instance.id, instance.title, loaded.number, instance.state, instance.version
        )

    def deadline(self, uow: UnitOfWork, agency_id: int) -> Deadline:
        """Due times on the agency's working clock (its hours, holidays and cuti bersama)."""
        calendar = self.calendars.calendar(uow, agency_id)

        def due(standard: StandardTime, opened_at: dt.datetime) -> dt.datetime:
            return calendar.due(opened_at, standard)

        return due

    @staticmethod
    def _routing(uow: UnitOfWork, agency_id: int, sop_id: str, now: dt.datetime) -> Routing:
        """Who acts for each role of the agency's SOP now."""
        return routing_for(uow.session, agency_id, sop_id, now)

    def _routing_of(self, uow: UnitOfWork, procedure: Procedure, now: dt.datetime) -> Routing:
        return self._routing(uow, procedure.instance.agency_id, procedure.instance.sop_id, now)


def _admin_of(
    uow: UnitOfWork,
    found: LoadedInstance | Procedure,
    member_id: int | None,
    *,
    require: bool,
) -> bool:
    """Whether the member acting on the instance is an admin of its agency (the server's
    operator, None, is). A member of another agency reads as not found: the instance is not
    theirs to see. With `require`, anyone but an admin is refused."""
    if member_id is None:
        return True
    instance = found.instance
    actor = members.find_member(uow, member_id)
    if actor is None or actor.agency_id != instance.agency_id:
        raise NotFound("no such procedure in the member's agency", what="instance", id=instance.id)
    if require and not actor.is_admin:
        raise NotAllowed("only an agency admin may do this", member_id=member_id)
    return actor.is_admin


def _attached(
    loaded: LoadedInstance, document_id: uuid.UUID, *, duplicate: bool
) -> DocumentAttached:
    instance = loaded.instance
    return DocumentAttached(instance.id, instance.title, loaded.number, document_id, duplicate)


@dataclass(frozen=True, slots=True)
class WorkMoved:
    """An open step that a reconcile gave to someone else: from the person whose disposition
    it rerouted (None: nobody had it live, e.g. a vacant post), to the person who has it now
    (None: nobody acts for the position, and the step waits vacant), for one position."""

    instance_id: uuid.UUID
    number: int
    title: str
    step_label: str
    position_id: int
    from_member_id: int | None
    to_member_id: int | None


@dataclass(frozen=True, slots=True)
class Reconciled:
    """What re-routing an agency's open work did: how many instances changed, and each move."""

    instances: int
    moves: tuple[WorkMoved, ...] = ()


def _moves_of(loaded: LoadedInstance, transitions: Iterable[Transition]) -> list[WorkMoved]:
    """The moves a reconcile's transitions make: each disposition rerouted, to its successor
    or to nobody, and each disposition sent that succeeds none rerouted here."""
    instance = loaded.instance
    definition = loaded.procedure.definition
    sent = [t.entity_id for t in transitions if _is_disposition(t, TransitionAction.SEND)]
    rerouted = {t.entity_id for t in transitions if _is_disposition(t, TransitionAction.REROUTE)}
    successors = {instance.disposition(d).handed_from_id: instance.disposition(d) for d in sent}

    def move(disposition: Disposition, from_id: int | None, to_id: int | None) -> WorkMoved:
        run = instance.run(disposition.step_run_id)
        return WorkMoved(
            instance.id,
            loaded.number,
            instance.title,
            definition.step(run.step_number).label,
            disposition.position_id,
            from_id,
            to_id,
        )

    moves = []
    for disposition_id in sorted(rerouted, key=str):
        old = instance.disposition(disposition_id)
        new = successors.get(disposition_id)
        moves.append(move(old, old.assignee_id, new.assignee_id if new else None))
    for disposition_id in sent:
        new = instance.disposition(disposition_id)
        if new.handed_from_id not in rerouted:
            moves.append(move(new, None, new.assignee_id))
    return moves


def _is_disposition(transition: Transition, action: TransitionAction) -> bool:
    return transition.entity is EntityKind.DISPOSITION and transition.action is action


@dataclass(frozen=True, slots=True)
class ChosenBranch:
    """An answer a member may give on a disposition now, and its step's number as printed."""

    step_label: str
    branch: Branch


def _first_holders(definition: SopDefinition, routing: Routing) -> set[int]:
    """Who receives the first step: a starter among them does it at once."""
    step = definition.first_step
    roles = step.roles[:1] if step.together is Together.IN_TURN else step.roles
    return {a.member_id for role in roles for a in routing(definition.routed_role(role))}
