"""An agency's own calendar settings: the days it changed, its working hours, its alert policy.

`storage.calendars.CalendarStore` builds the working calendar from these rows; this module reads
and writes them for `services.calendar_admin`. Every write adds its audit row in the same unit
of work, and the open steps whose due times a change moves are read and updated here too.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as columns_select
from sqlalchemy import update
from sqlmodel import col, select

from sopbot.engine.alerts import AlertPolicy
from sopbot.engine.instance import InstanceState, StepRunState
from sopbot.engine.working_calendar import DayRule, WorkingHours
from sopbot.storage.audit import record_change
from sopbot.storage.calendars import hours_from_json, hours_to_json
from sopbot.storage.models import (
    AgencyHoursRow,
    AgencyRow,
    AlertPolicyRow,
    CalendarDayRow,
    InstanceRow,
    StepRunRow,
)
from sopbot.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class OwnDay:
    """A day the agency changed: `kind` "off" (a day off) or "working", and why."""

    day: dt.date
    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class Changer:
    """Who made a change, and when: what its audit row records."""

    at: dt.datetime
    actor_id: int | None

    def audit(self, uow: UnitOfWork, agency_id: int, **change: Any) -> None:
        """Record the change they made to the agency (`entity`, `entity_id`, `action`,
        `before`, `after`, `detail`) in its audit trail."""
        record_change(uow, at=self.at, agency_id=agency_id, actor_id=self.actor_id, **change)


@dataclass(frozen=True, slots=True)
class OpenStep:
    """An open step of a running procedure, with what counting its due time needs."""

    step_run_id: uuid.UUID
    step_number: int
    opened_at: dt.datetime
    due_at: dt.datetime | None
    sop_version_id: int
    round: int = 1  # a rework round may have its own standard ('waktu_ulang')


# -- the days the agency changed ---------------------------------------------------------------


def own_days(uow: UnitOfWork, agency_id: int) -> dict[dt.date, OwnDay]:
    """Every day the agency changed, by date."""
    rows = uow.session.exec(select(CalendarDayRow).where(CalendarDayRow.agency_id == agency_id))
    return {row.day: OwnDay(row.day, row.kind, row.name) for row in rows}


def set_own_day(
    uow: UnitOfWork, agency_id: int, day: dt.date, kind: str, name: str, changer: Changer
) -> None:
    """Make a day a day off (`off`) or a working day (`working`) for the agency, audited."""
    row = _own_day_row(uow, agency_id, day)
    before = row.kind if row else None
    if row is None:
        row = CalendarDayRow(agency_id=agency_id, day=day, kind=kind, name=name)
    row.kind, row.name = kind, name
    uow.session.add(row)
    uow.session.flush()
    changer.audit(
        uow,
        agency_id,
        entity="calendar_day",
        entity_id=day.isoformat(),
        action="set",
        before=before,
        after=kind,
        detail={"name": name},
    )


def clear_own_day(uow: UnitOfWork, agency_id: int, day: dt.date, changer: Changer) -> OwnDay | None:
    """Undo the agency's change of a day, audited; the change undone, or None when the agency
    had not changed the day (then nothing is written)."""
    row = _own_day_row(uow, agency_id, day)
    if row is None:
        return None
    changer.audit(
        uow,
        agency_id,
        entity="calendar_day",
        entity_id=day.isoformat(),
        action="clear",
        before=row.kind,
        after="cleared",
        detail={"name": row.name},
    )
    cleared = OwnDay(row.day, row.kind, row.name)
    uow.session.delete(row)
    uow.session.flush()
    return cleared


def _own_day_row(uow: UnitOfWork, agency_id: int, day: dt.date) -> CalendarDayRow | None:
    return uow.session.exec(
        select(CalendarDayRow).where(
            CalendarDayRow.agency_id == agency_id, CalendarDayRow.day == day
        )
    ).first()


# -- working hours and the alert policy --------------------------------------------------------


def working_hours(uow: UnitOfWork, agency_id: int) -> WorkingHours | None:
    """The agency's own working hours, or None when it keeps the standard office hours."""
    row = uow.session.get(AgencyHoursRow, agency_id)
    return hours_from_json(row.hours) if row else None


def save_working_hours(
    uow: UnitOfWork, agency_id: int, hours: WorkingHours, weekday: int, changer: Changer
) -> None:
    """Store the agency's working hours, audited as a change of one weekday's."""
    row = uow.session.get(AgencyHoursRow, agency_id)
    if row is None:
        row = AgencyHoursRow(agency_id=agency_id, hours={})
    row.hours = hours_to_json(hours)
    uow.session.add(row)
    uow.session.flush()
    changer.audit(
        uow,
        agency_id,
        entity="agency_hours",
        entity_id=agency_id,
        action="set",
        before=None,
        after="set",
        detail={"weekday": weekday, "hours": row.hours[str(weekday)]},
    )


def save_day_rule(uow: UnitOfWork, agency_id: int, rule: DayRule, changer: Changer) -> bool:
    """Store what the agency's "hari" means, audited; False when it already meant that."""
    row = uow.session.get(AgencyRow, agency_id)
    assert row is not None  # noqa: S101 - the caller found the agency
    before = row.day_rule
    if before == rule.value:
        return False
    row.day_rule = rule.value
    uow.session.add(row)
    uow.session.flush()
    changer.audit(
        uow,
        agency_id,
        entity="agency_day_rule",
        entity_id=agency_id,
        action="set",
        before=before,
        after=rule.value,
        detail={"day_rule": rule.value},
    )
    return True


def save_alert_policy(
    uow: UnitOfWork, agency_id: int, sop_id: str, policy: AlertPolicy, changer: Changer
) -> int:
    """Store the alert policy of the agency (`sop_id` "*") or of one SOP, audited; its id."""
    row = uow.session.exec(
        select(AlertPolicyRow).where(
            AlertPolicyRow.agency_id == agency_id, AlertPolicyRow.sop_id == sop_id
        )
    ).first()
    if row is None:
        row = AlertPolicyRow(agency_id=agency_id, sop_id=sop_id)
    row.repeat_minutes, row.escalate_factor = policy.repeat_minutes, policy.escalate_factor
    uow.session.add(row)
    uow.session.flush()
    assert row.id is not None  # noqa: S101 - set by the flush
    changer.audit(
        uow,
        agency_id,
        entity="alert_policy",
        entity_id=row.id,
        action="set",
        before=None,
        after="set",
        detail={
            "sop_id": sop_id,
            "repeat_minutes": policy.repeat_minutes,
            "escalate_factor": policy.escalate_factor,
        },
    )
    return row.id


# -- the due times a change moves --------------------------------------------------------------


def open_steps(uow: UnitOfWork, agency_id: int) -> list[OpenStep]:
    """The open steps of the agency's running procedures."""
    rows = uow.session.execute(
        columns_select(
            col(StepRunRow.id),
            col(StepRunRow.step_number),
            col(StepRunRow.opened_at),
            col(StepRunRow.due_at),
            col(InstanceRow.sop_version_id),
            col(StepRunRow.round),
        )
        .join(InstanceRow, col(InstanceRow.id) == col(StepRunRow.instance_id))
        .where(col(InstanceRow.agency_id) == agency_id)
        .where(col(InstanceRow.state) == InstanceState.RUNNING.value)
        .where(col(StepRunRow.state) == StepRunState.OPEN.value)
    ).all()
    return [OpenStep(*row) for row in rows]


def move_due_times(uow: UnitOfWork, due_times: Mapping[uuid.UUID, dt.datetime]) -> None:
    """Give the step runs their new due times."""
    for step_run_id, due_at in due_times.items():
        uow.session.execute(
            update(StepRunRow).where(col(StepRunRow.id) == step_run_id).values(due_at=due_at)
        )
