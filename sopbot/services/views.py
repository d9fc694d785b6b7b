"""Read models for what people ask: my tasks, an instance's history, the agency's status.

Times against the standard: a step's real time is measured from when it opened to when it was
completed (or now), counted on the agency's working clock like the standard itself; a step is late
when its due time has passed, by the working time since.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, select

from sopbot.engine.definition import SopDefinition
from sopbot.engine.durations import StandardTime
from sopbot.engine.instance import InstanceState, StepRunState
from sopbot.engine.working_calendar import WorkingCalendar
from sopbot.services.commands import Clock, utc_now
from sopbot.services.procedures import ProcedureService, inbox_of
from sopbot.storage.models import (
    AgencyRow,
    AuditRow,
    DispositionRow,
    DocumentRow,
    InstanceRow,
    MemberRow,
    StepRunRow,
)


@dataclass(frozen=True, slots=True)
class TaskView:
    """One open disposition of a member, for /tugas."""

    disposition_id: uuid.UUID
    instance_number: int
    title: str
    step_number: int
    activity: str
    received_at: dt.datetime
    due_at: dt.datetime | None
    late_by: dt.timedelta | None


@dataclass(frozen=True, slots=True)
class StepTiming:
    """A step run's real time against its standard, for /status."""

    step_number: int
    activity: str
    round: int
    state: str
    people: list[str]
    spent: dt.timedelta
    standard: StandardTime
    late: bool


@dataclass(frozen=True, slots=True)
class InstanceStatus:
    """A running instance and where it stands."""

    number: int
    title: str
    sop_name: str
    state: str
    open_steps: list[StepTiming]
    steps: list[StepTiming]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One audit row of an instance, with the members it mentions and their names."""

    at: dt.datetime
    entity: str
    action: str
    actor_id: int | None
    actor: str | None
    person_id: int | None
    person: str | None
    step_number: int | None
    round: int | None
    answer: str | None
    reason: str | None
    document_name: str | None


@dataclass(frozen=True, slots=True)
class InstanceHistory:
    """An instance's timeline, for /riwayat."""

    number: int
    title: str
    sop_name: str
    started_by_id: int
    entries: list[HistoryEntry]

    def involves(self, member_id: int) -> bool:
        """True when the member started the instance, acted in it, or was given a step of it.

        Decided by member id: two officials may well share a name.
        """
        return self.started_by_id == member_id or any(
            member_id in (entry.actor_id, entry.person_id) for entry in self.entries
        )


class Views:
    """Queries for the bot's reports."""

    def __init__(self, procedures: ProcedureService, *, clock: Clock = utc_now) -> None:
        self.procedures = procedures
        self.database = procedures.database
        self.clock = clock

    def tasks(self, member_id: int) -> list[TaskView]:
        """The member's open dispositions, the latest-due and overdue first."""
        now = self.clock()
        with self.database.snapshot() as connection:
            items = inbox_of(connection, member_id)
        definitions = self.procedures.definitions
        calendars = self.procedures.calendars
        versions = {item.sop_version_id for item in items}
        agencies = {item.agency_id for item in items}
        # SOP versions never change and calendars are cached: a session is opened only for
        # what is not in memory yet.
        definition_of = {v: d for v in versions if (d := definitions.cached(v)) is not None}
        calendar_of = {a: c for a in agencies if (c := calendars.cached(a)) is not None}
        if len(definition_of) < len(versions) or len(calendar_of) < len(agencies):
            with self.database.reading() as session:
                for version in versions - definition_of.keys():
                    definition_of[version] = definitions.load(session, version)
                for agency in agencies - calendar_of.keys():
                    calendar_of[agency] = calendars.calendar(session, agency)
        views = []
        for item in items:
            step = definition_of[item.sop_version_id].step(item.step_number)
            calendar = calendar_of[item.agency_id]
            late = self._late_by(calendar, now, item.due_at)
            views.append(
                TaskView(
                    item.disposition_id,
                    item.instance_number,
                    item.title,
                    item.step_number,
                    step.activity,
                    item.received_at,
                    item.due_at,
                    late,
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
        """Every running instance of the agency, or the one with this number (any state)."""
        now = self.clock()
        with self.database.reading() as session:
            query = select(InstanceRow).where(InstanceRow.agency_id == agency_id)
            if number is None:
                query = query.where(InstanceRow.state == InstanceState.RUNNING.value)
            else:
                query = query.where(InstanceRow.number == number)
            result = []
            for instance in session.exec(query.order_by(col(InstanceRow.number))).all():
                definition = self._definition(session, instance.id)
                timings = self._timings(session, instance, definition, now)
                result.append(
                    InstanceStatus(
                        instance.number,
                        instance.title,
                        definition.identity.name,
                        instance.state,
                        [t for t in timings if t.state == StepRunState.OPEN.value],
                        timings,
                    )
                )
            return result

    def agency_name(self, agency_id: int) -> str:
        """The agency's name."""
        with self.database.reading() as session:
            agency = session.get(AgencyRow, agency_id)
            return agency.name if agency else ""

    def history(self, agency_id: int, number: int) -> InstanceHistory | None:
        """The agency's instance with this number as a timeline; None when it has none."""
        with self.database.reading() as session:
            instance = session.exec(
                select(InstanceRow).where(
                    InstanceRow.agency_id == agency_id, InstanceRow.number == number
                )
            ).first()
            if instance is None:
                return None
            definition = self._definition(session, instance.id)
            names = {
                m.id: m.name
                for m in session.exec(select(MemberRow).where(MemberRow.agency_id == agency_id))
            }
            runs = {
                str(r.id): r
                for r in session.exec(
                    select(StepRunRow).where(StepRunRow.instance_id == instance.id)
                )
            }
            dispositions = {
                str(d.id): d
                for d in session.exec(
                    select(DispositionRow).where(DispositionRow.instance_id == instance.id)
                )
            }
            documents = {
                str(d.id): d
                for d in session.exec(
                    select(DocumentRow).where(DocumentRow.instance_id == instance.id)
                )
            }
            entries = []
            for row in session.exec(
                select(AuditRow)
                .where(AuditRow.instance_id == instance.id)
                .order_by(col(AuditRow.id))
            ):
                detail = row.detail or {}
                person_id = None
                step_number = detail.get("step_number")
                if row.entity == "disposition" and row.entity_id in dispositions:
                    disposition = dispositions[row.entity_id]
                    person_id = disposition.assignee_id
                    run = runs.get(str(disposition.step_run_id))
                    step_number = run.step_number if run else step_number
                document_name = None
                if row.entity == "document" and row.entity_id in documents:
                    document_name = documents[row.entity_id].original_name
                    person_id = documents[row.entity_id].uploaded_by_id
                entries.append(
                    HistoryEntry(
                        at=row.at,
                        entity=row.entity,
                        action=row.action,
                        actor_id=row.actor_id,
                        actor=names.get(row.actor_id) if row.actor_id else None,
                        person_id=person_id,
                        person=names.get(person_id) if person_id else None,
                        step_number=int(step_number) if step_number is not None else None,
                        round=int(detail["round"]) if "round" in detail else None,
                        answer=str(detail["answer"]) if "answer" in detail else None,
                        reason=str(detail["reason"]) if "reason" in detail else None,
                        document_name=document_name,
                    )
                )
            return InstanceHistory(
                instance.number,
                instance.title,
                definition.identity.name,
                instance.started_by_id,
                entries,
            )

    # -- helpers ---------------------------------------------------------------------------

    def _definition(self, session: Session, instance_id: uuid.UUID) -> SopDefinition:
        instance = session.get(InstanceRow, instance_id)
        if instance is None:
            raise KeyError(instance_id)
        return self.procedures.definitions.load(session, instance.sop_version_id)

    def _timings(
        self, session: Session, instance: InstanceRow, definition: SopDefinition, now: dt.datetime
    ) -> list[StepTiming]:
        runs = session.exec(
            select(StepRunRow)
            .where(StepRunRow.instance_id == instance.id)
            .order_by(col(StepRunRow.opened_at), col(StepRunRow.round))
        ).all()
        people: dict[uuid.UUID, list[str]] = {}
        for disposition, member in session.exec(
            select(DispositionRow, MemberRow)
            .join(MemberRow, col(MemberRow.id) == col(DispositionRow.assignee_id))
            .where(DispositionRow.instance_id == instance.id)
            .where(col(DispositionRow.state).in_(["pending", "claimed", "done"]))
        ):
            people.setdefault(disposition.step_run_id, []).append(member.name)
        calendar = self.procedures.calendars.calendar(session, instance.agency_id)
        timings = []
        for run in runs:
            step = definition.step(run.step_number)
            end = run.completed_at or now
            late = self._late_by(calendar, end, run.due_at)
            timings.append(
                StepTiming(
                    run.step_number,
                    step.activity,
                    run.round,
                    run.state,
                    people.get(run.id, []),
                    # Time spent is working time, as the standard is.
                    dt.timedelta(seconds=calendar.working_seconds_between(run.opened_at, end)),
                    step.standard_time,
                    late is not None,
                )
            )
        return timings

    @staticmethod
    def _late_by(
        calendar: WorkingCalendar, now: dt.datetime, due: dt.datetime | None
    ) -> dt.timedelta | None:
        """How late a step is on the working clock (None when it is not late)."""
        if due is None or now <= due:
            return None
        return dt.timedelta(seconds=calendar.working_seconds_between(due, now)) or None
