"""Who holds which position, and who acts for it, in the database: holdings (a member in a
position over a period; mutasi ends one) and acting appointments (Plt/Plh).

The routing that reads them for a running procedure is in `sopbot.storage.organization_store`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, update
from sqlmodel import col, select

from sopbot.engine.organization import ActingKind
from sopbot.storage.models import ActingRow, HoldingRow, PositionRow
from sopbot.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class StoredActing:
    """An acting appointment (Plt/Plh) as stored: `valid_to` None while it has no end."""

    id: int
    member_id: int
    position_id: int
    kind: ActingKind
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    for_member_id: int | None = None  # the absent holder; None: the post is vacant
    decree: str | None = None  # the Surat Perintah's number


def add_holding(
    uow: UnitOfWork, *, member_id: int, position_id: int, valid_from: dt.datetime
) -> int:
    """The member holds the position from `valid_from` on; the holding's id."""
    row = HoldingRow(member_id=member_id, position_id=position_id, valid_from=valid_from)
    uow.session.add(row)
    uow.session.flush()
    assert row.id is not None  # noqa: S101 - flushed
    return row.id


def open_holdings(uow: UnitOfWork, member_id: int, position_id: int) -> list[int]:
    """The ids of the member's holdings of the position that have no end yet."""
    ids = uow.session.exec(
        select(HoldingRow.id)
        .where(HoldingRow.member_id == member_id, HoldingRow.position_id == position_id)
        .where(col(HoldingRow.valid_to).is_(None))
        .order_by(col(HoldingRow.id))
    ).all()
    return [holding_id for holding_id in ids if holding_id is not None]


def end_holding(uow: UnitOfWork, holding_id: int, at: dt.datetime) -> None:
    """The holding ends at `at` (the member left the position)."""
    uow.session.execute(
        update(HoldingRow).where(col(HoldingRow.id) == holding_id).values(valid_to=at)
    )


def position_names_held(uow: UnitOfWork, member_id: int, at: dt.datetime) -> list[str]:
    """The names of the positions the member holds at `at`."""
    return list(
        uow.session.exec(
            select(PositionRow.name)
            .join(HoldingRow, col(HoldingRow.position_id) == col(PositionRow.id))
            .where(HoldingRow.member_id == member_id)
            .where(_covering(at))
        ).all()
    )


def add_acting(
    uow: UnitOfWork,
    *,
    member_id: int,
    position_id: int,
    kind: ActingKind,
    for_member_id: int | None,
    valid_from: dt.datetime,
    valid_to: dt.datetime | None,
    decree: str | None,
) -> int:
    """Store an acting appointment (Plt/Plh) for the position; its id."""
    row = ActingRow(
        member_id=member_id,
        position_id=position_id,
        kind=kind.value,
        for_member_id=for_member_id,
        valid_from=valid_from,
        valid_to=valid_to,
        decree=decree,
    )
    uow.session.add(row)
    uow.session.flush()
    assert row.id is not None  # noqa: S101 - flushed
    return row.id


def acting(uow: UnitOfWork, acting_id: int) -> StoredActing | None:
    """The acting appointment with this id, if there is one."""
    row = uow.session.get(ActingRow, acting_id)
    return None if row is None else _stored_acting(row)


def actings_in_agency(
    uow: UnitOfWork, agency_id: int, *, ending_after: dt.datetime
) -> list[StoredActing]:
    """The agency's acting appointments in office or still to come at `ending_after` (those
    with no end, or an end after it), by when they start."""
    rows = uow.session.exec(
        select(ActingRow)
        .join(PositionRow, col(ActingRow.position_id) == col(PositionRow.id))
        .where(PositionRow.agency_id == agency_id)
        .where(col(ActingRow.valid_to).is_(None) | (col(ActingRow.valid_to) > ending_after))
        .order_by(col(ActingRow.valid_from), col(ActingRow.id))
    ).all()
    return [_stored_acting(row) for row in rows]


def _stored_acting(row: ActingRow) -> StoredActing:
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


def _covering(at: dt.datetime) -> ColumnElement[bool]:
    """The condition of a holding that covers the instant `at`."""
    return and_(
        col(HoldingRow.valid_from) <= at,
        col(HoldingRow.valid_to).is_(None) | (col(HoldingRow.valid_to) > at),
    )


@dataclass(frozen=True, slots=True)
class HeldPosition:
    """A position a member holds, as a list of people shows it."""

    member_id: int
    position_id: int
    key: str
    name: str


def positions_held_by_members(
    uow: UnitOfWork, agency_id: int, at: dt.datetime
) -> dict[int, list[HeldPosition]]:
    """For each member holding one of the agency's positions at `at`, those positions (in
    the order the holdings began)."""
    rows = uow.session.exec(
        select(HoldingRow.member_id, PositionRow.id, PositionRow.key, PositionRow.name)
        .join(PositionRow, col(HoldingRow.position_id) == col(PositionRow.id))
        .where(PositionRow.agency_id == agency_id)
        .where(_covering(at))
        .order_by(col(HoldingRow.id))
    ).all()
    held: dict[int, list[HeldPosition]] = {}
    for member_id, position_id, key, name in rows:
        if position_id is not None:
            held.setdefault(member_id, []).append(HeldPosition(member_id, position_id, key, name))
    return held


def holdings_of_member(uow: UnitOfWork, member_id: int, at: dt.datetime) -> list[tuple[int, int]]:
    """The member's holdings that cover `at` or begin later and have no end: (holding id,
    position id), in the order they began (what a deactivation ends)."""
    rows = uow.session.exec(
        select(HoldingRow.id, HoldingRow.position_id)
        .where(HoldingRow.member_id == member_id)
        .where(col(HoldingRow.valid_to).is_(None) | (col(HoldingRow.valid_to) > at))
        .order_by(col(HoldingRow.id))
    ).all()
    return [(holding_id, position_id) for holding_id, position_id in rows if holding_id is not None]


def actings_of_member(uow: UnitOfWork, member_id: int, at: dt.datetime) -> list[StoredActing]:
    """The acting appointments (Plt/Plh) the member holds in office or still to come at `at`."""
    rows = uow.session.exec(
        select(ActingRow)
        .where(ActingRow.member_id == member_id)
        .where(col(ActingRow.valid_to).is_(None) | (col(ActingRow.valid_to) > at))
        .order_by(col(ActingRow.valid_from), col(ActingRow.id))
    ).all()
    return [_stored_acting(row) for row in rows]


def close_acting(uow: UnitOfWork, acting_id: int, at: dt.datetime) -> None:
    """The acting appointment ends at `at` (one still to come never begins), and both its
    boundaries count as applied: the caller re-routes open work in the same transaction."""
    uow.session.execute(
        update(ActingRow)
        .where(col(ActingRow.id) == acting_id)
        .values(
            valid_to=at,
            start_applied_at=func.coalesce(col(ActingRow.start_applied_at), at),
            end_applied_at=at,
        )
    )
