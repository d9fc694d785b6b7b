"""An agency's periods of different working hours (e.g. "Ramadan 1448 H"), read and written for
`services.calendar_admin`; `storage.calendars.CalendarStore` puts them into the working calendar.

Every write adds its audit row in the same unit of work, as the other calendar changes do.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select

from sopbot.engine.working_calendar import HoursPeriod
from sopbot.storage.calendar_days import Changer
from sopbot.storage.calendars import period_from_row, weekdays_to_json
from sopbot.storage.models import AgencyRow, HoursPeriodRow
from sopbot.storage.unit_of_work import UnitOfWork


def lock_periods(uow: UnitOfWork, agency_id: int) -> None:
    """Hold the agency's row until the end of the unit of work, so two changes of its periods
    check for overlaps one after the other (SQLite's writers queue at BEGIN IMMEDIATE anyway)."""
    uow.session.exec(select(AgencyRow.id).where(AgencyRow.id == agency_id).with_for_update())


def periods(uow: UnitOfWork, agency_id: int) -> list[HoursPeriod]:
    """The agency's periods, in date order."""
    rows = uow.session.exec(
        select(HoursPeriodRow)
        .where(HoursPeriodRow.agency_id == agency_id)
        .order_by(col(HoursPeriodRow.first_day))
    )
    return [period_from_row(row) for row in rows]


def save_period(
    uow: UnitOfWork,
    agency_id: int,
    period: HoursPeriod,
    changer: Changer,
    *,
    weekdays: Iterable[int],
) -> None:
    """Store a period (a new one, or the agency's period of that name), audited with the
    weekdays whose hours were set."""
    row = _row(uow, agency_id, period.name)
    before = None if row is None else f"{row.first_day.isoformat()}..{row.last_day.isoformat()}"
    if row is None:
        row = HoursPeriodRow(
            agency_id=agency_id, name=period.name, first_day=period.first, last_day=period.last
        )
    row.name = period.name
    row.first_day, row.last_day = period.first, period.last
    row.hours = weekdays_to_json(period.by_weekday)
    uow.session.add(row)
    uow.session.flush()
    changed = sorted(set(weekdays))
    changer.audit(
        uow,
        agency_id,
        entity="hours_period",
        entity_id=period.name,
        action="set",
        before=before,
        after=f"{period.first.isoformat()}..{period.last.isoformat()}",
        detail={
            "weekdays": changed,
            "hours": {str(w): row.hours[str(w)] for w in changed if str(w) in row.hours},
        },
    )


def remove_period(
    uow: UnitOfWork, agency_id: int, name: str, changer: Changer
) -> HoursPeriod | None:
    """Remove the agency's period of this name, audited; the period removed, or None when the
    agency has none of that name (then nothing is written)."""
    row = _row(uow, agency_id, name)
    if row is None:
        return None
    removed = period_from_row(row)
    changer.audit(
        uow,
        agency_id,
        entity="hours_period",
        entity_id=row.name,
        action="clear",
        before=f"{row.first_day.isoformat()}..{row.last_day.isoformat()}",
        after="cleared",
        detail={"hours": row.hours},
    )
    uow.session.delete(row)
    uow.session.flush()
    return removed


def _row(uow: UnitOfWork, agency_id: int, name: str) -> HoursPeriodRow | None:
    return uow.session.exec(
        select(HoursPeriodRow).where(
            HoursPeriodRow.agency_id == agency_id, HoursPeriodRow.name == name
        )
    ).first()
