"""Plt/Plh terms in the database as the term sweep and the admins' /plt read them: the
boundaries (a start, an end) that have passed and are not applied yet, taken under a lock;
marking them applied; an agency's terms with the names they show; and the positions, people
and holders an admin picks from.

Appointing and ending a term are `sopbot.storage.holdings.add_acting` / `end_acting`; the
routing that reads terms for a running procedure is `sopbot.storage.organization_store`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from sopbot.engine.organization import ActingKind
from sopbot.messaging.notices import Person
from sopbot.storage.holdings import StoredActing
from sopbot.storage.models import ActingRow, AgencyRow, HoldingRow, MemberRow, PositionRow
from sopbot.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class DueTerm:
    """A term with a boundary that has passed and was not applied: its start, its end, or both
    (a term that began and ended while no sweep ran)."""

    acting: StoredActing
    start_due: bool
    end_due: bool


@dataclass(frozen=True, slots=True)
class ListedTerm:
    """A term as an admin reads it: who acts for which position, for whom, when, by which
    decree (`for_member_name` None: the post is vacant)."""

    acting: StoredActing
    agency_id: int
    member_name: str
    position_key: str
    position_name: str
    for_member_name: str | None


@dataclass(frozen=True, slots=True)
class Pick:
    """Something an admin picks from a list: a position or a person, by id and name."""

    id: int
    name: str


def _start_due(now: dt.datetime) -> ColumnElement[bool]:
    return and_(col(ActingRow.start_applied_at).is_(None), col(ActingRow.valid_from) <= now)


def _end_due(now: dt.datetime) -> ColumnElement[bool]:
    return and_(
        col(ActingRow.end_applied_at).is_(None),
        col(ActingRow.valid_to).is_not(None),
        col(ActingRow.valid_to) <= now,
    )


def agencies_with_due_terms(uow: UnitOfWork, now: dt.datetime) -> list[int]:
    """The agencies with a term boundary that has passed by `now` and is not applied."""
    return list(
        uow.session.exec(
            select(PositionRow.agency_id)
            .join(ActingRow, col(ActingRow.position_id) == col(PositionRow.id))
            .where(or_(_start_due(now), _end_due(now)))
            .distinct()
            .order_by(col(PositionRow.agency_id))
        ).all()
    )


def take_due_terms(uow: UnitOfWork, agency_id: int, now: dt.datetime) -> list[DueTerm]:
    """The agency's terms with a boundary due by `now`, by id. On PostgreSQL they are locked
    FOR UPDATE SKIP LOCKED until the transaction ends: a sweep in another process that holds
    them is not waited for, and once it commits they are marked and no longer due."""
    query = (
        select(ActingRow)
        .join(PositionRow, col(ActingRow.position_id) == col(PositionRow.id))
        .where(PositionRow.agency_id == agency_id)
        .where(or_(_start_due(now), _end_due(now)))
        .order_by(col(ActingRow.id))
    )
    if uow.session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update(skip_locked=True, of=ActingRow)
    rows = uow.session.exec(query).all()
    return [
        DueTerm(
            _stored(row),
            start_due=row.start_applied_at is None and row.valid_from <= now,
            end_due=(
                row.end_applied_at is None and row.valid_to is not None and row.valid_to <= now
            ),
        )
        for row in rows
    ]


def mark_applied(
    uow: UnitOfWork,
    acting_id: int,
    *,
    start_at: dt.datetime | None = None,
    end_at: dt.datetime | None = None,
) -> None:
    """Record that the term's start (`start_at`) and/or end (`end_at`) were applied then."""
    values: dict[str, dt.datetime] = {}
    if start_at is not None:
        values["start_applied_at"] = start_at
    if end_at is not None:
        values["end_applied_at"] = end_at
    if values:
        uow.session.execute(
            update(ActingRow).where(col(ActingRow.id) == acting_id).values(**values)
        )


def terms_of_agency(
    uow: UnitOfWork, agency_id: int, *, ending_after: dt.datetime
) -> list[ListedTerm]:
    """The agency's terms in office or to come at `ending_after` (no end, or an end after it),
    by when they start, with the names they show."""
    acting_member = aliased(MemberRow)
    absent = aliased(MemberRow)
    rows = uow.session.exec(
        select(ActingRow, PositionRow, acting_member.name, absent.name)
        .join(PositionRow, col(ActingRow.position_id) == col(PositionRow.id))
        .join(acting_member, col(acting_member.id) == col(ActingRow.member_id))
        .outerjoin(absent, col(absent.id) == col(ActingRow.for_member_id))
        .where(PositionRow.agency_id == agency_id)
        .where(col(ActingRow.valid_to).is_(None) | (col(ActingRow.valid_to) > ending_after))
        .order_by(col(ActingRow.valid_from), col(ActingRow.id))
    ).all()
    return [_listed(*row) for row in rows]


def listed_term(uow: UnitOfWork, acting_id: int) -> ListedTerm | None:
    """One term with its agency and the names it shows, if there is one."""
    acting_member = aliased(MemberRow)
    absent = aliased(MemberRow)
    found = uow.session.exec(
        select(ActingRow, PositionRow, acting_member.name, absent.name)
        .join(PositionRow, col(ActingRow.position_id) == col(PositionRow.id))
        .join(acting_member, col(acting_member.id) == col(ActingRow.member_id))
        .outerjoin(absent, col(absent.id) == col(ActingRow.for_member_id))
        .where(col(ActingRow.id) == acting_id)
    ).first()
    if found is None:
        return None
    return _listed(*found)


def agency_timezone(uow: UnitOfWork, agency_id: int) -> str:
    """The agency's time zone (every agency is stored with one)."""
    zone = uow.session.exec(select(AgencyRow.timezone).where(AgencyRow.id == agency_id)).one()
    return str(zone)


def people(uow: UnitOfWork, member_ids: set[int]) -> dict[int, Person]:
    """Members by id, with the name they are shown by and their language."""
    if not member_ids:
        return {}
    rows = uow.session.exec(select(MemberRow).where(col(MemberRow.id).in_(sorted(member_ids))))
    return {row.id: Person(row.id, row.name, row.language) for row in rows if row.id is not None}


def active_admins(uow: UnitOfWork, agency_id: int) -> list[Person]:
    """The agency's admins who are still members (not deactivated)."""
    rows = uow.session.exec(
        select(MemberRow)
        .where(MemberRow.agency_id == agency_id, col(MemberRow.is_admin))
        .where(col(MemberRow.deactivated_at).is_(None))
        .order_by(col(MemberRow.id))
    )
    return [Person(row.id, row.name, row.language) for row in rows if row.id is not None]


def open_positions(uow: UnitOfWork, agency_id: int) -> list[Pick]:
    """The agency's positions that are not removed, in the order they were added."""
    rows = uow.session.exec(
        select(PositionRow.id, PositionRow.name)
        .where(PositionRow.agency_id == agency_id)
        .where(col(PositionRow.removed_at).is_(None))
        .order_by(col(PositionRow.id))
    ).all()
    return [Pick(position_id, name) for position_id, name in rows if position_id is not None]


def active_members(uow: UnitOfWork, agency_id: int) -> list[Pick]:
    """The agency's members who are not deactivated, by name."""
    rows = uow.session.exec(
        select(MemberRow.id, MemberRow.name)
        .where(MemberRow.agency_id == agency_id)
        .where(col(MemberRow.deactivated_at).is_(None))
        .order_by(col(MemberRow.name), col(MemberRow.id))
    ).all()
    return [Pick(member_id, name) for member_id, name in rows if member_id is not None]


def holders_at(uow: UnitOfWork, position_id: int, at: dt.datetime) -> list[Pick]:
    """Who holds the position at `at`, in the order their holdings began."""
    rows = uow.session.exec(
        select(MemberRow.id, MemberRow.name)
        .join(HoldingRow, col(HoldingRow.member_id) == col(MemberRow.id))
        .where(HoldingRow.position_id == position_id)
        .where(col(HoldingRow.valid_from) <= at)
        .where(col(HoldingRow.valid_to).is_(None) | (col(HoldingRow.valid_to) > at))
        .order_by(col(HoldingRow.valid_from), col(HoldingRow.id))
    ).all()
    seen: dict[int, Pick] = {}
    for member_id, name in rows:
        if member_id is not None:
            seen.setdefault(member_id, Pick(member_id, name))
    return list(seen.values())


def _listed(
    row: ActingRow, position: PositionRow, member_name: str, for_name: str | None
) -> ListedTerm:
    return ListedTerm(
        _stored(row), position.agency_id, member_name, position.key, position.name, for_name
    )


def _stored(row: ActingRow) -> StoredActing:
    assert row.id is not None  # noqa: S101 - read from the database
    return StoredActing(
        id=row.id,
        member_id=row.member_id,
        position_id=row.position_id,
        kind=ActingKind(row.kind),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        for_member_id=row.for_member_id,
        decree=row.decree,
    )
