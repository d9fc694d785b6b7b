"""The people of an agency as its admins manage them: who is who (positions, Plt/Plh, joined,
admin), mutasi, a second position, the admin right, deactivation, and the open invitations.

The same commands serve /pegawai in Telegram and `sopbot member` / `sopbot invite` on the
command line. Each runs in one transaction (`CommandRunner`), is audited with who did it, and is
authorised here, on the server: the actor (None: the command line) must be an active admin of
the agency, and every member, position and invitation the command names must be that agency's.
A deactivated member is only ever listed; nothing else is done to them. A change of who holds a
position re-routes the agency's open steps once, in the same transaction, so work follows the
position (`ProcedureService.reconcile_agency`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from sopbot.engine.errors import DomainError, NotAllowed, NotFound, UnknownMember
from sopbot.engine.organization import ActingKind
from sopbot.messaging.catalog import Catalog, Language, default_catalog
from sopbot.messaging.formatting import escape
from sopbot.services.commands import Clock, CommandKey, CommandRunner, Outcome, utc_now
from sopbot.services.onboarding import INVITATION_TTL, new_invitation_token, revoke_audited
from sopbot.services.operators import LastOperator
from sopbot.services.procedures import ProcedureService
from sopbot.storage import agencies, holdings, invitations, members, outbox
from sopbot.storage.agencies import Agency
from sopbot.storage.audit import record_change
from sopbot.storage.members import Member
from sopbot.storage.unit_of_work import UnitOfWork

Key = CommandKey | str | None


class MemberInactive(DomainError):
    """The member has been deactivated: they can be listed, nothing else."""

    code = "people_member_inactive"


class LastAdmin(DomainError):
    """The change would leave the agency without an active admin."""

    code = "people_last_admin"


class NotHeld(DomainError):
    """The member does not hold that position now."""

    code = "people_not_held"


class AlreadyHeld(DomainError):
    """The member holds that position already."""

    code = "people_already_held"


class SeveralHeld(DomainError):
    """The member holds several positions: which one they leave must be said."""

    code = "people_several_held"


class InvitationClosed(DomainError):
    """The invitation was used, revoked or has expired: there is nothing to revoke."""

    code = "people_invitation_closed"


class MemberJoined(DomainError):
    """The member has joined (their Telegram account is bound): they need no link."""

    code = "people_member_joined"


class OwnDeactivation(DomainError):
    """An admin does not deactivate themselves: another admin does."""

    code = "people_own_deactivation"


@dataclass(frozen=True, slots=True)
class PositionRef:
    """A position as a list of people names it."""

    id: int
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class ActingPost:
    """A Plt/Plh appointment a member holds, in office or still to come."""

    acting_id: int
    kind: ActingKind
    position: PositionRef
    valid_from: dt.datetime
    valid_to: dt.datetime | None  # exclusive; None: until ended
    for_member_name: str | None  # the absent holder; None: the post is vacant
    decree: str | None
    in_office: bool  # False: it begins later


@dataclass(frozen=True, slots=True)
class Person:
    """A member of the agency as an admin sees them."""

    id: int
    name: str
    nip: str | None
    positions: tuple[PositionRef, ...]
    acting: tuple[ActingPost, ...]
    joined: bool  # bound to a Telegram account
    is_admin: bool
    deactivated_at: dt.datetime | None

    @property
    def active(self) -> bool:
        """False once deactivated."""
        return self.deactivated_at is None


@dataclass(frozen=True, slots=True)
class Roster:
    """An agency and its people, in the order they were added."""

    agency: Agency
    people: tuple[Person, ...]

    def person(self, member_id: int) -> Person | None:
        """One of the people, by id."""
        return next((p for p in self.people if p.id == member_id), None)


@dataclass(frozen=True, slots=True)
class InvitationView:
    """An open invitation as an admin sees it: for which position and/or member, by whom."""

    id: int
    position: PositionRef | None
    member_name: str | None
    created_by: str | None  # None: made on the command line
    created_at: dt.datetime
    expires_at: dt.datetime
    is_admin: bool


@dataclass(frozen=True, slots=True)
class DeactivationPreview:
    """What deactivating a member would end, to be confirmed."""

    person: Person
    open_steps: int
    open_invitations: int


@dataclass(frozen=True, slots=True)
class MemberMoved:
    """Mutasi: the member left `left` (position ids), holds `position_id` now; open work was
    re-routed."""

    member_id: int
    position_id: int
    left: tuple[int, ...]
    instances_rerouted: int


@dataclass(frozen=True, slots=True)
class PositionTaken:
    """The member holds one more position now; open work was re-routed."""

    member_id: int
    position_id: int
    instances_rerouted: int


@dataclass(frozen=True, slots=True)
class PositionLeft:
    """The member left the position; open work was re-routed."""

    member_id: int
    position_id: int
    instances_rerouted: int


@dataclass(frozen=True, slots=True)
class AdminSet:
    """The member's admin right as it is now; `changed`: False when it was so already."""

    member_id: int
    is_admin: bool
    changed: bool


@dataclass(frozen=True, slots=True)
class MemberDeactivated:
    """The member was deactivated, and what ended with them."""

    member_id: int
    holdings_ended: int
    actings_ended: int
    invitations_revoked: int
    instances_rerouted: int
    told: bool  # a bound member was told through the outbox


@dataclass(frozen=True, slots=True)
class InvitationRevoked:
    """The invitation's link opens nothing any more."""

    invitation_id: int


@dataclass(frozen=True, slots=True)
class MemberRelinked:
    """What a relink stored: the member's earlier open invitations (`revoked` of them) were
    revoked and this one made (its token is not stored)."""

    member_id: int
    invitation_id: int
    expires_at: dt.datetime
    revoked: int


@dataclass(frozen=True, slots=True)
class MemberLink:
    """A new link for a member who has not joined, to pass on: the token is shown once.
    `renewed` when the command ran before under the same key (its link may never have been
    seen): that link was revoked in turn for this one."""

    token: str
    member_id: int
    member_name: str
    telegram_username: str | None  # the link binds only this account, when recorded
    invitation_id: int
    expires_at: dt.datetime
    revoked: int  # earlier links of the member that open nothing now
    renewed: bool = False


class PeopleService:
    """An agency's people, managed by its admins (actor_id) or the command line (None)."""

    def __init__(
        self,
        procedures: ProcedureService,
        *,
        clock: Clock = utc_now,
        catalog: Catalog | None = None,
    ) -> None:
        self.procedures = procedures
        self.database = procedures.database
        self.runner = CommandRunner(procedures.database, clock)
        self.clock = clock
        self.catalog = catalog or default_catalog()

    # -- reading -------------------------------------------------------------------------------

    def roster(
        self, agency_id: int, *, actor_id: int | None = None, include_deactivated: bool = False
    ) -> Roster:
        """The agency's people (only the active ones unless `include_deactivated`)."""
        now = self.clock()
        with self.database.unit_of_work(read_only=True) as uow:
            agency = _agency(uow, agency_id)
            _check_actor(uow, agency_id, actor_id)
            people = _people(uow, agency_id, now)
        if not include_deactivated:
            people = [p for p in people if p.active]
        return Roster(agency, tuple(people))

    def person(self, agency_id: int, member_id: int, *, actor_id: int | None = None) -> Person:
        """One active member of the agency (`UnknownMember` for another agency's,
        `MemberInactive` for a deactivated one)."""
        now = self.clock()
        with self.database.unit_of_work(read_only=True) as uow:
            _check_actor(uow, agency_id, actor_id)
            _active_member(uow, agency_id, member_id)
            people = _people(uow, agency_id, now)
        return next(p for p in people if p.id == member_id)

    def positions(self, agency_id: int, *, actor_id: int | None = None) -> list[PositionRef]:
        """The agency's positions that take people, in the order they were added."""
        with self.database.unit_of_work(read_only=True) as uow:
            _check_actor(uow, agency_id, actor_id)
            return [
                PositionRef(p.id, p.key, p.name)
                for p in agencies.positions_of_agency(uow, agency_id)
            ]

    def open_invitations(
        self, agency_id: int, *, actor_id: int | None = None
    ) -> list[InvitationView]:
        """The agency's invitations that can still be used, the soonest to expire first."""
        now = self.clock()
        with self.database.unit_of_work(read_only=True) as uow:
            _check_actor(uow, agency_id, actor_id)
            found = invitations.open_invitations_of_agency(uow, agency_id, now)
            positions = {p.id: p for p in agencies.positions_of_agency(uow, agency_id)}
            names = members.names_of(
                uow,
                [i.member_id for i in found if i.member_id is not None]
                + [i.created_by_id for i in found if i.created_by_id is not None],
            )
        return [
            InvitationView(
                id=invitation.id,
                position=_ref(positions.get(invitation.position_id))
                if invitation.position_id is not None
                else None,
                member_name=names.get(invitation.member_id)
                if invitation.member_id is not None
                else None,
                created_by=names.get(invitation.created_by_id)
                if invitation.created_by_id is not None
                else None,
                created_at=invitation.created_at,
                expires_at=invitation.expires_at,
                is_admin=invitation.is_admin,
            )
            for invitation in found
        ]

    def deactivation_preview(
        self, agency_id: int, member_id: int, *, actor_id: int | None = None
    ) -> DeactivationPreview:
        """What deactivating the member would end (refused as the deactivation would be)."""
        now = self.clock()
        with self.database.unit_of_work(read_only=True) as uow:
            _check_actor(uow, agency_id, actor_id)
            member = _active_member(uow, agency_id, member_id)
            _check_deactivation(uow, member, actor_id)
            people = _people(uow, agency_id, now)
            pending = invitations.open_invitations_of_member(uow, member_id, now)
        person = next(p for p in people if p.id == member_id)
        open_steps = len(self.procedures.inbox(member_id))
        return DeactivationPreview(person, open_steps, len(pending))

    # -- changing ------------------------------------------------------------------------------

    def move(
        self,
        key: Key,
        *,
        agency_id: int,
        member_id: int,
        to_position_id: int,
        from_position_ids: Sequence[int] | None = None,
        actor_id: int | None = None,
    ) -> Outcome[MemberMoved]:
        """Mutasi in one transaction: the member leaves `from_position_ids` (None: the one
        position they hold; `SeveralHeld` when they hold more) and holds the new position from
        now; the open steps of the old position go to its next holder (or wait, vacant), and
        the new position's open work reaches the member."""
        wanted = None if from_position_ids is None else tuple(dict.fromkeys(from_position_ids))

        def work(uow: UnitOfWork, now: dt.datetime) -> MemberMoved:
            _check_actor(uow, agency_id, actor_id)
            _active_member(uow, agency_id, member_id)
            target = _open_position(uow, agency_id, to_position_id)
            held = _held_ids(uow, agency_id, member_id, now)
            if target.id in held:
                raise AlreadyHeld(
                    "the member holds this position already",
                    member_id=member_id,
                    position_id=target.id,
                )
            if wanted is None:
                if len(held) > 1:
                    raise SeveralHeld(
                        "the member holds several positions: say which they leave",
                        member_id=member_id,
                    )
                leaving = tuple(held)
            else:
                leaving = wanted
            for position_id in leaving:
                _end_holdings(uow, agency_id, member_id, position_id, now, actor_id, "move")
            _add_holding(
                uow,
                now,
                agency_id,
                actor_id,
                member_id,
                target.id,
                "move",
                from_position_ids=list(leaving),
            )
            moved = self.procedures.reconcile_agency(uow, agency_id, now, actor_id)
            return MemberMoved(member_id, target.id, leaving, moved)

        return self.runner.run(key, "people_move", work, MemberMoved)

    def take_position(
        self,
        key: Key,
        *,
        agency_id: int,
        member_id: int,
        position_id: int,
        actor_id: int | None = None,
    ) -> Outcome[PositionTaken]:
        """The member holds one more position from now (keeping theirs); open work follows."""

        def work(uow: UnitOfWork, now: dt.datetime) -> PositionTaken:
            _check_actor(uow, agency_id, actor_id)
            _active_member(uow, agency_id, member_id)
            position = _open_position(uow, agency_id, position_id)
            if position.id in _held_ids(uow, agency_id, member_id, now):
                raise AlreadyHeld(
                    "the member holds this position already",
                    member_id=member_id,
                    position_id=position.id,
                )
            _add_holding(uow, now, agency_id, actor_id, member_id, position.id, "appoint")
            moved = self.procedures.reconcile_agency(uow, agency_id, now, actor_id)
            return PositionTaken(member_id, position.id, moved)

        return self.runner.run(key, "people_take_position", work, PositionTaken)

    def leave_position(
        self,
        key: Key,
        *,
        agency_id: int,
        member_id: int,
        position_id: int,
        actor_id: int | None = None,
    ) -> Outcome[PositionLeft]:
        """The member leaves one position now; its open steps go to its next holder (or
        wait, vacant)."""

        def work(uow: UnitOfWork, now: dt.datetime) -> PositionLeft:
            _check_actor(uow, agency_id, actor_id)
            _active_member(uow, agency_id, member_id)
            _end_holdings(uow, agency_id, member_id, position_id, now, actor_id, "end")
            moved = self.procedures.reconcile_agency(uow, agency_id, now, actor_id)
            return PositionLeft(member_id, position_id, moved)

        return self.runner.run(key, "people_leave_position", work, PositionLeft)

    def set_admin(
        self,
        key: Key,
        *,
        agency_id: int,
        member_id: int,
        is_admin: bool,
        actor_id: int | None = None,
    ) -> Outcome[AdminSet]:
        """Give the member the agency's admin right, or take it (never from the last admin)."""

        def work(uow: UnitOfWork, now: dt.datetime) -> AdminSet:
            members.lock_people(uow, agency_id)
            _check_actor(uow, agency_id, actor_id)
            member = _active_member(uow, agency_id, member_id)
            if member.is_admin == is_admin:
                return AdminSet(member_id, is_admin, changed=False)
            if not is_admin:
                _refuse_the_last_admin(uow, member)
            members.set_admin(uow, member_id, is_admin)
            if not is_admin:
                _revoke_what_they_made(uow, now, agency_id, actor_id, member_id)
            record_change(
                uow,
                at=now,
                agency_id=agency_id,
                actor_id=actor_id,
                entity="member",
                entity_id=member_id,
                action="admin_on" if is_admin else "admin_off",
                before="admin" if member.is_admin else "member",
                after="admin" if is_admin else "member",
            )
            return AdminSet(member_id, is_admin, changed=True)

        return self.runner.run(key, "people_set_admin", work, AdminSet)

    def deactivate(
        self, key: Key, *, agency_id: int, member_id: int, actor_id: int | None = None
    ) -> Outcome[MemberDeactivated]:
        """The member leaves the agency: their holdings and Plt/Plh appointments end, their
        open invitations are revoked, they are told (through the outbox, to their chat), their
        Telegram account is unbound and their open work goes to the next holder or waits,
        vacant. The row stays, for the record."""

        def work(uow: UnitOfWork, now: dt.datetime) -> MemberDeactivated:
            members.lock_people(uow, agency_id)
            _check_actor(uow, agency_id, actor_id)
            member = _active_member(uow, agency_id, member_id)
            _check_deactivation(uow, member, actor_id)
            ended = 0
            for holding_id, position_id in holdings.holdings_of_member(uow, member_id, now):
                holdings.end_holding(uow, holding_id, now)
                _audit_holding_end(
                    uow, now, agency_id, actor_id, holding_id, member_id, position_id
                )
                ended += 1
            actings = holdings.actings_of_member(uow, member_id, now)
            for acting in actings:
                holdings.close_acting(uow, acting.id, now)
                record_change(
                    uow,
                    at=now,
                    agency_id=agency_id,
                    actor_id=actor_id,
                    entity="acting",
                    entity_id=acting.id,
                    action="end",
                    before="acting",
                    after="ended",
                    detail={"member_id": member_id, "reason": "deactivated"},
                )
            revoked = invitations.open_invitations_of_member(uow, member_id, now)
            for invitation in revoked:
                revoke_audited(uow, now, agency_id, actor_id, invitation.id)
            _revoke_what_they_made(uow, now, agency_id, actor_id, member_id)
            agency = _agency(uow, agency_id)
            told = member.telegram_user_id is not None
            if member.telegram_user_id is not None:
                outbox.add_text(uow, member_id, self._farewell(member, agency), now)
            # Their open steps move (their messages lose the buttons) before they are unbound:
            # what the outbox holds for them is kept addressed to their chat.
            moved = self.procedures.reconcile_agency(
                uow, agency_id, now, actor_id, gone=frozenset({member_id})
            )
            if member.telegram_user_id is not None:
                outbox.pin_chat(uow, member_id, member.telegram_user_id)
            members.deactivate(uow, member_id, now)
            record_change(
                uow,
                at=now,
                agency_id=agency_id,
                actor_id=actor_id,
                entity="member",
                entity_id=member_id,
                action="deactivate",
                before="admin" if member.is_admin else "active",
                after="deactivated",
                detail={
                    "telegram_unbound": told,
                    "holdings_ended": ended,
                    "actings_ended": len(actings),
                    "invitations_revoked": len(revoked),
                },
            )
            return MemberDeactivated(member_id, ended, len(actings), len(revoked), moved, told)

        return self.runner.run(key, "people_deactivate", work, MemberDeactivated)

    def revoke_invitation(
        self, key: Key, *, agency_id: int, invitation_id: int, actor_id: int | None = None
    ) -> Outcome[InvitationRevoked]:
        """The invitation's link opens nothing any more (`InvitationClosed` when it was used,
        revoked or expired already)."""

        def work(uow: UnitOfWork, now: dt.datetime) -> InvitationRevoked:
            _check_actor(uow, agency_id, actor_id)
            invitation = invitations.invitation_in_agency(uow, agency_id, invitation_id)
            if invitation is None:
                raise NotFound(
                    "no such invitation in this agency",
                    what="invitation",
                    invitation_id=invitation_id,
                )
            if (
                invitation.used_at is not None
                or invitation.revoked_at is not None
                or invitation.expires_at <= now
            ):
                raise InvitationClosed("the invitation is not open", invitation_id=invitation_id)
            revoke_audited(uow, now, agency_id, actor_id, invitation_id)
            return InvitationRevoked(invitation_id)

        return self.runner.run(key, "people_revoke_invitation", work, InvitationRevoked)

    def relink(
        self, key: Key, *, agency_id: int, member_id: int, actor_id: int | None = None
    ) -> MemberLink:
        """A new single-use link for an active member who has not joined (made by a roster or
        an operator, whose link was lost, expired or never sent): their open invitations are
        revoked and one bound to them is made, as an admin if they are one, with no position
        (they hold theirs already). So each press leaves one link that opens: a second press
        revokes the first press's link. Run again under the same key (an update handled twice,
        whose link may never have been shown), the link it made is revoked for a new one."""

        def work(uow: UnitOfWork, now: dt.datetime, token_hash: str) -> MemberRelinked:
            # One relink of the agency at a time: two at once would each leave a link open.
            members.lock_people(uow, agency_id)
            _check_actor(uow, agency_id, actor_id)
            member = _active_member(uow, agency_id, member_id)
            if member.telegram_user_id is not None:
                raise MemberJoined("the member has joined already", member_id=member_id)
            earlier = invitations.open_invitations_of_member(uow, member_id, now)
            for invitation in earlier:
                revoke_audited(uow, now, agency_id, actor_id, invitation.id, reason="relinked")
            expires = now + INVITATION_TTL
            invitation_id = invitations.add_invitation(
                uow,
                token_hash=token_hash,
                agency_id=agency_id,
                member_id=member_id,
                position_id=None,
                is_admin=member.is_admin,
                created_by_id=actor_id,
                created_at=now,
                expires_at=expires,
                is_operator=member.is_operator,
            )
            record_change(
                uow,
                at=now,
                agency_id=agency_id,
                actor_id=actor_id,
                entity="invitation",
                entity_id=invitation_id,
                action="create",
                before=None,
                after="open",
                detail={
                    "member_id": member_id,
                    "is_admin": member.is_admin,
                    "reason": "relinked",
                    "revoked": [i.id for i in earlier],
                },
            )
            return MemberRelinked(member_id, invitation_id, expires, len(earlier))

        token, token_hash = new_invitation_token()
        outcome = self.runner.run(
            key, "people_relink", partial(work, token_hash=token_hash), MemberRelinked
        )
        relinked = outcome.result
        if outcome.replayed:
            # The first run's token was never kept: its link is revoked for a new one.
            token, token_hash = new_invitation_token()
            relinked = self.runner.run(
                None, "people_relink", partial(work, token_hash=token_hash), MemberRelinked
            ).result
        with self.database.unit_of_work(read_only=True) as uow:
            member = _active_member(uow, agency_id, member_id)
        return MemberLink(
            token,
            member_id,
            member.name,
            member.telegram_username,
            relinked.invitation_id,
            relinked.expires_at,
            relinked.revoked,
            renewed=outcome.replayed,
        )

    def _farewell(self, member: Member, agency: Agency) -> str:
        """What a deactivated member is told, in their language."""
        return self.catalog.text(
            Language.of(member.language), "people.farewell", agency=escape(agency.name)
        )


# -- checks ----------------------------------------------------------------------------------


def _agency(uow: UnitOfWork, agency_id: int) -> Agency:
    agency = agencies.agency(uow, agency_id)
    if agency is None:
        raise NotFound("no such agency", what="agency", agency_id=agency_id)
    return agency


def _check_actor(uow: UnitOfWork, agency_id: int, actor_id: int | None) -> None:
    """The actor (None: the command line) must be an active admin of the agency."""
    if actor_id is None:
        return
    actor = members.member(uow, actor_id)
    if actor is None or actor.agency_id != agency_id or not actor.is_admin or not actor.active:
        raise NotAllowed("only the agency's admins manage its people", member_id=actor_id)


def _active_member(uow: UnitOfWork, agency_id: int, member_id: int) -> Member:
    """The agency's member, who must be active (another agency's id reads as unknown)."""
    member = members.member(uow, member_id)
    if member is None or member.agency_id != agency_id:
        raise UnknownMember("no such member in this agency", member_id=member_id)
    if not member.active:
        raise MemberInactive("the member has been deactivated", member_id=member_id)
    return member


def _check_deactivation(uow: UnitOfWork, member: Member, actor_id: int | None) -> None:
    if actor_id == member.id:
        raise OwnDeactivation("an admin does not deactivate themselves", member_id=member.id)
    if member.is_admin:
        _refuse_the_last_admin(uow, member)
    if member.is_operator and [o.member.id for o in members.operators(uow)] == [member.id]:
        # Nobody could create an agency or name its admins any more.
        raise LastOperator("the last operator cannot be deactivated", member_id=member.id)


def _revoke_what_they_made(
    uow: UnitOfWork, now: dt.datetime, agency_id: int, actor_id: int | None, member_id: int
) -> None:
    """The invitations a member made go when they may no longer make them (deactivated, or
    their admin right taken): a link handed out by a former admin opens nothing."""
    for invitation_id in invitations.open_invitations_made_by(uow, member_id, now):
        revoke_audited(uow, now, agency_id, actor_id, invitation_id, reason="maker_left")


def _refuse_the_last_admin(uow: UnitOfWork, member: Member) -> None:
    """An agency keeps an admin, and one who has joined: an admin named but never joined (whose
    link may never be used) does not count when the member is the last who has."""
    admins = members.active_admins(uow, member.agency_id)
    others = {member_id: joined for member_id, joined in admins.items() if member_id != member.id}
    if not others:
        raise LastAdmin("the agency would have no admin", member_id=member.id)
    if member.telegram_user_id is not None and not any(others.values()):
        raise LastAdmin("the agency would have no admin who has joined", member_id=member.id)


def _open_position(uow: UnitOfWork, agency_id: int, position_id: int) -> agencies.Position:
    """The agency's position, which must take people (not removed)."""
    for position in agencies.positions_of_agency(uow, agency_id):
        if position.id == position_id:
            return position
    raise NotFound("no such position in this agency", what="position", position_id=position_id)


def _held_ids(uow: UnitOfWork, agency_id: int, member_id: int, now: dt.datetime) -> list[int]:
    held = holdings.positions_held_by_members(uow, agency_id, now).get(member_id, [])
    return list(dict.fromkeys(h.position_id for h in held))


def _add_holding(
    uow: UnitOfWork,
    now: dt.datetime,
    agency_id: int,
    actor_id: int | None,
    member_id: int,
    position_id: int,
    action: str,
    **detail: object,
) -> None:
    """The member holds the position from now, audited as `action` (with `detail` added to the
    member's and the position's ids)."""
    holding_id = holdings.add_holding(
        uow, member_id=member_id, position_id=position_id, valid_from=now
    )
    record_change(
        uow,
        at=now,
        agency_id=agency_id,
        actor_id=actor_id,
        entity="holding",
        entity_id=holding_id,
        action=action,
        before=None,
        after="holding",
        detail={"member_id": member_id, "position_id": position_id, **detail},
    )


def _end_holdings(
    uow: UnitOfWork,
    agency_id: int,
    member_id: int,
    position_id: int,
    now: dt.datetime,
    actor_id: int | None,
    action: str,
) -> None:
    """End the member's holdings of the position (`NotHeld` when there is none)."""
    held = holdings.open_holdings(uow, member_id, position_id)
    if agencies.position_in_agency(uow, agency_id, position_id) is None or not held:
        raise NotHeld(
            "the member does not hold this position", member_id=member_id, position_id=position_id
        )
    for holding_id in held:
        holdings.end_holding(uow, holding_id, now)
        _audit_holding_end(
            uow, now, agency_id, actor_id, holding_id, member_id, position_id, action
        )


def _audit_holding_end(
    uow: UnitOfWork,
    now: dt.datetime,
    agency_id: int,
    actor_id: int | None,
    holding_id: int,
    member_id: int,
    position_id: int,
    action: str = "end",
) -> None:
    record_change(
        uow,
        at=now,
        agency_id=agency_id,
        actor_id=actor_id,
        entity="holding",
        entity_id=holding_id,
        action=action,
        before="holding",
        after="ended",
        detail={"member_id": member_id, "position_id": position_id},
    )


# -- views -----------------------------------------------------------------------------------


def _people(uow: UnitOfWork, agency_id: int, now: dt.datetime) -> list[Person]:
    """Every member of the agency with their positions and acting posts at `now`."""
    everyone = members.members_of_agency(uow, agency_id)
    held = holdings.positions_held_by_members(uow, agency_id, now)
    positions = {p.id: p for p in agencies.positions_of_agency(uow, agency_id)}
    names = {m.id: m.name for m in everyone}
    acting: dict[int, list[ActingPost]] = {}
    for stored in holdings.actings_in_agency(uow, agency_id, ending_after=now):
        position = positions.get(stored.position_id)
        if position is None:
            continue
        acting.setdefault(stored.member_id, []).append(
            ActingPost(
                acting_id=stored.id,
                kind=stored.kind,
                position=PositionRef(position.id, position.key, position.name),
                valid_from=stored.valid_from,
                valid_to=stored.valid_to,
                for_member_name=names.get(stored.for_member_id)
                if stored.for_member_id is not None
                else None,
                decree=stored.decree,
                in_office=stored.valid_from <= now,
            )
        )
    return [
        Person(
            id=member.id,
            name=member.name,
            nip=member.nip,
            positions=tuple(
                PositionRef(h.position_id, h.key, h.name) for h in held.get(member.id, [])
            ),
            acting=tuple(acting.get(member.id, [])),
            joined=member.telegram_user_id is not None,
            is_admin=member.is_admin,
            deactivated_at=member.deactivated_at,
        )
        for member in everyone
    ]


def _ref(position: agencies.Position | None) -> PositionRef | None:
    return None if position is None else PositionRef(position.id, position.key, position.name)
