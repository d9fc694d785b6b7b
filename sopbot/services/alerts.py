"""Reminders, escalations and the morning digest, decided from the database.

The database is the truth: a step run's due time is a column, and every alert sent is a row
whose unique key (run, kind, sequence) keeps it from going twice. The scheduler only decides
*when* to ask; `fire` re-reads the run and sends what is owed, in one transaction with its
outbox messages.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select as columns_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from sopbot.engine.alerts import ESCALATION, AlertPolicy, NextAlert, SentAlert, next_alert
from sopbot.engine.instance import LIVE_DISPOSITION_STATES, InstanceState, StepRunState
from sopbot.messaging.catalog import Catalog, Language, default_catalog
from sopbot.messaging.formatting import escape, local_time, short_duration
from sopbot.messaging.numbers import quantity, standard_time
from sopbot.services.commands import Clock, utc_now
from sopbot.services.procedures import ProcedureService
from sopbot.storage.models import (
    AgencyRow,
    DispositionRow,
    InstanceRow,
    MemberRow,
    OutboxRow,
    StepAlertRow,
    StepRunRow,
)


@dataclass(frozen=True, slots=True)
class _RunFacts:
    """What planning needs of a step run."""

    step_number: int
    opened_at: dt.datetime
    due_at: dt.datetime
    agency_id: int
    sop_version_id: int
    sop_id: str


def _facts(run: StepRunRow, instance: InstanceRow) -> _RunFacts:
    assert run.due_at is not None  # noqa: S101 - only runs with a due time are planned
    return _RunFacts(
        run.step_number,
        run.opened_at,
        run.due_at,
        instance.agency_id,
        instance.sop_version_id,
        instance.sop_id,
    )


@dataclass(frozen=True, slots=True)
class PlannedAlert:
    """When to look at a step run next."""

    step_run_id: uuid.UUID
    at: dt.datetime


class AlertService:
    """Plans and sends reminders and escalations of late steps."""

    def __init__(
        self,
        procedures: ProcedureService,
        *,
        clock: Clock = utc_now,
        catalog: Catalog | None = None,
    ) -> None:
        self.procedures = procedures
        self.database = procedures.database
        self.calendars = procedures.calendars
        self.clock = clock
        self.catalog = catalog or default_catalog()

    # -- planning (start-up rebuild) -------------------------------------------------------

    def plan_all(self, until: dt.datetime | None = None) -> list[PlannedAlert]:
        """The next alert of every open step run due by `until` (all when None).

        No alert comes before its step's due time, so a scheduler that looks a day ahead only
        needs the steps due within that day: the query is limited to them.
        """
        with self.database.reading() as session:
            query = (
                columns_select(
                    col(StepRunRow.id),
                    col(StepRunRow.step_number),
                    col(StepRunRow.opened_at),
                    col(StepRunRow.due_at),
                    col(InstanceRow.agency_id),
                    col(InstanceRow.sop_version_id),
                    col(InstanceRow.sop_id),
                )
                .join(InstanceRow, col(InstanceRow.id) == col(StepRunRow.instance_id))
                .where(col(StepRunRow.state) == StepRunState.OPEN.value)
                .where(col(StepRunRow.due_at).is_not(None))
                .where(col(InstanceRow.state) == InstanceState.RUNNING.value)
            )
            if until is not None:
                query = query.where(col(StepRunRow.due_at) <= until)
            runs = session.execute(query).all()
            sent: dict[uuid.UUID, list[SentAlert]] = defaultdict(list)
            alert_query = (
                select(StepAlertRow)
                .join(StepRunRow, col(StepRunRow.id) == col(StepAlertRow.step_run_id))
                .where(StepRunRow.state == StepRunState.OPEN.value)
            )
            if until is not None:
                alert_query = alert_query.where(col(StepRunRow.due_at) <= until)
            for alert in session.exec(alert_query):
                sent[alert.step_run_id].append(
                    SentAlert(alert.kind, alert.seq, alert.due_at, alert.sent_at)
                )
            plans: list[PlannedAlert] = []
            policies: dict[tuple[int, str], AlertPolicy] = {}
            for run_id, number, opened_at, due_at, agency_id, version_id, sop_id in runs:
                facts = _RunFacts(number, opened_at, due_at, agency_id, version_id, sop_id)
                planned = self._next(session, facts, sent.get(run_id, []), policies)
                if planned is not None and (until is None or planned.at <= until):
                    plans.append(PlannedAlert(run_id, planned.at))
            return plans

    def plan(self, step_run_id: uuid.UUID) -> PlannedAlert | None:
        """The next alert of one step run, or None when it is owed nothing any more."""
        with self.database.reading() as session:
            found = self._open_run(session, step_run_id)
            if found is None:
                return None
            run, instance = found
            planned = self._next(
                session,
                _facts(run, instance),
                self._sent(session, step_run_id),
                {},
            )
            return PlannedAlert(step_run_id, planned.at) if planned else None

    # -- firing ----------------------------------------------------------------------------

    def fire(self, step_run_id: uuid.UUID) -> PlannedAlert | None:
        """Send what the step run is owed now (once), and say when to look again."""
        return self.fire_many([step_run_id])[step_run_id]

    def fire_many(self, step_run_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, PlannedAlert | None]:
        """`fire` for several step runs in one transaction (a burst at an office's opening).

        Each run gets a savepoint, so one that another sender already handled does not undo
        the others.
        """
        now = self.clock()
        results: dict[uuid.UUID, PlannedAlert | None] = {}
        conflicted: list[uuid.UUID] = []
        with self.database.transaction() as session:
            for step_run_id in step_run_ids:
                try:
                    with session.begin_nested():
                        results[step_run_id] = self._fire_one(session, step_run_id, now)
                except IntegrityError:
                    conflicted.append(step_run_id)  # someone else sent it
        for step_run_id in conflicted:
            results[step_run_id] = self.plan(step_run_id)
        return results

    def _fire_one(
        self, session: Session, step_run_id: uuid.UUID, now: dt.datetime
    ) -> PlannedAlert | None:
        found = self._open_run(session, step_run_id)
        if found is None:
            return None  # completed, returned or cancelled: nothing more to say
        run, instance = found
        facts = _facts(run, instance)
        sent = self._sent(session, step_run_id)
        owed = self._next(session, facts, sent, {})
        if owed is None:
            return None
        if owed.at > now:
            return PlannedAlert(step_run_id, owed.at)  # early: look again then
        calendar = self.calendars.calendar(session, instance.agency_id)
        if not calendar.is_working_time(now):
            # Owed while the office is closed (e.g. after a restart at night): it goes at the
            # next opening, not now.
            return PlannedAlert(step_run_id, calendar.next_opening(now))
        session.add(
            StepAlertRow(
                step_run_id=step_run_id, kind=owed.kind, seq=owed.seq, due_at=owed.at, sent_at=now
            )
        )
        session.flush()  # the unique key stops a second sender here
        self._write_messages(session, run, instance, owed, now)
        done = SentAlert(owed.kind, owed.seq, owed.at, now)
        after = self._next(session, facts, [*sent, done], {})
        return PlannedAlert(step_run_id, after.at) if after else None

    # -- the morning digest ----------------------------------------------------------------

    def digest(self, agency_id: int) -> int:
        """Tell the agency's admins every overdue step; returns how many are overdue."""
        now = self.clock()
        with self.database.transaction() as session:
            agency = session.get(AgencyRow, agency_id)
            if agency is None:
                return 0
            calendar = self.calendars.calendar(session, agency_id)
            late = session.exec(
                select(StepRunRow, InstanceRow)
                .join(InstanceRow, col(InstanceRow.id) == col(StepRunRow.instance_id))
                .where(InstanceRow.agency_id == agency_id)
                .where(InstanceRow.state == InstanceState.RUNNING.value)
                .where(StepRunRow.state == StepRunState.OPEN.value)
                .where(col(StepRunRow.due_at) < now)
                .order_by(col(StepRunRow.due_at))
            ).all()
            if not late:
                return 0
            admins = session.exec(
                select(MemberRow).where(MemberRow.agency_id == agency_id, col(MemberRow.is_admin))
            ).all()
            for admin in admins:
                language = Language.of(admin.language)
                lines = [
                    self.catalog.text(
                        language,
                        "alert.digest_header",
                        count=quantity(len(late), language),
                        agency=escape(agency.name),
                    )
                ]
                for run, instance in late:
                    definition = self.procedures.definitions.load(session, instance.sop_version_id)
                    step = definition.step(run.step_number)
                    assert run.due_at is not None  # noqa: S101 - selected on it
                    lines.append(
                        self.catalog.text(
                            language,
                            "alert.digest_item",
                            number=instance.number,
                            title=escape(instance.title),
                            step=run.step_number,
                            activity=escape(step.activity[:70]),
                            people=escape(
                                ", ".join(m.name for m in self._holders(session, run.id)) or "-"
                            ),
                            late=short_duration(
                                calendar.working_seconds_between(run.due_at, now), language
                            ),
                        )
                    )
                self._add(session, admin, now, "\n".join(lines))
            return len(late)

    # -- helpers ---------------------------------------------------------------------------

    def _open_run(
        self, session: Session, step_run_id: uuid.UUID
    ) -> tuple[StepRunRow, InstanceRow] | None:
        run = session.get(StepRunRow, step_run_id)
        if run is None or run.state != StepRunState.OPEN.value or run.due_at is None:
            return None
        instance = session.get(InstanceRow, run.instance_id)
        if instance is None or instance.state != InstanceState.RUNNING.value:
            return None
        return run, instance

    @staticmethod
    def _sent(session: Session, step_run_id: uuid.UUID) -> list[SentAlert]:
        return [
            SentAlert(a.kind, a.seq, a.due_at, a.sent_at)
            for a in session.exec(
                select(StepAlertRow).where(StepAlertRow.step_run_id == step_run_id)
            )
        ]

    def _next(
        self,
        session: Session,
        run: _RunFacts,
        sent: list[SentAlert],
        policies: dict[tuple[int, str], AlertPolicy],
    ) -> NextAlert | None:
        calendar = self.calendars.calendar(session, run.agency_id)
        key = (run.agency_id, run.sop_id)
        if key not in policies:
            policies[key] = self.calendars.policy(session, run.agency_id, run.sop_id)
        definition = self.procedures.definitions.load(session, run.sop_version_id)
        standard = calendar.working_seconds(definition.step(run.step_number).standard_time)
        return next_alert(
            opened_at=run.opened_at,
            due_at=run.due_at,
            standard_seconds=standard,
            sent=sent,
            policy=policies[key],
            calendar=calendar,
        )

    @staticmethod
    def _holders(session: Session, step_run_id: uuid.UUID) -> list[MemberRow]:
        """The people the step is waiting for, in one query."""
        return list(
            session.exec(
                select(MemberRow)
                .join(DispositionRow, col(DispositionRow.assignee_id) == col(MemberRow.id))
                .where(DispositionRow.step_run_id == step_run_id)
                .where(col(DispositionRow.state).in_([s.value for s in LIVE_DISPOSITION_STATES]))
            ).all()
        )

    def _write_messages(
        self,
        session: Session,
        run: StepRunRow,
        instance: InstanceRow,
        alert: NextAlert,
        now: dt.datetime,
    ) -> None:
        calendar = self.calendars.calendar(session, instance.agency_id)
        definition = self.procedures.definitions.load(session, instance.sop_version_id)
        step = definition.step(run.step_number)
        assert run.due_at is not None  # noqa: S101 - an open run with a due time
        late = calendar.working_seconds_between(run.due_at, now)
        holders = self._holders(session, run.id)
        if alert.kind == ESCALATION:
            recipients = {
                m.id: m
                for m in session.exec(
                    select(MemberRow).where(
                        MemberRow.agency_id == instance.agency_id, col(MemberRow.is_admin)
                    )
                )
            }
            if run.sender_id is not None:
                sender = session.get(MemberRow, run.sender_id)
                if sender is not None:
                    recipients[sender.id] = sender
            key = "alert.escalation"
        else:
            recipients = {m.id: m for m in holders}
            key = "alert.reminder"
        for member in recipients.values():
            language = Language.of(member.language)
            self._add(
                session,
                member,
                now,
                self.catalog.text(
                    language,
                    key,
                    number=instance.number,
                    title=escape(instance.title),
                    step=step.number,
                    activity=escape(step.activity),
                    standard=standard_time(step.standard_time, language),
                    due=local_time(run.due_at, calendar.timezone, language),
                    late=short_duration(late, language),
                    people=escape(", ".join(m.name for m in holders) or "-"),
                ),
            )

    @staticmethod
    def _add(session: Session, member: MemberRow, now: dt.datetime, text: str) -> None:
        assert member.id is not None  # noqa: S101 - a stored row
        session.add(
            OutboxRow(created_at=now, member_id=member.id, kind="message", payload={"text": text})
        )
