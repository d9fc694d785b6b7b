"""Read models for what people ask: my tasks, an instance's history, the agency's status.

Times against the standard: a step's real time is measured from when it opened to when it was
completed (or now), counted on the agency's working clock like the standard itself; a step is late
when its due time has passed, by the working time since.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sopbot.engine.definition import SopDefinition
from sopbot.engine.durations import StandardTime
from sopbot.engine.errors import NotFound
from sopbot.engine.instance import (
    LIVE_DISPOSITION_STATES,
    DispositionState,
    EntityKind,
    InstanceState,
    StepRunState,
    TransitionAction,
)
from sopbot.engine.letters import Letter
from sopbot.engine.working_calendar import WorkingCalendar
from sopbot.services.commands import Clock, utc_now
from sopbot.services.procedures import ProcedureService
from sopbot.storage.history_reading import (
    AuditFacts,
    DocumentFacts,
    audit_trail_of,
    documents_of,
    member_names_in,
)
from sopbot.storage.procedure_reading import (
    DispositionFacts,
    ProcedureFacts,
    StepRunFacts,
    calendar_of,
    definition_of,
    dispositions_of,
    procedure_numbered,
    running_procedures,
    step_runs_of,
)
from sopbot.storage.unit_of_work import UnitOfWork

# Whom /status names on a step: the people it is waiting for and those who delivered it (not
# those it passed on from: released, handed over, rerouted, returned, cancelled).
_ON_THE_STEP = LIVE_DISPOSITION_STATES | {DispositionState.DONE}


@dataclass(frozen=True, slots=True)
class TaskView:
    """One open disposition of a member, for /tugas."""

    disposition_id: uuid.UUID
    instance_number: int
    title: str
    step_number: int
    step_label: str  # the number as the SOP prints it
    activity: str
    received_at: dt.datetime
    due_at: dt.datetime | None
    late_by: dt.timedelta | None
    standard: StandardTime  # the standard of the run's round, which the due time shows
    letter: Letter | None = None  # the letter the procedure is about, if any
    working_day: float | None = None  # the agency's working day in seconds ("late" counts it)


@dataclass(frozen=True, slots=True)
class StepTiming:
    """A step run's real time against its standard, for /status."""

    step_number: int
    step_label: str  # the number as the SOP prints it
    activity: str
    round: int
    state: str
    people: list[str]
    spent: dt.timedelta
    standard: StandardTime
    late: bool
    executors: tuple[str, ...] = ()  # the Pelaksana as the SOP names them
    allowed: dt.timedelta | None = None  # working time from its opening to its due time
    late_by: dt.timedelta | None = None  # working time past its due time (None: not late)


@dataclass(frozen=True, slots=True)
class InstanceStatus:
    """A running instance and where it stands."""

    number: int
    title: str
    sop_name: str
    state: str
    open_steps: list[StepTiming]
    steps: list[StepTiming]
    letter: Letter | None = None  # the letter the procedure is about, if any
    # Working time since its first step opened, to now (to its last step's end once over).
    running_for: dt.timedelta = dt.timedelta()
    working_day: dt.timedelta = dt.timedelta(hours=7.5)  # one "hari" on the agency's clock


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One audit row of an instance, with the members it mentions and their names."""

    at: dt.datetime
    entity: EntityKind
    action: TransitionAction
    actor_id: int | None
    actor: str | None
    person_id: int | None
    person: str | None
    step_number: int | None
    step_label: str | None  # the number as the SOP prints it
    round: int | None
    answer: str | None
    reason: str | None
    document_name: str | None
    # A change of the procedure's letter: the letter after it (None: removed) and before it.
    letter: Letter | None = None
    letter_was: Letter | None = None


@dataclass(frozen=True, slots=True)
class InstanceHistory:
    """An instance's timeline, for /riwayat."""

    number: int
    title: str
    sop_name: str
    started_by_id: int
    entries: list[HistoryEntry]
    letter: Letter | None = None  # the letter the procedure is about now, if any

    def involves(self, member_id: int) -> bool:
        """True when the member started the instance, acted in it, or was given a step of it.

        Decided by member id: two officials may well share a name.
        """
        return self.started_by_id == member_id or any(
            member_id in (entry.actor_id, entry.person_id) for entry in self.entries
        )


class Views:
    """Queries for the bot's reports: what each report shows, read in one read-only unit of
    work (the queries are in `sopbot.storage.procedure_reading` and `history_reading`)."""

    def __init__(self, procedures: ProcedureService, *, clock: Clock = utc_now) -> None:
        self.procedures = procedures
        self.database = procedures.database
        self.clock = clock

    def tasks(self, member_id: int) -> list[TaskView]:
        """The member's open dispositions, the latest-due and overdue first."""
        now = self.clock()
        items = self.procedures.inbox(member_id)
        definitions = self.procedures.definitions
        calendars = self.procedures.calendars
        versions = {item.sop_version_id for item in items}
        agencies = {item.agency_id for item in items}
        # SOP versions never change and calendars are cached: a unit of work is opened only
        # for what is not in memory yet.
        definition_of_version = {v: d for v in versions if (d := definitions.cached(v)) is not None}
        calendar_of_agency = {a: c for a in agencies if (c := calendars.cached(a)) is not None}
        if len(definition_of_version) < len(versions) or len(calendar_of_agency) < len(agencies):
            with self.database.unit_of_work(read_only=True) as uow:
                for version in versions - definition_of_version.keys():
                    definition_of_version[version] = definition_of(uow, definitions, version)
                for agency in agencies - calendar_of_agency.keys():
                    calendar_of_agency[agency] = calendar_of(uow, calendars, agency)
        views = []
        for item in items:
            step = definition_of_version[item.sop_version_id].step(item.step_number)
            calendar = calendar_of_agency[item.agency_id]
            late = self._late_by(calendar, now, item.due_at)
            views.append(
                TaskView(
                    item.disposition_id,
                    item.instance_number,
                    item.title,
                    item.step_number,
                    step.label,
                    step.activity,
                    item.received_at,
                    item.due_at,
                    late,
                    step.standard_for_round(item.round),
                    item.letter,
                    calendar.hours.day_length,
                )
            )
        far = dt.datetime.max.replace(tzinfo=dt.UTC)
        return sorted(
            views,
            key=lambda v: (
                v.late_by is None,
                -(v.late_by or dt.timedelta()),
                v.due_at or far,
                v.received_at,
            ),
        )

    def status(self, agency_id: int, number: int | None = None) -> list[InstanceStatus]:
        """Every running instance of the agency, by number, or the one with this number (any
        state). Raises `NotFound` when the agency has no procedure with the number."""
        now = self.clock()
        with self.database.unit_of_work(read_only=True) as uow:
            if number is None:
                procedures = running_procedures(uow, agency_id)
            else:
                procedures = [self._numbered(uow, agency_id, number)]
            return [self._status(uow, procedure, now) for procedure in procedures]

    def history(self, agency_id: int, number: int) -> InstanceHistory:
        """The agency's instance with this number as a timeline. Raises `NotFound` when the
        agency has no procedure with the number (another agency's is not found either)."""
        with self.database.unit_of_work(read_only=True) as uow:
            return self.history_in(uow, agency_id, number)

    def history_in(self, uow: UnitOfWork, agency_id: int, number: int) -> InstanceHistory:
        """`history`, read in the caller's unit of work (a service that reads more beside it,
        such as the archive's, in one snapshot)."""
        procedure = self._numbered(uow, agency_id, number)
        definition = definition_of(uow, self.procedures.definitions, procedure.sop_version_id)
        names = member_names_in(uow, agency_id)
        runs = {run.id: run for run in step_runs_of(uow, procedure.id)}
        dispositions = {str(d.id): d for d in dispositions_of(uow, procedure.id)}
        documents = {str(d.id): d for d in documents_of(uow, procedure.id)}
        trail = audit_trail_of(uow, procedure.id)
        return InstanceHistory(
            procedure.number,
            procedure.title,
            definition.identity.name,
            procedure.started_by_id,
            [
                _history_entry(row, names, runs, dispositions, documents, definition)
                for row in trail
                if _is_transition(row)
            ],
            procedure.letter,
        )

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _numbered(uow: UnitOfWork, agency_id: int, number: int) -> ProcedureFacts:
        procedure = procedure_numbered(uow, agency_id, number)
        if procedure is None:
            raise NotFound(
                f"agency {agency_id} has no procedure No. {number}", what="instance", number=number
            )
        return procedure

    def _status(
        self, uow: UnitOfWork, procedure: ProcedureFacts, now: dt.datetime
    ) -> InstanceStatus:
        definition = definition_of(uow, self.procedures.definitions, procedure.sop_version_id)
        calendar = calendar_of(uow, self.procedures.calendars, procedure.agency_id)
        people: dict[uuid.UUID, list[str]] = {}
        # A step the procedure's cancellation stopped names whom it was waiting for then.
        stopped: dict[uuid.UUID, list[str]] = {}
        for disposition in dispositions_of(uow, procedure.id):
            if disposition.state in _ON_THE_STEP:
                people.setdefault(disposition.step_run_id, []).append(disposition.assignee_name)
            elif disposition.state == DispositionState.CANCELLED.value:
                stopped.setdefault(disposition.step_run_id, []).append(disposition.assignee_name)
        runs = step_runs_of(uow, procedure.id)
        for run in runs:
            if run.state == StepRunState.CANCELLED.value and run.id not in people:
                people[run.id] = stopped.get(run.id, [])
        timings = []
        for run in runs:
            step = definition.step(run.step_number)
            end = run.completed_at or now
            late = self._late_by(calendar, end, run.due_at)
            allowed = None
            if run.due_at is not None:
                allowed = calendar.working_seconds_between(run.opened_at, run.due_at)
            timings.append(
                StepTiming(
                    run.step_number,
                    step.label,
                    step.activity,
                    run.round,
                    run.state,
                    people.get(run.id, []),
                    # Time spent is working time, as the standard is.
                    dt.timedelta(seconds=calendar.working_seconds_between(run.opened_at, end)),
                    step.standard_for_round(run.round),
                    late is not None,
                    tuple(role.name for role in definition.roles_of(step)),
                    None if allowed is None else dt.timedelta(seconds=allowed),
                    late,
                )
            )
        return InstanceStatus(
            procedure.number,
            procedure.title,
            definition.identity.name,
            procedure.state,
            [t for t in timings if t.state == StepRunState.OPEN.value],
            timings,
            procedure.letter,
            self._running_for(calendar, procedure, runs, now),
            dt.timedelta(seconds=calendar.hours.day_length),
        )

    @staticmethod
    def _running_for(
        calendar: WorkingCalendar,
        procedure: ProcedureFacts,
        runs: list[StepRunFacts],
        now: dt.datetime,
    ) -> dt.timedelta:
        """Working time from the first step's opening to now, or to the last step's end once
        the procedure is over."""
        if not runs:
            return dt.timedelta()
        start = min(run.opened_at for run in runs)
        end = now
        if procedure.state != InstanceState.RUNNING.value:
            end = max((run.completed_at or run.opened_at for run in runs), default=now)
        return dt.timedelta(seconds=calendar.working_seconds_between(start, end))

    @staticmethod
    def _late_by(
        calendar: WorkingCalendar, now: dt.datetime, due: dt.datetime | None
    ) -> dt.timedelta | None:
        """How late a step is on the working clock (None when it is not late)."""
        if due is None or now <= due:
            return None
        return dt.timedelta(seconds=calendar.working_seconds_between(due, now)) or None


_ENTITY_KINDS = frozenset(kind.value for kind in EntityKind)
_TRANSITION_ACTIONS = frozenset(action.value for action in TransitionAction)


def _is_transition(row: AuditFacts) -> bool:
    """Whether an audit row records a transition of the instance (all of its rows do, as the
    engine writes them; a row of another kind is not part of its history)."""
    return row.entity in _ENTITY_KINDS and row.action in _TRANSITION_ACTIONS


def _history_entry(
    row: AuditFacts,
    names: dict[int, str],
    runs: dict[uuid.UUID, StepRunFacts],
    dispositions: dict[str, DispositionFacts],
    documents: dict[str, DocumentFacts],
    definition: SopDefinition,
) -> HistoryEntry:
    """An audit row with the people it mentions by name: a disposition's row names its
    assignee and the step it carries, a document's row the file and who sent it."""
    detail = row.detail
    person_id = None
    step_number = detail.get("step_number")
    if row.entity == "disposition" and row.entity_id in dispositions:
        disposition = dispositions[row.entity_id]
        person_id = disposition.assignee_id
        run = runs.get(disposition.step_run_id)
        step_number = run.step_number if run else step_number
    document_name = None
    if row.entity == "document" and row.entity_id in documents:
        document_name = documents[row.entity_id].original_name
        person_id = documents[row.entity_id].uploaded_by_id
    return HistoryEntry(
        at=row.at,
        entity=EntityKind(row.entity),
        action=TransitionAction(row.action),
        actor_id=row.actor_id,
        actor=names.get(row.actor_id) if row.actor_id else None,
        person_id=person_id,
        person=names.get(person_id) if person_id else None,
        step_number=int(step_number) if step_number is not None else None,
        step_label=(
            definition.step(int(step_number)).label
            if step_number is not None and definition.has_step(int(step_number))
            else None
        ),
        round=int(detail["round"]) if "round" in detail else None,
        answer=str(detail["answer"]) if "answer" in detail else None,
        reason=str(detail["reason"]) if "reason" in detail else None,
        document_name=document_name,
        letter=_letter_in(detail, ""),
        letter_was=_letter_in(detail, "was_"),
    )


def _letter_in(detail: Mapping[str, Any], prefix: str) -> Letter | None:
    """The letter an audit row's detail names (`prefix` "was_": the one before a change)."""
    number = detail.get(f"{prefix}letter_number")
    if not number:
        return None
    day = detail.get(f"{prefix}letter_date")
    sender = detail.get(f"{prefix}letter_sender")
    return Letter(
        str(number),
        dt.date.fromisoformat(str(day)) if day else None,
        str(sender) if sender else None,
    )
