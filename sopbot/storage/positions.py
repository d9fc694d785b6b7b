"""Positions (jabatan) as an agency's admins manage them: renamed, removed (the row stays, for
the dispositions and the audit trail that name it), the role mappings listed and taken away,
who holds each one, and the routing an agency would have without some of its mappings.

The positions that lists offer (removed ones left out) are in `sopbot.storage.agencies`; the
routing of a running procedure is in `sopbot.storage.organization_store`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, update
from sqlmodel import col, select

from sopbot.engine.instance import LIVE_DISPOSITION_STATES, InstanceState
from sopbot.engine.organization import Assignee, resolve_assignees
from sopbot.engine.procedure import Routing
from sopbot.storage.models import (
    ANY_SOP,
    DispositionRow,
    HoldingRow,
    InstanceRow,
    MemberRow,
    PositionRow,
    RoleMappingRow,
)
from sopbot.storage.organization_store import people_of_positions
from sopbot.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class StoredPosition:
    """A position as stored, removed or not (`removed_at`)."""

    id: int
    agency_id: int
    key: str
    name: str
    removed_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class RoleMapping:
    """A position serving an SOP role: for one SOP, or for every SOP (`sop_id` ANY_SOP)."""

    id: int
    agency_id: int
    sop_id: str
    role_key: str
    position_id: int


@dataclass(frozen=True, slots=True)
class HolderOfPosition:
    """A member holding a position over a period (`valid_to` None: no end)."""

    position_id: int
    member_id: int
    name: str
    valid_from: dt.datetime
    valid_to: dt.datetime | None


def positions_with_removed(uow: UnitOfWork, agency_id: int) -> list[StoredPosition]:
    """Every position of the agency, removed ones too, in the order they were added."""
    rows = uow.session.exec(
        select(PositionRow).where(PositionRow.agency_id == agency_id).order_by(col(PositionRow.id))
    ).all()
    return [_stored(row) for row in rows]


def position_of_agency(uow: UnitOfWork, agency_id: int, position_id: int) -> StoredPosition | None:
    """The position with this id, removed or not, if it belongs to the agency."""
    row = uow.session.get(PositionRow, position_id)
    if row is None or row.agency_id != agency_id:
        return None
    return _stored(row)


def position_keys(uow: UnitOfWork, agency_id: int) -> set[str]:
    """Every key the agency's positions use (a removed position's too: keys are unique)."""
    return set(
        uow.session.exec(select(PositionRow.key).where(PositionRow.agency_id == agency_id)).all()
    )


def lock_position(uow: UnitOfWork, position_id: int) -> None:
    """Take the position's row for this transaction (FOR UPDATE on PostgreSQL), so two admins
    changing the same position at once change it one after the other."""
    uow.session.exec(
        select(PositionRow.id).where(col(PositionRow.id) == position_id).with_for_update()
    ).first()


def rename_position(uow: UnitOfWork, position_id: int, name: str) -> None:
    """The position is called `name` from now on (its key stays)."""
    uow.session.execute(
        update(PositionRow).where(col(PositionRow.id) == position_id).values(name=name)
    )


def mark_removed(uow: UnitOfWork, position_id: int, *, at: dt.datetime, key: str) -> None:
    """The position is removed at `at`, and keeps `key` (a freed key: see the service)."""
    uow.session.execute(
        update(PositionRow).where(col(PositionRow.id) == position_id).values(removed_at=at, key=key)
    )


def role_mappings_of_agency(uow: UnitOfWork, agency_id: int) -> list[RoleMapping]:
    """Every role mapping of the agency, in the order they were made."""
    rows = uow.session.exec(
        select(RoleMappingRow)
        .where(RoleMappingRow.agency_id == agency_id)
        .order_by(col(RoleMappingRow.id))
    ).all()
    return [_mapping(row) for row in rows]


def role_mapping_of_agency(uow: UnitOfWork, agency_id: int, mapping_id: int) -> RoleMapping | None:
    """The role mapping with this id, if it belongs to the agency."""
    row = uow.session.get(RoleMappingRow, mapping_id)
    if row is None or row.agency_id != agency_id:
        return None
    return _mapping(row)


def delete_role_mapping(uow: UnitOfWork, mapping_id: int) -> None:
    """The position no longer serves the role (the mapping's row is deleted; the audit trail
    keeps what it was)."""
    uow.session.execute(delete(RoleMappingRow).where(col(RoleMappingRow.id) == mapping_id))


def holders_at(uow: UnitOfWork, agency_id: int, at: dt.datetime) -> list[HolderOfPosition]:
    """Who holds each of the agency's positions at `at`, in the order the holdings began."""
    rows = uow.session.exec(
        select(HoldingRow, MemberRow.name)
        .join(PositionRow, col(HoldingRow.position_id) == col(PositionRow.id))
        .join(MemberRow, col(HoldingRow.member_id) == col(MemberRow.id))
        .where(PositionRow.agency_id == agency_id)
        .where(col(HoldingRow.valid_from) <= at)
        .where(col(HoldingRow.valid_to).is_(None) | (col(HoldingRow.valid_to) > at))
        .order_by(col(HoldingRow.valid_from), col(HoldingRow.id))
    ).all()
    return [_holder(holding, name) for holding, name in rows]


def holders_from(uow: UnitOfWork, position_id: int, at: dt.datetime) -> list[HolderOfPosition]:
    """Who holds the position at `at` or will from a later time (a holding not ended by then)."""
    rows = uow.session.exec(
        select(HoldingRow, MemberRow.name)
        .join(MemberRow, col(HoldingRow.member_id) == col(MemberRow.id))
        .where(HoldingRow.position_id == position_id)
        .where(col(HoldingRow.valid_to).is_(None) | (col(HoldingRow.valid_to) > at))
        .order_by(col(HoldingRow.valid_from), col(HoldingRow.id))
    ).all()
    return [_holder(holding, name) for holding, name in rows]


def live_work_on_position(uow: UnitOfWork, position_id: int) -> int:
    """How many dispositions of running procedures wait on the position (pending or claimed)."""
    count = uow.session.exec(
        select(func.count())
        .select_from(DispositionRow)
        .join(InstanceRow, col(InstanceRow.id) == col(DispositionRow.instance_id))
        .where(DispositionRow.position_id == position_id)
        .where(col(DispositionRow.state).in_([s.value for s in LIVE_DISPOSITION_STATES]))
        .where(InstanceRow.state == InstanceState.RUNNING.value)
    ).one()
    return int(count)


def routing_without(
    uow: UnitOfWork,
    agency_id: int,
    sop_id: str,
    at: dt.datetime,
    left_out: Collection[int] = (),
) -> Routing:
    """Who would act for each role of an SOP at `at` if the mappings `left_out` (their ids)
    were gone: the routing of `organization_store.routing_for`, as a "what if" (an SOP's own
    mapping of a role replaces the agency-wide one, so taking it away may hand the role back
    to the agency-wide positions)."""
    specific: dict[str, list[int]] = {}
    general: dict[str, list[int]] = {}
    for mapping in role_mappings_of_agency(uow, agency_id):
        if mapping.id in left_out or mapping.sop_id not in (sop_id, ANY_SOP):
            continue
        target = specific if mapping.sop_id == sop_id else general
        target.setdefault(mapping.role_key, []).append(mapping.position_id)
    by_role = {**general, **specific}
    holdings, actings = people_of_positions(uow.session, agency_id)

    def route(role_key: str) -> Sequence[Assignee]:
        return resolve_assignees(by_role.get(role_key, []), at, holdings, actings)

    return route


def _stored(row: PositionRow) -> StoredPosition:
    assert row.id is not None  # noqa: S101 - read from the database
    return StoredPosition(row.id, row.agency_id, row.key, row.name, row.removed_at)


def _mapping(row: RoleMappingRow) -> RoleMapping:
    assert row.id is not None  # noqa: S101 - read from the database
    return RoleMapping(row.id, row.agency_id, row.sop_id, row.role_key, row.position_id)


def _holder(holding: HoldingRow, name: str) -> HolderOfPosition:
    return HolderOfPosition(
        holding.position_id, holding.member_id, name, holding.valid_from, holding.valid_to
    )
