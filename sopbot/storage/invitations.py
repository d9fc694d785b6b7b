"""Invitations in the database: single-use, expiring links that bring a person in.

Only the SHA-256 of a token is stored (the caller hashes it), so the table cannot be used to
forge a link.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import col, select

from sopbot.storage.models import InvitationRow
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
    if row is None:
        return None
    assert row.id is not None  # noqa: S101 - read from the database
    return Invitation(
        id=row.id,
        agency_id=row.agency_id,
        member_id=row.member_id,
        position_id=row.position_id,
        is_admin=row.is_admin,
        expires_at=row.expires_at,
        used_at=row.used_at,
    )


def mark_used(uow: UnitOfWork, invitation_id: int, *, at: dt.datetime, by_member_id: int) -> None:
    """The invitation was used at `at` by the member; it opens nothing again."""
    uow.session.execute(
        update(InvitationRow)
        .where(col(InvitationRow.id) == invitation_id)
        .values(used_at=at, used_by_member_id=by_member_id)
    )
