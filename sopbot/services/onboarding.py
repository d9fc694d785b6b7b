"""Bringing people in: invitations (single-use, expiring deep links), binding a Telegram account
to a member, and each member's language."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as select_core
from sqlmodel import col, select

from sopbot.engine.errors import DomainError, NotAllowed
from sopbot.services.commands import Clock, CommandRunner, Outcome, utc_now
from sopbot.services.procedures import ProcedureService
from sopbot.storage.audit import record_change
from sopbot.storage.models import (
    AgencyRow,
    HoldingRow,
    InvitationRow,
    MemberRow,
    PositionRow,
)
from sopbot.storage.organization_store import member_by_telegram_id
from sopbot.storage.prepared import PreparedQuery
from sopbot.storage.statements import table_of
from sopbot.storage.unit_of_work import UnitOfWork

INVITATION_TTL = dt.timedelta(days=7)
# Telegram deep-link parameters: up to 64 characters of A-Z, a-z, 0-9, _ and -.
_TOKEN_BYTES = 24


class InvitationInvalid(DomainError):
    """The link was used, has expired or never existed."""

    code = "invitation_invalid"


class AlreadyBound(DomainError):
    """This Telegram account already belongs to a member."""

    code = "already_bound"


@dataclass(frozen=True, slots=True)
class MemberView:
    """A member as the bot needs to know them on every update."""

    id: int
    name: str
    agency_id: int
    agency_key: str
    agency_name: str
    agency_timezone: str
    is_admin: bool
    language: str | None


_MEMBER = table_of(MemberRow)
_AGENCY = table_of(AgencyRow)
# Every update from a member starts with this (members_only): compiled once, read on the cursor.
_MEMBER_BY_TELEGRAM_ID = PreparedQuery(
    select_core(
        _MEMBER.c.id,
        _MEMBER.c.name,
        _AGENCY.c.id,
        _AGENCY.c.key,
        _AGENCY.c.name,
        _AGENCY.c.timezone,
        _MEMBER.c.is_admin,
        _MEMBER.c.language,
    )
    .join(_AGENCY, _AGENCY.c.id == _MEMBER.c.agency_id)
    .where(_MEMBER.c.telegram_user_id == bindparam("user_id"))
)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class OnboardingService:
    """Invitations and accounts."""

    def __init__(self, procedures: ProcedureService, *, clock: Clock = utc_now) -> None:
        self.procedures = procedures
        self.database = procedures.database
        self.runner = CommandRunner(procedures.database, clock)
        self.clock = clock

    def invite(
        self,
        *,
        agency_id: int,
        position_id: int | None = None,
        member_id: int | None = None,
        is_admin: bool = False,
        created_by_id: int | None = None,
        ttl: dt.timedelta = INVITATION_TTL,
    ) -> tuple[str, dt.datetime]:
        """A new invitation token (shown once, stored only as a hash) and when it expires."""
        token = secrets.token_urlsafe(_TOKEN_BYTES)

        def work(uow: UnitOfWork, now: dt.datetime) -> dict[str, Any]:
            session = uow.session
            if session.get(AgencyRow, agency_id) is None:
                raise NotAllowed("no such agency", agency_id=agency_id)
            if created_by_id is not None:
                creator = session.get(MemberRow, created_by_id)
                if creator is None or creator.agency_id != agency_id or not creator.is_admin:
                    raise NotAllowed("only the agency's admins invite", member_id=created_by_id)
            if position_id is not None:
                position = session.get(PositionRow, position_id)
                if position is None or position.agency_id != agency_id:
                    raise NotAllowed("no such position in this agency", position_id=position_id)
            if member_id is not None:
                member = session.get(MemberRow, member_id)
                if member is None or member.agency_id != agency_id:
                    raise NotAllowed("no such member in this agency", member_id=member_id)
            expires = now + ttl
            invitation = InvitationRow(
                token_hash=_hash(token),
                agency_id=agency_id,
                member_id=member_id,
                position_id=position_id,
                is_admin=is_admin,
                created_by_id=created_by_id,
                created_at=now,
                expires_at=expires,
            )
            session.add(invitation)
            session.flush()
            record_change(
                session,
                at=now,
                agency_id=agency_id,
                actor_id=created_by_id,
                entity="invitation",
                entity_id=invitation.id,
                action="create",
                before=None,
                after="open",
                detail={"position_id": position_id, "member_id": member_id, "is_admin": is_admin},
            )
            return {"expires_at": expires.isoformat()}

        outcome = self.runner.run(None, "invite", work, dict)
        return token, dt.datetime.fromisoformat(str(outcome.result["expires_at"]))

    def accept(
        self,
        key: str | None,
        *,
        token: str,
        telegram_user_id: int,
        full_name: str,
        language_code: str | None,
    ) -> Outcome[dict[str, Any]]:
        """Bind the Telegram account to the invited member (or a new one in the position)."""

        def work(uow: UnitOfWork, now: dt.datetime) -> dict[str, Any]:
            session = uow.session
            existing = member_by_telegram_id(session, telegram_user_id)
            if existing is not None:
                raise AlreadyBound("account already bound", member_id=existing.id)
            invitation = session.exec(
                select(InvitationRow).where(InvitationRow.token_hash == _hash(token))
            ).first()
            if invitation is None or invitation.used_at is not None or invitation.expires_at <= now:
                raise InvitationInvalid("invitation not valid")
            language = "en" if (language_code or "").lower().startswith("en") else "id"
            if invitation.member_id is not None:
                member = session.get(MemberRow, invitation.member_id)
                if member is None or member.telegram_user_id is not None:
                    raise InvitationInvalid("the invited member is already bound")
                member.telegram_user_id = telegram_user_id
                member.language = member.language or language
                member.is_admin = member.is_admin or invitation.is_admin
            else:
                member = MemberRow(
                    agency_id=invitation.agency_id,
                    name=full_name.strip()[:200] or "Pegawai",
                    telegram_user_id=telegram_user_id,
                    is_admin=invitation.is_admin,
                    language=language,
                    created_at=now,
                )
            session.add(member)
            session.flush()
            assert member.id is not None  # noqa: S101 - flushed
            if invitation.position_id is not None:
                session.add(
                    HoldingRow(
                        member_id=member.id, position_id=invitation.position_id, valid_from=now
                    )
                )
            invitation.used_at = now
            invitation.used_by_member_id = member.id
            session.add(invitation)
            record_change(
                session,
                at=now,
                agency_id=invitation.agency_id,
                actor_id=member.id,
                entity="invitation",
                entity_id=invitation.id,
                action="accept",
                before="open",
                after="used",
                detail={"member_id": member.id, "position_id": invitation.position_id},
            )
            session.flush()
            # Work that waited for this position (or this person) reaches them now.
            self.procedures.reconcile_agency(uow, invitation.agency_id, now, member.id)
            return {"member_id": member.id}

        return self.runner.run(key, "accept_invitation", work, dict)

    def set_language(self, member_id: int, language: str) -> None:
        """Remember the language a member chose."""
        with self.database.transaction() as session:
            member = session.get(MemberRow, member_id)
            if member is not None:
                member.language = language
                session.add(member)

    def member_for(self, telegram_user_id: int) -> MemberView | None:
        """The member behind a Telegram account, or None for a stranger."""
        with self.database.snapshot() as connection:
            row = _MEMBER_BY_TELEGRAM_ID.first(connection, {"user_id": telegram_user_id})
        return None if row is None else MemberView(*row)

    def positions_of(self, member_id: int) -> list[str]:
        """The names of the positions a member holds now."""
        now = self.clock()
        with self.database.reading() as session:
            rows = session.exec(
                select(PositionRow.name)
                .join(HoldingRow, col(HoldingRow.position_id) == col(PositionRow.id))
                .where(HoldingRow.member_id == member_id)
                .where(col(HoldingRow.valid_from) <= now)
                .where((col(HoldingRow.valid_to).is_(None)) | (col(HoldingRow.valid_to) > now))
            ).all()
            return list(rows)

    def agency_positions(self, agency_id: int) -> list[tuple[int, str]]:
        """Every position of an agency: (id, name)."""
        with self.database.reading() as session:
            rows = session.exec(
                select(PositionRow)
                .where(PositionRow.agency_id == agency_id)
                .order_by(col(PositionRow.id))
            ).all()
            return [(p.id, p.name) for p in rows if p.id is not None]
