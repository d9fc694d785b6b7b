"""Invitations in the database: single-use, expiring links that bring a person in.

Only the SHA-256 of a token is stored (the caller hashes it), so the table cannot be used to
forge a link.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from sopbot.storage.models import InvitationRow, MemberRow
from sopbot.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Invitation:
    """An invitation as stored: for a member made beforehand (`member_id`), or for whoever
    accepts it, in a position (`position_id`), or both, or neither."""

    id: int
    agency_id: int
    member_id: int | None
    position_id: int | None
    is_admin: bool
    expires_at: dt.datetime
    used_at: dt.datetime | None
    is_operator: bool = False  # an operator admin's invitation (migration 0015)
    revoked_at: dt.datetime | None = None  # revoked by an admin: it opens nothing
    created_by_id: int | None = None  # the admin or operator who made it (None: the server)


def add_invitation(  # noqa: PLR0913 - the invitation row's columns, keyword-only
    uow: UnitOfWork,
    *,
    token_hash: str,
    agency_id: int,
    member_id: int | None,
    position_id: int | None,
    is_admin: bool,
    created_by_id: int | None,
    created_at: dt.datetime,
    expires_at: dt.datetime,
    is_operator: bool = False,
) -> int:
    """Store a new invitation under its token's hash; its id."""
    row = InvitationRow(
        token_hash=token_hash,
        agency_id=agency_id,
        member_id=member_id,
        position_id=position_id,
        is_admin=is_admin,
        created_by_id=created_by_id,
        created_at=created_at,
        expires_at=expires_at,
        is_operator=is_operator,
    )
    uow.session.add(row)
    uow.session.flush()
    assert row.id is not None  # noqa: S101 - flushed
    return row.id


def invitation_by_token_hash(uow: UnitOfWork, token_hash: str) -> Invitation | None:
    """The invitation whose token hashes to `token_hash`, if there is one."""
    row = uow.session.exec(
        select(InvitationRow).where(InvitationRow.token_hash == token_hash)
    ).first()
    return None if row is None else _invitation(row)


def _invitation(row: InvitationRow) -> Invitation:
    assert row.id is not None  # noqa: S101 - read from the database
    return Invitation(
        id=row.id,
        agency_id=row.agency_id,
        member_id=row.member_id,
        position_id=row.position_id,
        is_admin=row.is_admin,
        expires_at=row.expires_at,
        used_at=row.used_at,
        is_operator=row.is_operator,
        revoked_at=row.revoked_at,
        created_by_id=row.created_by_id,
    )


def mark_used(uow: UnitOfWork, invitation_id: int, *, at: dt.datetime, by_member_id: int) -> None:
    """The invitation was used at `at` by the member; it opens nothing again."""
    uow.session.execute(
        update(InvitationRow)
        .where(col(InvitationRow.id) == invitation_id)
        .values(used_at=at, used_by_member_id=by_member_id)
    )


@dataclass(frozen=True, slots=True)
class OpenInvitation:
    """An invitation that can still be used: not used, not revoked, not expired."""

    id: int
    agency_id: int
    member_id: int | None
    position_id: int | None
    is_admin: bool
    created_by_id: int | None
    created_at: dt.datetime
    expires_at: dt.datetime


def open_invitations_of_agency(
    uow: UnitOfWork, agency_id: int, now: dt.datetime
) -> list[OpenInvitation]:
    """The agency's invitations that can still be used at `now`, the soonest to expire first."""
    rows = uow.session.exec(
        _still_open(now)
        .where(InvitationRow.agency_id == agency_id)
        .order_by(col(InvitationRow.expires_at), col(InvitationRow.id))
    ).all()
    return [_open(row) for row in rows]


def open_invitations_of_member(
    uow: UnitOfWork, member_id: int, now: dt.datetime
) -> list[OpenInvitation]:
    """The invitations made for the member that can still be used at `now`."""
    rows = uow.session.exec(
        _still_open(now).where(InvitationRow.member_id == member_id).order_by(col(InvitationRow.id))
    ).all()
    return [_open(row) for row in rows]


def invitation_in_agency(uow: UnitOfWork, agency_id: int, invitation_id: int) -> Invitation | None:
    """The invitation with this id if it is the agency's (another agency's reads as none)."""
    row = uow.session.get(InvitationRow, invitation_id)
    if row is None or row.agency_id != agency_id:
        return None
    return _invitation(row)


def open_invitations_made_by(uow: UnitOfWork, member_id: int, now: dt.datetime) -> list[int]:
    """The ids of the invitations the member made that can still be used at `now`."""
    rows = uow.session.exec(
        _still_open(now)
        .where(InvitationRow.created_by_id == member_id)
        .order_by(col(InvitationRow.id))
    ).all()
    return [row.id for row in rows if row.id is not None]


def open_invitations_to_position(uow: UnitOfWork, position_id: int, now: dt.datetime) -> list[int]:
    """The ids of the invitations into the position that can still be used at `now`."""
    rows = uow.session.exec(
        _still_open(now)
        .where(InvitationRow.position_id == position_id)
        .order_by(col(InvitationRow.id))
    ).all()
    return [row.id for row in rows if row.id is not None]


def revoke(
    uow: UnitOfWork, invitation_id: int, *, at: dt.datetime, by_member_id: int | None
) -> None:
    """The invitation is revoked at `at` (by an admin, or None: from the command line); its
    link opens nothing any more."""
    uow.session.execute(
        update(InvitationRow)
        .where(col(InvitationRow.id) == invitation_id)
        .values(revoked_at=at, revoked_by_id=by_member_id)
    )


@dataclass(frozen=True, slots=True)
class OpenAdminInvitation:
    """An admin's invitation not used, revoked or expired yet, with the name of the member it
    was made for (None: whoever accepts it)."""

    id: int
    member_id: int | None
    member_name: str | None
    expires_at: dt.datetime


def invitation(uow: UnitOfWork, invitation_id: int) -> Invitation | None:
    """The invitation with this id, if there is one."""
    row = uow.session.get(InvitationRow, invitation_id)
    return None if row is None else _invitation(row)


def open_admin_invitations(
    uow: UnitOfWork, agency_id: int, now: dt.datetime
) -> list[OpenAdminInvitation]:
    """The agency's admin invitations that can still be accepted, oldest first."""
    rows = uow.session.exec(
        select(InvitationRow, MemberRow)
        .join(MemberRow, col(MemberRow.id) == col(InvitationRow.member_id), isouter=True)
        .where(InvitationRow.agency_id == agency_id)
        .where(col(InvitationRow.is_admin).is_(True))
        .where(col(InvitationRow.used_at).is_(None))
        .where(col(InvitationRow.revoked_at).is_(None))
        .where(col(InvitationRow.expires_at) > now)
        .order_by(col(InvitationRow.id))
    ).all()
    found: list[OpenAdminInvitation] = []
    for row, member in rows:
        assert row.id is not None  # noqa: S101 - read from the database
        name = member.name if member is not None else None
        found.append(OpenAdminInvitation(row.id, row.member_id, name, row.expires_at))
    return found


def _still_open(now: dt.datetime) -> SelectOfScalar[InvitationRow]:
    return (
        select(InvitationRow)
        .where(col(InvitationRow.used_at).is_(None))
        .where(col(InvitationRow.revoked_at).is_(None))
        .where(col(InvitationRow.expires_at) > now)
    )


def _open(row: InvitationRow) -> OpenInvitation:
    assert row.id is not None  # noqa: S101 - read from the database
    return OpenInvitation(
        id=row.id,
        agency_id=row.agency_id,
        member_id=row.member_id,
        position_id=row.position_id,
        is_admin=row.is_admin,
        created_by_id=row.created_by_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )
