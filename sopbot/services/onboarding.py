"""Bringing people in: invitations (single-use, expiring deep links), binding a Telegram account
to a member, and each member's language."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sopbot.engine.errors import DomainError, NotAllowed, NotFound
from sopbot.services.commands import Clock, CommandRunner, Outcome, utc_now
from sopbot.services.procedures import ProcedureService
from sopbot.storage import agencies, holdings, invitations, members
from sopbot.storage.agencies import Position
from sopbot.storage.audit import record_change
from sopbot.storage.invitations import Invitation
from sopbot.storage.members import MemberView
from sopbot.storage.unit_of_work import UnitOfWork

__all__ = [
    "INVITATION_TTL",
    "AlreadyBound",
    "InvitationAccepted",
    "InvitationCreated",
    "InvitationInvalid",
    "MemberView",
    "OnboardingService",
    "WrongAccount",
    "new_invitation_token",
]

INVITATION_TTL = dt.timedelta(days=7)
# Telegram deep-link parameters: up to 64 characters of A-Z, a-z, 0-9, _ and -.
_TOKEN_BYTES = 24
# A member made from an invitation is named as their Telegram account is, within the column.
_NAME_LIMIT = 200
_NAMELESS = "Pegawai"


class InvitationInvalid(DomainError):
    """The link was used, has expired or never existed."""

    code = "invitation_invalid"


class AlreadyBound(DomainError):
    """This Telegram account already belongs to a member."""

    code = "already_bound"


class WrongAccount(DomainError):
    """The invitation is for a member whose Telegram username the admin recorded (a roster
    gave it), and the account accepting it has another username, or none."""

    code = "invitation_wrong_account"


@dataclass(frozen=True, slots=True)
class InvitationCreated:
    """The invitation was stored (its token is not: it is shown once, to whoever invites)."""

    invitation_id: int
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class InvitationAccepted:
    """The Telegram account is bound to this member now."""

    member_id: int


@dataclass(frozen=True, slots=True)
class _Joiner:
    """The person accepting an invitation, as their Telegram account shows them."""

    telegram_user_id: int
    full_name: str
    language: str
    username: str | None = None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def new_invitation_token() -> tuple[str, str]:
    """A new invitation token (shown once, to whoever passes it on) and the hash it is stored
    under."""
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    return token, _hash(token)


def _language_of(language_code: str | None) -> str:
    """The bot's language for a Telegram app's language: English for English, else Indonesian."""
    return "en" if (language_code or "").lower().startswith("en") else "id"


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

        def work(uow: UnitOfWork, now: dt.datetime) -> InvitationCreated:
            _check_invitation(uow, agency_id, position_id, member_id, created_by_id)
            expires = now + ttl
            invitation_id = invitations.add_invitation(
                uow,
                token_hash=_hash(token),
                agency_id=agency_id,
                member_id=member_id,
                position_id=position_id,
                is_admin=is_admin,
                created_by_id=created_by_id,
                created_at=now,
                expires_at=expires,
            )
            record_change(
                uow,
                at=now,
                agency_id=agency_id,
                actor_id=created_by_id,
                entity="invitation",
                entity_id=invitation_id,
                action="create",
                before=None,
                after="open",
                detail={"position_id": position_id, "member_id": member_id, "is_admin": is_admin},
            )
            return InvitationCreated(invitation_id, expires)

        created = self.runner.run(None, "invite", work, InvitationCreated).result
        return token, created.expires_at

    def accept(
        self,
        key: str | None,
        *,
        token: str,
        telegram_user_id: int,
        full_name: str,
        language_code: str | None,
        telegram_username: str | None = None,
    ) -> Outcome[InvitationAccepted]:
        """Bind the Telegram account to the invited member (or a new one in the position)."""
        joiner = _Joiner(
            telegram_user_id, full_name, _language_of(language_code), telegram_username
        )

        def work(uow: UnitOfWork, now: dt.datetime) -> InvitationAccepted:
            _refuse_a_bound_account(uow, joiner.telegram_user_id)
            invitation = _open_invitation(uow, token, now)
            _refuse_another_account(uow, invitation, joiner)
            member_id = _member_of(uow, invitation, joiner, now)
            # Work given to a member made before they had Telegram (by an admin, a roster)
            # never reached them: it is sent again below, once.
            unseen = self.procedures.live_work(uow, member_id)
            _take_up_the_position(uow, invitation, member_id, now)
            _use_up(uow, invitation, member_id, now)
            # Work that waited for this position (or this person) reaches them now: the
            # dispositions the reconcile sends, and those they never saw, each once.
            self.procedures.reconcile_agency(uow, invitation.agency_id, now, member_id)
            self.procedures.send_again(uow, member_id, unseen, now)
            return InvitationAccepted(member_id)

        return self.runner.run(key, "accept_invitation", work, InvitationAccepted)

    def set_language(self, member_id: int, language: str) -> None:
        """Remember the language a member chose."""
        with self.database.unit_of_work() as uow:
            members.set_language(uow, member_id, language)

    def member_for(self, telegram_user_id: int) -> MemberView | None:
        """The member behind a Telegram account, or None for a stranger."""
        with self.database.snapshot() as connection:
            return members.member_view_by_telegram_id(connection, telegram_user_id)

    def positions_of(self, member_id: int) -> list[str]:
        """The names of the positions a member holds now."""
        now = self.clock()
        with self.database.unit_of_work(read_only=True) as uow:
            return holdings.position_names_held(uow, member_id, now)

    def agency_positions(self, agency_id: int) -> list[Position]:
        """Every position of an agency, in the order they were added."""
        with self.database.unit_of_work(read_only=True) as uow:
            return agencies.positions_of_agency(uow, agency_id)


def _check_invitation(
    uow: UnitOfWork,
    agency_id: int,
    position_id: int | None,
    member_id: int | None,
    created_by_id: int | None,
) -> None:
    """Refuse an invitation to an agency, position or member that does not exist (or is
    another agency's), or one made by someone who is not an admin of the agency."""
    if agencies.agency(uow, agency_id) is None:
        raise NotFound("no such agency", what="agency", agency_id=agency_id)
    if created_by_id is not None:
        creator = members.member(uow, created_by_id)
        if creator is None or creator.agency_id != agency_id or not creator.is_admin:
            raise NotAllowed("only the agency's admins invite", member_id=created_by_id)
    if position_id is not None and agencies.position_in_agency(uow, agency_id, position_id) is None:
        raise NotFound("no such position in this agency", what="position", position_id=position_id)
    if member_id is not None:
        member = members.member(uow, member_id)
        if member is None or member.agency_id != agency_id or not member.active:
            raise NotFound("no such member in this agency", what="member", member_id=member_id)


def _refuse_a_bound_account(uow: UnitOfWork, telegram_user_id: int) -> None:
    """An account that belongs to a member already cannot take an invitation."""
    existing = members.member_by_telegram_id(uow, telegram_user_id)
    if existing is not None:
        raise AlreadyBound("account already bound", member_id=existing.id)


def _open_invitation(uow: UnitOfWork, token: str, now: dt.datetime) -> Invitation:
    """The invitation of the token, if it exists, is unused, not revoked and has not expired."""
    invitation = invitations.invitation_by_token_hash(uow, _hash(token))
    if (
        invitation is None
        or invitation.used_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= now
    ):
        raise InvitationInvalid("invitation not valid")
    _refuse_what_changed_since(uow, invitation)
    return invitation


def _refuse_what_changed_since(uow: UnitOfWork, invitation: Invitation) -> None:
    """An open invitation still opens nothing when what it was made for changed after it was
    made: its position was removed, its member deactivated, or the admin who made it was
    deactivated or lost the right (an operator's stays good while they are an operator)."""
    if (
        invitation.position_id is not None
        and agencies.position_in_agency(uow, invitation.agency_id, invitation.position_id) is None
    ):
        raise InvitationInvalid("the position was removed")
    if invitation.member_id is not None:
        invited = members.member(uow, invitation.member_id)
        if invited is None or not invited.active:
            raise InvitationInvalid("the invited member was deactivated")
    if invitation.created_by_id is not None:
        creator = members.member(uow, invitation.created_by_id)
        still_may = (
            creator is not None
            and creator.active
            and (
                creator.is_operator
                or (creator.is_admin and creator.agency_id == invitation.agency_id)
            )
        )
        if not still_may:
            raise InvitationInvalid("the admin who made it no longer may")


def _refuse_another_account(uow: UnitOfWork, invitation: Invitation, joiner: _Joiner) -> None:
    """An invitation for a member with a recorded Telegram username binds only the account
    with that username (in any letter case): a forwarded link opened by someone else is
    refused, and nothing changes."""
    if invitation.member_id is None:
        return
    invited = members.member(uow, invitation.member_id)
    expected = invited.telegram_username if invited is not None else None
    if expected and (joiner.username or "").casefold() != expected.casefold():
        raise WrongAccount("the invitation is for another account", member_id=invitation.member_id)


def _member_of(uow: UnitOfWork, invitation: Invitation, joiner: _Joiner, now: dt.datetime) -> int:
    """The member the account becomes: the invited one, bound now, or a new member named as
    the account is. Their language is the app's unless they chose one; an admin's invitation
    makes them an admin, an operator's an operator admin."""
    if invitation.member_id is None:
        member_id = members.add_member(
            uow,
            agency_id=invitation.agency_id,
            name=joiner.full_name.strip()[:_NAME_LIMIT] or _NAMELESS,
            telegram_user_id=joiner.telegram_user_id,
            is_admin=invitation.is_admin,
            language=joiner.language,
            created_at=now,
        )
    else:
        invited = members.member(uow, invitation.member_id)
        if invited is None or invited.telegram_user_id is not None:
            raise InvitationInvalid("the invited member is already bound")
        members.bind_account(
            uow,
            invited.id,
            telegram_user_id=joiner.telegram_user_id,
            language=invited.language or joiner.language,
            # The member's row says whether they administer: an admin right taken away before
            # they joined stays taken, whatever the invitation said when it was made.
            is_admin=invited.is_admin,
        )
        member_id = invited.id
    if invitation.is_operator:
        members.set_operator(uow, member_id, is_operator=True)
    return member_id


def _take_up_the_position(
    uow: UnitOfWork, invitation: Invitation, member_id: int, now: dt.datetime
) -> None:
    """The member holds the position the invitation was for, if any, from now."""
    if invitation.position_id is not None:
        holdings.add_holding(
            uow, member_id=member_id, position_id=invitation.position_id, valid_from=now
        )


def _use_up(uow: UnitOfWork, invitation: Invitation, member_id: int, now: dt.datetime) -> None:
    """The invitation is used (it opens nothing again), and the audit trail says by whom."""
    invitations.mark_used(uow, invitation.id, at=now, by_member_id=member_id)
    record_change(
        uow,
        at=now,
        agency_id=invitation.agency_id,
        actor_id=member_id,
        entity="invitation",
        entity_id=invitation.id,
        action="accept",
        before="open",
        after="used",
        detail={"member_id": member_id, "position_id": invitation.position_id},
    )


def new_token() -> tuple[str, str]:
    """A new invitation token (shown once, to whoever invites) and the hash that is stored."""
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    return token, _hash(token)


def revoke_audited(
    uow: UnitOfWork,
    now: dt.datetime,
    agency_id: int,
    actor_id: int | None,
    invitation_id: int,
    *,
    reason: str | None = None,
) -> None:
    """Revoke an invitation (its link opens nothing any more) and record who did, and why when
    it went with something else (a position removed, its maker deactivated)."""
    invitations.revoke(uow, invitation_id, at=now, by_member_id=actor_id)
    record_change(
        uow,
        at=now,
        agency_id=agency_id,
        actor_id=actor_id,
        entity="invitation",
        entity_id=invitation_id,
        action="revoke",
        before="open",
        after="revoked",
        detail={"reason": reason} if reason else None,
    )
