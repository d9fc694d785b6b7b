"""Agencies and their structure in the database: the agency, its positions (jabatan), and the
SOP roles each position serves (role mappings).

Who holds a position is in `sopbot.storage.holdings`; the routing built from all of it is in
`sopbot.storage.organization_store`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import col, select

from sopbot.engine.working_calendar import DayRule
from sopbot.storage.models import AgencyRow, PositionRow, RoleMappingRow
from sopbot.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Agency:
    """A regional agency (OPD) as stored; `key` is its folder under sop_defs/."""

    id: int
    key: str
    name: str
    timezone: str
    day_rule: DayRule = DayRule.WORKING_TIME  # what its SOPs' "hari" means


@dataclass(frozen=True, slots=True)
class Position:
    """A position (jabatan) of an agency."""

    id: int
    agency_id: int
    key: str
    name: str


def add_agency(
    uow: UnitOfWork,
    *,
    key: str,
    name: str,
    timezone: str,
    created_at: dt.datetime,
    day_rule: DayRule = DayRule.WORKING_TIME,
) -> int:
    """Store a new agency; its id."""
    row = AgencyRow(
        key=key, name=name, timezone=timezone, created_at=created_at, day_rule=day_rule.value
    )
    uow.session.add(row)
    uow.session.flush()
    assert row.id is not None  # noqa: S101 - flushed
    return row.id


def agency(uow: UnitOfWork, agency_id: int) -> Agency | None:
    """The agency with this id, if there is one."""
    row = uow.session.get(AgencyRow, agency_id)
    return None if row is None else _agency(row)


def agency_by_key(uow: UnitOfWork, key: str) -> Agency | None:
    """The agency whose folder under sop_defs/ is `key`, if there is one."""
    row = uow.session.exec(select(AgencyRow).where(AgencyRow.key == key)).first()
    return None if row is None else _agency(row)


def add_position(uow: UnitOfWork, *, agency_id: int, key: str, name: str) -> int:
    """Store a new position of the agency; its id."""
    row = PositionRow(agency_id=agency_id, key=key, name=name)
    uow.session.add(row)
    uow.session.flush()
    assert row.id is not None  # noqa: S101 - flushed
    return row.id


def position_in_agency(uow: UnitOfWork, agency_id: int, position_id: int) -> Position | None:
    """The position with this id if it belongs to the agency (another agency's reads as none,
    and so does a removed one: it takes no one and serves no role)."""
    row = uow.session.get(PositionRow, position_id)
    if row is None or row.agency_id != agency_id or row.removed_at is not None:
        return None
    return _position(row)


def position_by_key(uow: UnitOfWork, agency_id: int, key: str) -> Position | None:
    """The agency's position with this key, if there is one (not a removed one)."""
    row = uow.session.exec(
        select(PositionRow).where(
            PositionRow.agency_id == agency_id,
            PositionRow.key == key,
            col(PositionRow.removed_at).is_(None),
        )
    ).first()
    return None if row is None else _position(row)


def positions_of_agency(uow: UnitOfWork, agency_id: int) -> list[Position]:
    """Every position of the agency that has not been removed, in the order they were added:
    the positions any list offers (/undang, an SOP import's role question). The removed ones
    are in `sopbot.storage.positions.positions_with_removed`."""
    rows = uow.session.exec(
        select(PositionRow)
        .where(PositionRow.agency_id == agency_id, col(PositionRow.removed_at).is_(None))
        .order_by(col(PositionRow.id))
    ).all()
    return [_position(row) for row in rows]


def add_role_mapping(
    uow: UnitOfWork, *, agency_id: int, sop_id: str, role_key: str, position_id: int
) -> int:
    """Let the position serve an SOP role (`sop_id` may be ANY_SOP); the mapping's id."""
    row = RoleMappingRow(
        agency_id=agency_id, sop_id=sop_id, role_key=role_key, position_id=position_id
    )
    uow.session.add(row)
    uow.session.flush()
    assert row.id is not None  # noqa: S101 - flushed
    return row.id


def _agency(row: AgencyRow) -> Agency:
    assert row.id is not None  # noqa: S101 - read from the database
    return Agency(
        id=row.id,
        key=row.key,
        name=row.name,
        timezone=row.timezone,
        day_rule=DayRule(row.day_rule),
    )


def _position(row: PositionRow) -> Position:
    assert row.id is not None  # noqa: S101 - read from the database
    return Position(id=row.id, agency_id=row.agency_id, key=row.key, name=row.name)


def agencies_with_ids(uow: UnitOfWork, agency_ids: Sequence[int]) -> list[Agency]:
    """The agencies with these ids (those that exist), in id order."""
    rows = uow.session.exec(
        select(AgencyRow).where(col(AgencyRow.id).in_(agency_ids)).order_by(col(AgencyRow.id))
    ).all()
    return [_agency(row) for row in rows]


def all_agencies(uow: UnitOfWork) -> list[Agency]:
    """Every agency, in the order they were created."""
    rows = uow.session.exec(select(AgencyRow).order_by(col(AgencyRow.id))).all()
    return [_agency(row) for row in rows]
