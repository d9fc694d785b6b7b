"""The archive: an agency's procedures searched (/cari, /arsip, `sopbot procedure search`), one
of them shown (a result's button), and exported for an auditor as a zip of its documents with
the PDF of its history (/ekspor, `sopbot procedure export`).

Who sees what, decided here in each unit of work whatever a button said: an agency's admins see
all of its procedures; any other member only those they started, acted in or were given a step
of (the /riwayat rule, `InstanceHistory.involves`); nobody ever sees another agency's. The
command line acts as the server's operator: every procedure of the agency it names.

An export reads everything it reports in one read-only unit of work (one snapshot): the
procedure, its history, its steps, its documents' rows and the rows that recorded their upload,
and its agency's audit chain, walked and recomputed as `sopbot audit verify` walks it. The
documents' files are then read one at a time, each hashed and compared with the SHA-256
recorded when it arrived: an intact one goes into the zip, a missing or changed one is listed
in the PDF as such and left out. It is slow work (hashing, a PDF, a zip): the bot runs it in a
worker thread.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import uuid
from dataclasses import dataclass
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sopbot.documents.archive_zip import ArchiveZip, document_entry, history_entry, zip_name
from sopbot.documents.history_pdf import history_pdf
from sopbot.engine.archive_query import ArchiveQuery
from sopbot.engine.definition import SopDefinition
from sopbot.engine.errors import DomainError, NotAllowed, NotFound
from sopbot.engine.instance import LIVE_DISPOSITION_STATES, DispositionState, InstanceState
from sopbot.engine.letters import Letter
from sopbot.engine.procedure_record import (
    ChainCheck,
    ChainProblem,
    DocumentCheck,
    ProcedureRecord,
    RecordedDocument,
    RecordedEvent,
    RecordedStep,
)
from sopbot.engine.working_calendar import WorkingCalendar
from sopbot.messaging.catalog import Language
from sopbot.services.audit_verify import verify_chain
from sopbot.services.commands import Clock, utc_now
from sopbot.services.document_verify import audit_problems
from sopbot.services.views import HistoryEntry, InstanceHistory, Views
from sopbot.storage import agencies, members
from sopbot.storage.archive_reading import (
    ArchivedDocument,
    ArchivedProcedure,
    ProcedureSearch,
    audit_row_ids_of,
    documents_of_procedure,
    procedure_with_id,
    procedure_with_number,
    search_procedures,
    sops_in_use,
)
from sopbot.storage.audit_chain import MissingAuditKey, chain_of
from sopbot.storage.document_audit import AttachRecord, StoredDocumentFacts, attach_records_of
from sopbot.storage.document_store import LocalDocumentStore
from sopbot.storage.file_kinds import file_type_of_mime
from sopbot.storage.file_names import delivery_name
from sopbot.storage.history_reading import member_names_in
from sopbot.storage.letters import letter_of
from sopbot.storage.procedure_reading import (
    DispositionFacts,
    StepRunFacts,
    calendar_of,
    definition_of,
    dispositions_of,
    step_runs_of,
)
from sopbot.storage.unit_of_work import UnitOfWork

PAGE_SIZE = 8
"""Procedures on one page of results in Telegram."""

TELEGRAM_DOCUMENT_LIMIT = 50 * 1024 * 1024
"""The largest document a bot may send (Bot API sendDocument): a larger zip is refused in
Telegram, and the command line (which has no limit) is named instead."""

# A step's people: those it waits for, and those who delivered it.
_ON_THE_STEP = LIVE_DISPOSITION_STATES | {DispositionState.DONE}


class ArchiveTooLarge(DomainError):
    """The zip would be larger than Telegram lets a bot send; `size` and `limit` in bytes."""

    code = "archive_too_large"


@dataclass(frozen=True, slots=True)
class ArchiveItem:
    """A procedure as a line of results: number, title, letter, SOP, state, start and end."""

    instance_id: uuid.UUID
    number: int
    title: str
    state: InstanceState
    sop_id: str
    sop_name: str
    letter: Letter | None
    started_at: dt.datetime
    finished_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class ArchivePage:
    """One page of what a search found."""

    query: ArchiveQuery
    items: list[ArchiveItem]
    total: int
    page: int  # 0-based, within the pages there are
    pages: int
    own_only: bool  # a member who is not an admin: only the procedures they were part of
    unknown_sop: bool  # the query names an SOP none of the agency's procedures ran
    unknown_official: bool  # the query names an official the agency does not have
    timezone: str  # the agency's, for the dates


@dataclass(frozen=True, slots=True)
class ArchiveCard:
    """One procedure opened from the results: its line, more about it, and its history."""

    item: ArchiveItem
    sop_version: str
    started_by: str
    cancel_reason: str | None
    documents: int
    history: InstanceHistory
    timezone: str


@dataclass(frozen=True, slots=True)
class ExportedArchive:
    """A zip written: its name, its size, and the record its PDF shows."""

    file_name: str
    size_bytes: int
    record: ProcedureRecord

    @property
    def documents_in_zip(self) -> int:
        """The documents whose files went into the zip (stored and unchanged)."""
        return sum(d.check is DocumentCheck.INTACT for d in self.record.documents)

    @property
    def documents_left_out(self) -> int:
        """The documents listed in the PDF but not in the zip (missing or changed)."""
        return len(self.record.documents) - self.documents_in_zip

    @property
    def intact(self) -> bool:
        """True when every document went in and the agency's audit chain is intact."""
        return self.documents_left_out == 0 and self.record.chain.intact


@dataclass(frozen=True, slots=True)
class _Viewer:
    """Who asks: a member (None: the server's operator), of which agency, with what right."""

    agency_id: int
    member_id: int | None
    is_admin: bool
    name: str | None

    @property
    def sees_all(self) -> bool:
        return self.member_id is None or self.is_admin


class ArchiveService:
    """Searching, showing and exporting an agency's procedures; one unit of work each."""

    def __init__(
        self,
        views: Views,
        documents: LocalDocumentStore,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self.views = views
        self.procedures = views.procedures
        self.database = views.procedures.database
        self.documents = documents
        self.clock = clock

    # -- searching -----------------------------------------------------------------------

    def search(
        self, member_id: int, query: ArchiveQuery, *, page: int = 0, page_size: int = PAGE_SIZE
    ) -> ArchivePage:
        """A page of the member's agency's procedures the query finds, newest first: all of
        them for an admin, those the member was part of for anyone else."""
        with self.database.unit_of_work(read_only=True) as uow:
            viewer = _member_viewer(uow, member_id)
            return self._search(uow, viewer, query, page, page_size)

    def search_agency(
        self, agency_id: int, query: ArchiveQuery, *, limit: int | None = None
    ) -> ArchivePage:
        """Every procedure of the agency the query finds (the first `limit`), for the server's
        operator (`sopbot procedure search`)."""
        with self.database.unit_of_work(read_only=True) as uow:
            viewer = _Viewer(agency_id, None, is_admin=True, name=None)
            return self._search(uow, viewer, query, 0, limit)

    def _search(
        self,
        uow: UnitOfWork,
        viewer: _Viewer,
        query: ArchiveQuery,
        page: int,
        page_size: int | None,
    ) -> ArchivePage:
        agency = agencies.agency(uow, viewer.agency_id)
        if agency is None:
            raise NotFound(f"no agency {viewer.agency_id}", what="agency")
        sop_ids = self._sops_named(uow, viewer.agency_id, query.sop)
        officials = _officials_named(uow, viewer.agency_id, query.official)
        since, before = _instants(query, agency.timezone)
        search = ProcedureSearch(
            agency_id=viewer.agency_id,
            words=query.words,
            number=query.number,
            letter=query.letter,
            sop_ids=sop_ids,
            officials=officials,
            involving=None if viewer.sees_all else viewer.member_id,
            since=since,
            before=before,
            states=frozenset(state.value for state in query.states),
            by_end=query.only_ended,
        )
        size = page_size or 0
        found = search_procedures(uow, search, offset=page * size if size else 0, limit=page_size)
        pages = max(1, math.ceil(found.total / size)) if size else 1
        if size and page >= pages:  # a page that is gone (fewer results now): the last one
            page = pages - 1
            found = search_procedures(uow, search, offset=page * size, limit=page_size)
        return ArchivePage(
            query=query,
            items=[self._item(uow, procedure) for procedure in found.procedures],
            total=found.total,
            page=max(0, page),
            pages=pages,
            own_only=not viewer.sees_all,
            unknown_sop=sop_ids == (),
            unknown_official=officials == (),
            timezone=agency.timezone,
        )

    def _sops_named(
        self, uow: UnitOfWork, agency_id: int, text: str | None
    ) -> tuple[str, ...] | None:
        """The agency's SOPs (those its procedures ran) whose id or name holds the text."""
        if text is None:
            return None
        wanted = text.casefold()
        return tuple(
            sop_id
            for sop_id, version_id in sorted(sops_in_use(uow, agency_id).items())
            if wanted in sop_id.casefold()
            or wanted in self._definition(uow, version_id).identity.name.casefold()
        )

    # -- one procedure -------------------------------------------------------------------

    def card(self, member_id: int, instance_id: uuid.UUID) -> ArchiveCard:
        """A procedure of the member's agency opened from the results, with its history.
        `NotFound` for an id the agency does not have (another agency's too), `NotAllowed`
        for a member who was not part of it and is no admin."""
        with self.database.unit_of_work(read_only=True) as uow:
            viewer = _member_viewer(uow, member_id)
            procedure = procedure_with_id(uow, viewer.agency_id, instance_id)
            if procedure is None:
                raise NotFound(f"no procedure {instance_id} here", what="instance")
            history = self._history(uow, viewer, procedure)
            agency = agencies.agency(uow, viewer.agency_id)
            assert agency is not None  # noqa: S101 - the member's own agency
            names = member_names_in(uow, viewer.agency_id)
            return ArchiveCard(
                item=self._item(uow, procedure),
                sop_version=self._definition(uow, procedure.sop_version_id).version,
                started_by=names.get(procedure.started_by_id, "-"),
                cancel_reason=procedure.cancel_reason,
                documents=len(documents_of_procedure(uow, procedure.id)),
                history=history,
                timezone=agency.timezone,
            )

    def export(
        self,
        member_id: int | None,
        target: BinaryIO,
        *,
        agency_id: int | None = None,
        instance_id: uuid.UUID | None = None,
        number: int | None = None,
        language: Language = Language.ID,
        limit: int | None = TELEGRAM_DOCUMENT_LIMIT,
    ) -> ExportedArchive:
        """Write the zip of a procedure (named by id or number) to `target`: its documents,
        the PDF of its history, SHA256SUMS and README.txt.

        `member_id` None is the server's operator (the command line), who names the agency;
        a member exports in their own agency, when they are its admin (`NotFound` for another
        agency's procedure, `NotAllowed` for anyone else). `ArchiveTooLarge` when the zip
        would exceed `limit` bytes (None: no limit); `target` then holds nothing to keep.
        """
        key = self.database.audit_key
        if key is None:
            raise MissingAuditKey("the audit chain is checked with the audit key")
        now = self.clock()
        with self.database.unit_of_work(read_only=True) as uow:
            if member_id is None:
                if agency_id is None:
                    raise ValueError("the operator's export names the agency")
                viewer = _Viewer(agency_id, None, is_admin=True, name=None)
            else:
                viewer = _member_viewer(uow, member_id)
            procedure = self._named(uow, viewer.agency_id, instance_id, number)
            history = self._history(uow, viewer, procedure)
            if not viewer.is_admin:
                # The zip holds every step's documents, also those the dispositions never
                # handed to this member: it is the admins' to give to an auditor.
                raise NotAllowed(
                    f"member {viewer.member_id} is not an admin of agency {viewer.agency_id}",
                    number=procedure.number,
                )
            gathered = self._gather(uow, viewer, procedure, history, now)
            chain = chain_of(viewer.agency_id)
            verification = verify_chain(uow, key, chain)
            own_rows = audit_row_ids_of(uow, procedure.id)
        chain_check = ChainCheck(
            chain=chain,
            rows=verification.rows,
            problems=tuple(
                ChainProblem(p.kind.value, p.seq, p.row_id) for p in verification.problems
            ),
            procedure_rows=len(own_rows),
            procedure_problems=sum(p.row_id in own_rows for p in verification.problems),
        )
        return self._write(gathered, chain_check, target, language, limit)

    # -- the export's parts --------------------------------------------------------------

    def _named(
        self,
        uow: UnitOfWork,
        agency_id: int,
        instance_id: uuid.UUID | None,
        number: int | None,
    ) -> ArchivedProcedure:
        if instance_id is not None:
            procedure = procedure_with_id(uow, agency_id, instance_id)
        elif number is not None:
            procedure = procedure_with_number(uow, agency_id, number)
        else:
            raise ValueError("an export names its procedure by id or number")
        if procedure is None:
            raise NotFound(
                f"no such procedure in agency {agency_id}", what="instance", number=number
            )
        return procedure

    def _history(
        self, uow: UnitOfWork, viewer: _Viewer, procedure: ArchivedProcedure
    ) -> InstanceHistory:
        """The procedure's history, once the viewer may see it (the /riwayat rule)."""
        history = self.views.history_in(uow, viewer.agency_id, procedure.number)
        if viewer.member_id is not None and not (
            viewer.is_admin or history.involves(viewer.member_id)
        ):
            raise NotAllowed(
                f"member {viewer.member_id} had no part in procedure {procedure.number}",
                number=procedure.number,
            )
        return history

    def _gather(
        self,
        uow: UnitOfWork,
        viewer: _Viewer,
        procedure: ArchivedProcedure,
        history: InstanceHistory,
        now: dt.datetime,
    ) -> _Gathered:
        """What the record shows, read in the export's unit of work."""
        agency = agencies.agency(uow, viewer.agency_id)
        assert agency is not None  # noqa: S101 - the procedure's own agency
        definition = self._definition(uow, procedure.sop_version_id)
        names = member_names_in(uow, viewer.agency_id)
        steps = _recorded_steps(
            step_runs_of(uow, procedure.id),
            dispositions_of(uow, procedure.id),
            definition_steps=definition,
            calendar=calendar_of(uow, self.procedures.calendars, viewer.agency_id),
            now=procedure.finished_at or now,
        )
        assert self.database.audit_key is not None  # noqa: S101 - checked by export
        return _Gathered(
            procedure=procedure,
            agency_key=agency.key,
            agency_name=agency.name,
            timezone=agency.timezone,
            sop_name=definition.identity.name,
            sop_number=definition.identity.number,
            sop_version=definition.version,
            sop_digest=definition.digest,
            labels={step.number: step.label for step in definition.steps},
            started_by=names.get(procedure.started_by_id, "-"),
            events=tuple(_event(entry) for entry in history.entries),
            steps=steps,
            documents=documents_of_procedure(uow, procedure.id),
            attached=attach_records_of(uow, procedure.id, self.database.audit_key),
            names=names,
            made_at=now,
            made_by=viewer.name,
        )

    def _write(
        self,
        gathered: _Gathered,
        chain: ChainCheck,
        target: BinaryIO,
        language: Language,
        limit: int | None,
    ) -> ExportedArchive:
        """Check each document's file, write the zip, and measure it against the limit."""
        procedure = gathered.procedure
        estimate = sum(d.size_bytes for d in gathered.documents)
        if limit is not None and estimate > limit:
            raise ArchiveTooLarge(
                f"the documents alone are {estimate} bytes",
                size=estimate,
                limit=limit,
                number=procedure.number,
            )
        local = gathered.made_at.astimezone(ZoneInfo(gathered.timezone))
        recorded: list[RecordedDocument] = []
        with ArchiveZip(target, local.replace(tzinfo=None)) as archive:
            taken: set[str] = set()
            for position, document in enumerate(gathered.documents, start=1):
                label = gathered.labels.get(document.step_number, str(document.step_number))
                extension = _extension(document.mime_type)
                entry = document_entry(
                    position, label, delivery_name(document.original_name, extension), taken
                )
                check, content = self._checked(document)
                if content is not None:
                    archive.add(entry, content)
                recorded.append(
                    RecordedDocument(
                        position=position,
                        step_label=label,
                        round=document.round,
                        name=document.original_name,
                        entry=entry,
                        size_bytes=document.size_bytes,
                        sha256=document.sha256,
                        uploaded_by=gathered.names.get(document.uploaded_by_id, "-"),
                        uploaded_at=document.uploaded_at,
                        check=check,
                        audited=not audit_problems(
                            _facts(document), gathered.attached.get(str(document.id), [])
                        ),
                    )
                )
            record = gathered.record(recorded, chain)
            pdf = history_pdf(record, language)
            archive.add(history_entry(procedure.number), pdf)
            archive.finish(record, language)
        size = target.tell()
        if limit is not None and size > limit:
            raise ArchiveTooLarge(
                f"the zip is {size} bytes", size=size, limit=limit, number=procedure.number
            )
        return ExportedArchive(zip_name(gathered.agency_key, procedure.number), size, record)

    def _checked(self, document: ArchivedDocument) -> tuple[DocumentCheck, bytes | None]:
        """The document's file read once and hashed: its bytes when they are the ones recorded
        (then they go into the zip as read), else what is wrong."""
        try:
            content = self.documents.read(document.storage_key)
        except (OSError, ValueError):  # gone, or a key the store never makes (an edited row)
            return DocumentCheck.MISSING, None
        if hashlib.sha256(content).hexdigest() != document.sha256:
            return DocumentCheck.CHANGED, None
        return DocumentCheck.INTACT, content

    # -- helpers -------------------------------------------------------------------------

    def _definition(self, uow: UnitOfWork, sop_version_id: int) -> SopDefinition:
        return definition_of(uow, self.procedures.definitions, sop_version_id)

    def _item(self, uow: UnitOfWork, procedure: ArchivedProcedure) -> ArchiveItem:
        return ArchiveItem(
            instance_id=procedure.id,
            number=procedure.number,
            title=procedure.title,
            state=InstanceState(procedure.state),
            sop_id=procedure.sop_id,
            sop_name=self._definition(uow, procedure.sop_version_id).identity.name,
            letter=letter_of(procedure),
            started_at=procedure.started_at,
            finished_at=procedure.finished_at,
        )


@dataclass(frozen=True, slots=True)
class _Gathered:
    """What an export read in its unit of work, before its files are checked."""

    procedure: ArchivedProcedure
    agency_key: str
    agency_name: str
    timezone: str
    sop_name: str
    sop_number: str | None
    sop_version: str
    sop_digest: str
    labels: dict[int, str]  # step number -> as the SOP prints it
    started_by: str
    events: tuple[RecordedEvent, ...]
    steps: tuple[RecordedStep, ...]
    documents: list[ArchivedDocument]
    attached: dict[str, list[AttachRecord]]
    names: dict[int, str]
    made_at: dt.datetime
    made_by: str | None

    def record(self, documents: list[RecordedDocument], chain: ChainCheck) -> ProcedureRecord:
        """The record the PDF shows, with the documents as checked and the chain as walked."""
        procedure = self.procedure
        return ProcedureRecord(
            agency_name=self.agency_name,
            timezone=self.timezone,
            number=procedure.number,
            title=procedure.title,
            sop_id=procedure.sop_id,
            sop_name=self.sop_name,
            sop_number=self.sop_number,
            sop_version=self.sop_version,
            sop_digest=self.sop_digest,
            state=InstanceState(procedure.state),
            started_at=procedure.started_at,
            started_by=self.started_by,
            finished_at=procedure.finished_at,
            cancel_reason=procedure.cancel_reason,
            letter=letter_of(procedure),
            events=self.events,
            steps=self.steps,
            documents=tuple(documents),
            chain=chain,
            made_at=self.made_at,
            made_by=self.made_by,
        )


def _member_viewer(uow: UnitOfWork, member_id: int) -> _Viewer:
    """The member as a viewer of their own agency's archive; `NotAllowed` for one who left."""
    member = members.member(uow, member_id)
    if member is None or not member.active:
        raise NotAllowed(f"member {member_id} is not an active member")
    return _Viewer(member.agency_id, member.id, is_admin=member.is_admin, name=member.name)


def _officials_named(uow: UnitOfWork, agency_id: int, text: str | None) -> tuple[int, ...] | None:
    """The agency's members (those who left too: they acted in old procedures) whose name
    holds the text, whatever its case."""
    if text is None:
        return None
    wanted = text.casefold()
    return tuple(
        member.id
        for member in members.members_of_agency(uow, agency_id)
        if wanted in member.name.casefold()
    )


def _instants(query: ArchiveQuery, timezone: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The query's days as instants: from the first day's start to the end of the last (its
    next day's start, exclusive), in the agency's zone."""
    zone = ZoneInfo(timezone)

    def start_of(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)

    since = start_of(query.date_from) if query.date_from is not None else None
    before = start_of(query.date_to + dt.timedelta(days=1)) if query.date_to is not None else None
    return since, before


def _recorded_steps(
    runs: list[StepRunFacts],
    dispositions: list[DispositionFacts],
    *,
    definition_steps: SopDefinition,
    calendar: WorkingCalendar,
    now: dt.datetime,
) -> tuple[RecordedStep, ...]:
    """Each step run with who did it and its real working time against its standard (as
    /status counts them: from opening to completion, or to `now` while open)."""
    people: dict[uuid.UUID, list[str]] = {}
    stopped: dict[uuid.UUID, list[str]] = {}  # whom a cancelled step was waiting for
    for disposition in dispositions:
        if disposition.state in _ON_THE_STEP:
            people.setdefault(disposition.step_run_id, []).append(disposition.assignee_name)
        elif disposition.state == DispositionState.CANCELLED.value:
            stopped.setdefault(disposition.step_run_id, []).append(disposition.assignee_name)
    steps = []
    for run in runs:
        step = definition_steps.step(run.step_number)
        end = run.completed_at or now
        late = (
            run.due_at is not None
            and end > run.due_at
            and calendar.working_seconds_between(run.due_at, end) > 0
        )
        steps.append(
            RecordedStep(
                step_label=step.label,
                activity=step.activity,
                round=run.round,
                state=run.state,
                people=tuple(people.get(run.id) or stopped.get(run.id) or ()),
                opened_at=run.opened_at,
                completed_at=run.completed_at,
                working_seconds=calendar.working_seconds_between(run.opened_at, end),
                standard=step.standard_for_round(run.round),
                late=late,
                working_day=calendar.hours.day_length,
            )
        )
    return tuple(steps)


def _event(entry: HistoryEntry) -> RecordedEvent:
    return RecordedEvent(
        at=entry.at,
        entity=entry.entity,
        action=entry.action,
        actor=entry.actor,
        person=entry.person,
        step_label=entry.step_label,
        round=entry.round,
        answer=entry.answer,
        reason=entry.reason,
        document_name=entry.document_name,
    )


def _extension(mime_type: str) -> str:
    """The extension of the type a document was detected as ("bin" for a row edited by hand:
    the stored MIME type is only ever one of the accepted types)."""
    file_type = file_type_of_mime(mime_type)
    return file_type.extension if file_type is not None else "bin"


def _facts(document: ArchivedDocument) -> StoredDocumentFacts:
    return StoredDocumentFacts(
        document.id, document.storage_key, document.sha256, document.size_bytes
    )
