"""Reminders, escalations and the morning digest, decided from the database.

The database is the truth: a step run's due time is a column, and every alert sent is a row
whose unique key (run, kind, sequence) keeps it from going twice. The scheduler only decides
*when* to ask; `fire` re-reads the run and sends what is owed, in one transaction with its
outbox messages.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sopbot.engine.alerts import ESCALATION, AlertPolicy, NextAlert, SentAlert, next_alert
from sopbot.engine.definition import Step
from sopbot.engine.working_calendar import WorkingCalendar
from sopbot.messaging.catalog import Catalog, Language, default_catalog
from sopbot.messaging.formatting import due_time, escape, short_duration
from sopbot.messaging.numbers import quantity, standard_time
from sopbot.services.commands import Clock, utc_now
from sopbot.services.procedures import ProcedureService
from sopbot.storage import agencies, outbox, step_alerts
from sopbot.storage.errors import ConcurrentUpdate
from sopbot.storage.step_alerts import OpenRun, Recipient, RunToAlert
from sopbot.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class PlannedAlert:
    """When to look at a step run next."""

    step_run_id: uuid.UUID
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class _LateStep:
    """A step an alert or a digest line is about, before it is put in a reader's language:
    whom it waits for (`people`) and how long past its due time, in working seconds."""

    run: RunToAlert
    step: Step
    people: str
    late_seconds: float
    working_day: float  # the agency's working day, in seconds: how "late" counts its days


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
        with self.database.unit_of_work(read_only=True) as uow:
            runs = step_alerts.open_runs_due_by(uow, until)
            sent = step_alerts.alerts_sent_to_open_runs(uow, until)
            plans: list[PlannedAlert] = []
            policies: dict[tuple[int, str], AlertPolicy] = {}
            for run in runs:
                planned = self._next(uow, run, sent.get(run.id, []), policies)
                if planned is not None and (until is None or planned.at <= until):
                    plans.append(PlannedAlert(run.id, planned.at))
            return plans

    def plan(self, step_run_id: uuid.UUID) -> PlannedAlert | None:
        """The next alert of one step run, or None when it is owed nothing any more."""
        with self.database.unit_of_work(read_only=True) as uow:
            found = step_alerts.run_to_alert(uow, step_run_id)
            if found is None:
                return None
            planned = self._next(uow, found.run, step_alerts.alerts_sent(uow, step_run_id), {})
            return PlannedAlert(step_run_id, planned.at) if planned else None

    # -- firing ----------------------------------------------------------------------------

    def fire(self, step_run_id: uuid.UUID) -> PlannedAlert | None:
        """Send what the step run is owed now (once), and say when to look again."""
        return self.fire_many([step_run_id])[step_run_id]

    def fire_many(self, step_run_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, PlannedAlert | None]:
        """`fire` for several step runs in one transaction (a burst at an office's opening).

        Each run is sent separately (a savepoint), so one that another sender already handled
        does not undo the others.
        """
        now = self.clock()
        results: dict[uuid.UUID, PlannedAlert | None] = {}
        conflicted: list[uuid.UUID] = []
        with self.database.unit_of_work() as uow:
            for step_run_id in step_run_ids:
                try:
                    with step_alerts.separately(uow):
                        results[step_run_id] = self._fire_one(uow, step_run_id, now)
                except ConcurrentUpdate:
                    conflicted.append(step_run_id)  # someone else sent it
        for step_run_id in conflicted:
            results[step_run_id] = self.plan(step_run_id)
        return results

    def _fire_one(
        self, uow: UnitOfWork, step_run_id: uuid.UUID, now: dt.datetime
    ) -> PlannedAlert | None:
        found = step_alerts.run_to_alert(uow, step_run_id)
        if found is None:
            return None  # completed, returned or cancelled: nothing more to say
        sent = step_alerts.alerts_sent(uow, step_run_id)
        owed = self._next(uow, found.run, sent, {})
        if owed is None:
            return None
        if owed.at > now:
            return PlannedAlert(step_run_id, owed.at)  # early: look again then
        calendar = self.calendars.calendar(uow, found.run.agency_id)
        if not calendar.is_working_time(now):
            # Owed while the office is closed (e.g. after a restart at night): it goes at the
            # next opening, not now.
            return PlannedAlert(step_run_id, calendar.next_opening(now))
        step_alerts.record_sent(uow, step_run_id, owed, now)
        self._write_messages(uow, found, owed, now)
        done = SentAlert(owed.kind, owed.seq, owed.at, now)
        after = self._next(uow, found.run, [*sent, done], {})
        return PlannedAlert(step_run_id, after.at) if after else None

    # -- the morning digest ----------------------------------------------------------------

    def digest(self, agency_id: int) -> int:
        """Tell the agency's admins every overdue step; returns how many are overdue."""
        now = self.clock()
        with self.database.unit_of_work() as uow:
            agency = agencies.agency(uow, agency_id)
            if agency is None:
                return 0
            agency_name = agency.name
            late = self._late_steps(uow, agency_id, now)
            if not late:
                return 0
            for admin in step_alerts.admins(uow, agency_id):
                text = self._digest_text(Language.of(admin.language), agency_name, late)
                outbox.add_text(uow, admin.member_id, text, now)
            return len(late)

    def _late_steps(self, uow: UnitOfWork, agency_id: int, now: dt.datetime) -> list[_LateStep]:
        """The agency's overdue steps, the longest overdue first."""
        calendar = self.calendars.calendar(uow, agency_id)
        return [
            self._late_step(uow, found, step_alerts.holders(uow, found.run.id), calendar, now)
            for found in step_alerts.late_runs(uow, agency_id, now)
        ]

    def _digest_text(self, language: Language, agency_name: str, late: list[_LateStep]) -> str:
        lines = [
            self.catalog.text(
                language,
                "alert.digest_header",
                count=quantity(len(late), language),
                agency=escape(agency_name),
            )
        ]
        lines.extend(
            self.catalog.text(
                language,
                "alert.digest_item",
                number=item.run.procedure_number,
                title=escape(item.run.title),
                step=escape(item.step.label),
                activity=escape(item.step.activity[:70]),
                people=escape(item.people),
                late=short_duration(item.late_seconds, language, working_day=item.working_day),
            )
            for item in late
        )
        return "\n".join(lines)

    def digest_times(self) -> dict[int, dt.datetime]:
        """When each agency's next morning digest is due: its next opening (an agency with no
        working time ahead gets none)."""
        now = self.clock()
        times: dict[int, dt.datetime] = {}
        with self.database.unit_of_work(read_only=True) as uow:
            for agency_id in step_alerts.agency_ids(uow):
                openings = self.calendars.calendar(uow, agency_id).openings_after(now, 1)
                if openings:
                    times[agency_id] = openings[0]
        return times

    # -- helpers ---------------------------------------------------------------------------

    def _next(
        self,
        uow: UnitOfWork,
        run: OpenRun,
        sent: list[SentAlert],
        policies: dict[tuple[int, str], AlertPolicy],
    ) -> NextAlert | None:
        calendar = self.calendars.calendar(uow, run.agency_id)
        key = (run.agency_id, run.sop_id)
        if key not in policies:
            policies[key] = self.calendars.policy(uow, run.agency_id, run.sop_id)
        standard = calendar.working_seconds(self._step(uow, run).standard_for_round(run.round))
        return next_alert(
            opened_at=run.opened_at,
            due_at=run.due_at,
            standard_seconds=standard,
            sent=sent,
            policy=policies[key],
            calendar=calendar,
        )

    def _late_step(
        self,
        uow: UnitOfWork,
        found: RunToAlert,
        holders: list[Recipient],
        calendar: WorkingCalendar,
        now: dt.datetime,
    ) -> _LateStep:
        return _LateStep(
            found,
            self._step(uow, found.run),
            ", ".join(m.name for m in holders) or "-",
            calendar.working_seconds_between(found.run.due_at, now),
            calendar.hours.day_length,
        )

    def _step(self, uow: UnitOfWork, run: OpenRun) -> Step:
        """The step of the definition version the run's procedure follows."""
        return self.procedures.definitions.load(uow, run.sop_version_id).step(run.step_number)

    def _write_messages(
        self, uow: UnitOfWork, found: RunToAlert, alert: NextAlert, now: dt.datetime
    ) -> None:
        """The reminder to the people the step waits for, or the escalation to the admins and
        whoever sent the work into the step."""
        holders = step_alerts.holders(uow, found.run.id)
        calendar = self.calendars.calendar(uow, found.run.agency_id)
        late = self._late_step(uow, found, holders, calendar, now)
        if alert.kind == ESCALATION:
            recipients, key = self._escalated_to(uow, found), "alert.escalation"
        else:
            recipients, key = holders, "alert.reminder"
        for recipient in recipients:
            language = Language.of(recipient.language)
            text = self._alert_text(language, key, late, calendar.timezone)
            outbox.add_text(uow, recipient.member_id, text, now)

    @staticmethod
    def _escalated_to(uow: UnitOfWork, found: RunToAlert) -> list[Recipient]:
        """The agency's admins and the sender of the work, each once."""
        recipients = {
            admin.member_id: admin for admin in step_alerts.admins(uow, found.run.agency_id)
        }
        if found.sender_id is not None:
            sender = step_alerts.member(uow, found.sender_id)
            if sender is not None:
                recipients[sender.member_id] = sender
        return list(recipients.values())

    def _alert_text(self, language: Language, key: str, late: _LateStep, timezone: str) -> str:
        step = late.step
        standard = step.standard_for_round(late.run.run.round)
        return self.catalog.text(
            language,
            key,
            number=late.run.procedure_number,
            title=escape(late.run.title),
            step=escape(step.label),
            activity=escape(step.activity),
            standard=standard_time(standard, language),
            due=due_time(late.run.run.due_at, timezone, language, standard),
            late=short_duration(late.late_seconds, language, working_day=late.working_day),
            people=escape(late.people),
        )
