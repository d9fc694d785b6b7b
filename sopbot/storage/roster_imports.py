"""Roster imports in the database: a roster an admin sent, as read and as planned, until they
confirm or cancel it (migration 0015's `roster_import`), and what a roster import reads of the
agency and writes to it beyond the other stores (its positions with their removal, a member
with the Telegram username the roster gave).

Each function takes the caller's `UnitOfWork`; `sopbot.services.roster_imports` decides.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import col, select

from sopbot.storage.models import MemberRow, PositionRow, RosterImportRow
from sopbot.storage.unit_of_work import UnitOfWork


class RosterStatus(StrEnum):
    """Where a roster import stands."""

    OPEN = "open"  # previewed, waiting for "Buat" or "Batal"
    CONFIRMED = "confirmed"  # its positions, members and invitations were created
    CANCELLED = "cancelled"  # the admin stopped it, or sent another roster


@dataclass(frozen=True, slots=True)
class StoredRoster:
    """A roster import as stored."""

    id: int
    agency_id: int
    member_id: int
    file_name: str
    file_sha256: str
    kind: str
    plan: dict[str, Any]
    status: RosterStatus
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NewRoster:
    """What a new roster import is stored with."""

    agency_id: int
    member_id: int
    file_name: str
    file_sha256: str
    kind: str
    plan: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PositionName:
    """A position of the agency as a roster is matched against it."""

    id: int
    key: str
    name: str
    removed: bool


def add_roster(uow: UnitOfWork, new: NewRoster, at: dt.datetime) -> int:
    """Store a new open roster import; its id."""
    row = RosterImportRow(
        agency_id=new.agency_id,
        member_id=new.member_id,
        file_name=new.file_name,
        file_sha256=new.file_sha256,
        kind=new.kind,
        plan=dict(new.plan),
        status=RosterStatus.OPEN.value,
        created_at=at,
        updated_at=at,
    )
    uow.session.add(row)
    uow.session.flush()
    assert row.id is not None  # noqa: S101 - flushed
    return row.id


def roster(uow: UnitOfWork, roster_id: int, *, for_update: bool = False) -> StoredRoster | None:
    """The roster import with this id (locked for this transaction when asked), if any."""
    query = select(RosterImportRow).where(col(RosterImportRow.id) == roster_id)
    if for_update:
        query = query.with_for_update()
    row = uow.session.exec(query).first()
    return None if row is None else _stored(row)


def open_rosters_of(uow: UnitOfWork, member_id: int, *, lock: bool = True) -> list[StoredRoster]:
    """The member's open roster imports, oldest first (at most one: the partial unique index),
    locked for this transaction unless `lock` is False."""
    query = (
        select(RosterImportRow)
        .where(
            col(RosterImportRow.member_id) == member_id,
            col(RosterImportRow.status) == RosterStatus.OPEN.value,
        )
        .order_by(col(RosterImportRow.id))
    )
    if lock:
        query = query.with_for_update()
    return [_stored(row) for row in uow.session.exec(query).all()]


def update_roster(
    uow: UnitOfWork,
    roster_id: int,
    *,
    at: dt.datetime,
    plan: dict[str, Any] | None = None,
    status: RosterStatus | None = None,
) -> None:
    """Change a roster import's plan or status."""
    row = uow.session.get(RosterImportRow, roster_id)
    if row is None:
        raise LookupError(f"no roster import {roster_id}")
    if plan is not None:
        row.plan = dict(plan)
    if status is not None:
        row.status = status.value
    row.updated_at = at
    uow.session.add(row)
    uow.session.flush()


def position_names(uow: UnitOfWork, agency_id: int) -> list[PositionName]:
    """Every position of the agency with its key and name, and whether it was removed."""
    rows = uow.session.exec(
        select(PositionRow).where(PositionRow.agency_id == agency_id).order_by(col(PositionRow.id))
    ).all()
    return [
        PositionName(row.id, row.key, row.name, row.removed_at is not None)
        for row in rows
        if row.id is not None
    ]


def add_listed_member(
    uow: UnitOfWork,
    *,
    agency_id: int,
    name: str,
    nip: str | None,
    telegram_username: str | None,
    created_at: dt.datetime,
) -> int:
    """Store a member a roster lists (not bound to Telegram until they accept their
    invitation; with a username, only that account may); their id."""
    row = MemberRow(
        agency_id=agency_id,
        name=name,
        nip=nip,
        telegram_username=telegram_username,
        created_at=created_at,
    )
    uow.session.add(row)
    uow.session.flush()
    assert row.id is not None  # noqa: S101 - flushed
    return row.id


def _stored(row: RosterImportRow) -> StoredRoster:
    assert row.id is not None  # noqa: S101 - read from the database
    return StoredRoster(
        id=row.id,
        agency_id=row.agency_id,
        member_id=row.member_id,
        file_name=row.file_name,
        file_sha256=row.file_sha256,
        kind=row.kind,
        plan=dict(row.plan),
        status=RosterStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
