"""What the reports read of procedures (/status, /riwayat): the instances, their step runs and
who each step reached, as plain values.

Read-only: each function takes a `UnitOfWork` (opened with `read_only=True`) and returns frozen
dataclasses, so the services that decide what to show never see a row or a session.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlmodel import col, select

from sopbot.engine.definition import SopDefinition
from sopbot.engine.instance import InstanceState
from sopbot.engine.letters import Letter
from sopbot.engine.working_calendar import WorkingCalendar
from sopbot.storage.calendars import CalendarStore
from sopbot.storage.definitions import DefinitionStore
from sopbot.storage.letters import letter_of
from sopbot.storage.models import DispositionRow, InstanceRow, MemberRow, StepRunRow
from sopbot.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class ProcedureFacts:
    """An instance as the reports name it."""

    id: uuid.UUID
    agency_id: int
    number: int
    title: str
    state: str
    sop_version_id: int
    started_by_id: int
    letter: Letter | None = None  # the letter it is about (nomor surat, date, sender), if any


@dataclass(frozen=True, slots=True)
class StepRunFacts:
    """One pass through a step: when it opened, was due and ended."""

    id: uuid.UUID
    step_number: int
    round: int
    state: str
    opened_at: dt.datetime
    completed_at: dt.datetime | None
    due_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class DispositionFacts:
    """A step run as it reached one person, with that person's name."""

    id: uuid.UUID
    step_run_id: uuid.UUID
    assignee_id: int
    assignee_name: str
    state: str


def _facts(row: InstanceRow) -> ProcedureFacts:
    return ProcedureFacts(
        row.id,
        row.agency_id,
        row.number,
        row.title,
        row.state,
        row.sop_version_id,
        row.started_by_id,
        letter_of(row),
    )


def running_procedures(uow: UnitOfWork, agency_id: int) -> list[ProcedureFacts]:
    """The agency's running instances, by number."""
    rows = uow.session.exec(
        select(InstanceRow)
        .where(InstanceRow.agency_id == agency_id)
        .where(InstanceRow.state == InstanceState.RUNNING.value)
        .order_by(col(InstanceRow.number))
    )
    return [_facts(row) for row in rows]


def procedure_numbered(uow: UnitOfWork, agency_id: int, number: int) -> ProcedureFacts | None:
    """The agency's instance with this number, in any state; None when the agency has none
    (another agency's instance of that number is not found either)."""
    row = uow.session.exec(
        select(InstanceRow).where(InstanceRow.agency_id == agency_id, InstanceRow.number == number)
    ).first()
    return None if row is None else _facts(row)


def step_runs_of(uow: UnitOfWork, instance_id: uuid.UUID) -> list[StepRunFacts]:
    """The instance's step runs in the order they opened (a round after the one before)."""
    rows = uow.session.exec(
        select(StepRunRow)
        .where(StepRunRow.instance_id == instance_id)
        .order_by(col(StepRunRow.opened_at), col(StepRunRow.round))
    )
    return [
        StepRunFacts(
            row.id,
            row.step_number,
            row.round,
            row.state,
            row.opened_at,
            row.completed_at,
            row.due_at,
        )
        for row in rows
    ]


def dispositions_of(uow: UnitOfWork, instance_id: uuid.UUID) -> list[DispositionFacts]:
    """Every disposition of the instance, in any state, with its assignee's name."""
    rows = uow.session.exec(
        select(DispositionRow, MemberRow.name)
        .join(MemberRow, col(MemberRow.id) == col(DispositionRow.assignee_id))
        .where(DispositionRow.instance_id == instance_id)
    )
    return [
        DispositionFacts(
            disposition.id,
            disposition.step_run_id,
            disposition.assignee_id,
            name,
            disposition.state,
        )
        for disposition, name in rows
    ]


def definition_of(
    uow: UnitOfWork, definitions: DefinitionStore, sop_version_id: int
) -> SopDefinition:
    """The definition version an instance runs (the store's cache first, then the database)."""
    return definitions.load(uow, sop_version_id)


def calendar_of(uow: UnitOfWork, calendars: CalendarStore, agency_id: int) -> WorkingCalendar:
    """The agency's working calendar (the store's cache first, then the database)."""
    return calendars.calendar(uow, agency_id)
