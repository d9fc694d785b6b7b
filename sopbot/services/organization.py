"""Setting up an agency's people: positions, members, holdings (mutasi), Plt/Plh, role mappings.

Every change is audited, and a change of who acts for a position re-routes the open steps of the
agency's running procedures in the same transaction, so work follows the position.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sopbot.engine.errors import DomainError, NotAllowed, NotFound, UnknownMember
from sopbot.engine.organization import ActingKind
from sopbot.engine.working_calendar import DayRule
from sopbot.messaging.acting_notices import TermChange, TermTexts
from sopbot.services.acting_terms import record_term, tell
from sopbot.services.commands import Clock, CommandKey, CommandRunner, Outcome, utc_now
from sopbot.services.procedures import ProcedureService, Reconciled
from sopbot.storage import acting_terms, agencies, holdings, members
from sopbot.storage.audit import record_change
from sopbot.storage.holdings import StoredActing
from sopbot.storage.members import Member
from sopbot.storage.models import ANY_SOP
from sopbot.storage.unit_of_work import UnitOfWork

DECREE_LIMIT = 200  # characters of a Surat Perintah's number (its column)


class InvalidSetup(DomainError):
    """An organisational change that cannot be made as asked."""

    code = "invalid_setup"


@dataclass(frozen=True, slots=True)
class AgencyCreated:
    """The agency was created."""

    agency_id: int


@dataclass(frozen=True, slots=True)
class PositionAdded:
    """The position was added to its agency."""

    position_id: int


@dataclass(frozen=True, slots=True)
class MemberAdded:
    """The person was added to their agency."""

    member_id: int


@dataclass(frozen=True, slots=True)
class RoleMapped:
    """The position serves the role now; open work was re-routed."""

    mapping_id: int
    instances_rerouted: int


@dataclass(frozen=True, slots=True)
class HoldingStarted:
    """The member holds the position (`holding_id`); open work was re-routed."""

    holding_id: int
    instances_rerouted: int


@dataclass(frozen=True, slots=True)
class HoldingEnded:
    """The member left the position; open work was re-routed."""

    instances_rerouted: int


@dataclass(frozen=True, slots=True)
class ActingAppointed:
    """The Plt/Plh acts for the position (`acting_id`); open work was re-routed."""

    acting_id: int
    instances_rerouted: int


@dataclass(frozen=True, slots=True)
class ActingEnded:
    """The Plt/Plh's appointment ended; open work was re-routed."""

    instances_rerouted: int


class OrganizationService:
    """Agency set-up commands; those that change who acts for a position re-route open work."""

    def __init__(self, procedures: ProcedureService, *, clock: Clock = utc_now) -> None:
        self.procedures = procedures
        self.runner = CommandRunner(procedures.database, clock)
        self.texts = TermTexts()

    def create_agency(
        self, *, key: str, name: str, timezone: str, day_rule: DayRule = DayRule.WORKING_TIME
    ) -> int:
        """A new agency (its id); `key` is its folder under sop_defs/, `day_rule` what its
        SOPs' "hari" means."""
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidSetup("unknown time zone", timezone=timezone) from exc

        def work(uow: UnitOfWork, now: dt.datetime) -> AgencyCreated:
            if agencies.agency_by_key(uow, key) is not None:
                raise InvalidSetup("an agency with this key exists", key=key)
            agency_id = agencies.add_agency(
                uow, key=key, name=name, timezone=timezone, created_at=now, day_rule=day_rule
            )
            _created(
                uow,
                now,
                agency_id,
                "agency",
                agency_id,
                key=key,
                name=name,
                timezone=timezone,
                day_rule=day_rule.value,
            )
            return AgencyCreated(agency_id)

        return self.runner.run(None, "create_agency", work, AgencyCreated).result.agency_id

    def add_position(self, *, agency_id: int, key: str, name: str) -> int:
        """A position (jabatan) of the agency; its id."""

        def work(uow: UnitOfWork, now: dt.datetime) -> PositionAdded:
            position_id = agencies.add_position(uow, agency_id=agency_id, key=key, name=name)
            _created(uow, now, agency_id, "position", position_id, key=key, name=name)
            return PositionAdded(position_id)

        return self.runner.run(None, "add_position", work, PositionAdded).result.position_id

    def add_member(
        self,
        *,
        agency_id: int,
        name: str,
        nip: str | None = None,
        telegram_user_id: int | None = None,
        is_admin: bool = False,
    ) -> int:
        """A person of the agency (bound to Telegram now or later, by invitation); their id."""

        def work(uow: UnitOfWork, now: dt.datetime) -> MemberAdded:
            member_id = members.add_member(
                uow,
                agency_id=agency_id,
                name=name,
                nip=nip,
                telegram_user_id=telegram_user_id,
                is_admin=is_admin,
                created_at=now,
            )
            _created(
                uow, now, agency_id, "member", member_id, name=name, nip=nip, is_admin=is_admin
            )
            return MemberAdded(member_id)

        return self.runner.run(None, "add_member", work, MemberAdded).result.member_id

    def map_role(
        self, *, agency_id: int, role_key: str, position_id: int, sop_id: str = ANY_SOP
    ) -> RoleMapped:
        """Let a position serve an SOP role (for one SOP, or for all SOPs of the agency)."""

        def work(uow: UnitOfWork, now: dt.datetime) -> RoleMapped:
            _position_of(uow, agency_id, position_id)
            mapping_id = add_role_mapping(uow, now, agency_id, None, sop_id, role_key, position_id)
            moved = self.procedures.reconcile_agency(uow, agency_id, now, None)
            return RoleMapped(mapping_id, moved)

        return self.runner.run(None, "map_role", work, RoleMapped).result

    def appoint(
        self,
        key: str | None,
        *,
        member_id: int,
        position_id: int,
        actor_id: int | None = None,
        since: dt.datetime | None = None,
    ) -> Outcome[HoldingStarted]:
        """The member holds the position from now (or `since`); open work is re-routed."""

        def work(uow: UnitOfWork, now: dt.datetime) -> HoldingStarted:
            member = _member(uow, member_id)
            _position_of(uow, member.agency_id, position_id)
            holding_id = holdings.add_holding(
                uow, member_id=member_id, position_id=position_id, valid_from=since or now
            )
            record_change(
                uow,
                at=now,
                agency_id=member.agency_id,
                actor_id=actor_id,
                entity="holding",
                entity_id=holding_id,
                action="appoint",
                before=None,
                after="holding",
                detail={"member_id": member_id, "position_id": position_id},
            )
            moved = self.procedures.reconcile_agency(uow, member.agency_id, now, actor_id)
            return HoldingStarted(holding_id, moved)

        return self.runner.run(key, "appoint", work, HoldingStarted)

    def end_holding(
        self,
        key: str | None,
        *,
        member_id: int,
        position_id: int,
        actor_id: int | None = None,
    ) -> Outcome[HoldingEnded]:
        """The member leaves the position (mutasi); their open steps go to the new holder."""

        def work(uow: UnitOfWork, now: dt.datetime) -> HoldingEnded:
            member = _member(uow, member_id)
            held = holdings.open_holdings(uow, member_id, position_id)
            if not held:
                raise InvalidSetup(
                    "the member does not hold this position",
                    member_id=member_id,
                    position_id=position_id,
                )
            for holding_id in held:
                holdings.end_holding(uow, holding_id, now)
                record_change(
                    uow,
                    at=now,
                    agency_id=member.agency_id,
                    actor_id=actor_id,
                    entity="holding",
                    entity_id=holding_id,
                    action="end",
                    before="holding",
                    after="ended",
                    detail={"member_id": member_id, "position_id": position_id},
                )
            moved = self.procedures.reconcile_agency(uow, member.agency_id, now, actor_id)
            return HoldingEnded(moved)

        return self.runner.run(key, "end_holding", work, HoldingEnded)

    def appoint_acting(  # noqa: PLR0913 - the term's fields, keyword-only
        self,
        key: CommandKey | str | None,
        *,
        member_id: int,
        position_id: int,
        kind: ActingKind,
        for_member_id: int | None,
        valid_from: dt.datetime | None = None,
        valid_to: dt.datetime | None = None,
        decree: str | None = None,
        actor_id: int | None = None,
    ) -> Outcome[ActingAppointed]:
        """A Plt/Plh acts for the position (for an absent holder, or the vacant post) from
        `valid_from` (default: now) until `valid_to` (None: until ended). A term that starts
        now re-routes open work at once; one set in advance moves nothing until it starts
        (the term sweep, `services.acting_terms`). With `actor_id` (an admin in Telegram), the
        actor must be an admin of the position's agency."""

        def work(uow: UnitOfWork, now: dt.datetime) -> ActingAppointed:
            return self.appoint_acting_in(
                uow,
                now,
                member_id=member_id,
                position_id=position_id,
                kind=kind,
                for_member_id=for_member_id,
                valid_from=valid_from,
                valid_to=valid_to,
                decree=decree,
                actor_id=actor_id,
            )

        return self.runner.run(key, "appoint_acting", work, ActingAppointed)

    def appoint_acting_in(  # noqa: PLR0913 - the term's fields, keyword-only
        self,
        uow: UnitOfWork,
        now: dt.datetime,
        *,
        member_id: int,
        position_id: int,
        kind: ActingKind,
        for_member_id: int | None,
        valid_from: dt.datetime | None,
        valid_to: dt.datetime | None,
        decree: str | None,
        actor_id: int | None,
    ) -> ActingAppointed:
        """`appoint_acting` inside the caller's unit of work (the /plt flow clears its question
        in the same transaction)."""
        member = _member(uow, member_id)
        _position_of(uow, member.agency_id, position_id)
        _check_admin(uow, actor_id, member.agency_id)
        _check_term(uow, member, for_member_id, decree)
        start = valid_from or now
        if valid_to is not None and valid_to <= now:
            raise InvalidSetup("the appointment would end in the past", problem="end_passed")
        if valid_to is not None and valid_to <= start:
            raise InvalidSetup(
                "the appointment must end after it starts", problem="end_not_after_start"
            )
        acting_id = holdings.add_acting(
            uow,
            member_id=member_id,
            position_id=position_id,
            kind=kind,
            for_member_id=for_member_id,
            valid_from=start,
            valid_to=valid_to,
            decree=decree,
        )
        record_change(
            uow,
            at=now,
            agency_id=member.agency_id,
            actor_id=actor_id,
            entity="acting",
            entity_id=acting_id,
            action="appoint",
            before=None,
            after="acting" if start <= now else "scheduled",
            detail={
                "member_id": member_id,
                "kind": kind.value,
                "position_id": position_id,
                "for_member_id": for_member_id,
                "valid_from": start.isoformat(),
                "valid_to": valid_to.isoformat() if valid_to else None,
                "decree": decree,
            },
        )
        reconciled = Reconciled(0)
        if start <= now:  # applied now; a later start is the sweep's
            acting_terms.mark_applied(uow, acting_id, start_at=now)
            reconciled = self.procedures.reconcile_agency_moves(
                uow, member.agency_id, now, actor_id
            )
        term = _acting(uow, acting_id)
        change = TermChange.APPOINTED_NOW if start <= now else TermChange.APPOINTED
        tell(uow, self.texts, term, change, reconciled.moves, now)
        return ActingAppointed(acting_id, reconciled.instances)

    def end_acting(
        self,
        key: CommandKey | str | None,
        *,
        acting_id: int,
        actor_id: int | None = None,
        agency_id: int | None = None,
    ) -> Outcome[ActingEnded]:
        """The Plt/Plh's term ends now; open work goes back to the holder (or waits for an
        official, when the post is vacant). A term that had not started is called off. With
        `agency_id`, the term must be that agency's; with `actor_id`, the actor must be one of
        its admins."""

        def work(uow: UnitOfWork, now: dt.datetime) -> ActingEnded:
            return self.end_acting_in(
                uow, now, acting_id=acting_id, actor_id=actor_id, agency_id=agency_id
            )

        return self.runner.run(key, "end_acting", work, ActingEnded)

    def end_acting_in(
        self,
        uow: UnitOfWork,
        now: dt.datetime,
        *,
        acting_id: int,
        actor_id: int | None,
        agency_id: int | None,
    ) -> ActingEnded:
        """`end_acting` inside the caller's unit of work."""
        acting = holdings.acting(uow, acting_id)
        member = _member(uow, acting.member_id) if acting is not None else None
        if acting is None or member is None or agency_id not in (None, member.agency_id):
            raise NotFound(
                "no such acting appointment", what="acting_appointment", acting_id=acting_id
            )
        _check_admin(uow, actor_id, member.agency_id)
        if acting.valid_to is not None and acting.valid_to <= now:
            raise InvalidSetup(
                "the appointment has ended already", acting_id=acting_id, problem="ended"
            )
        before_start = acting.valid_from > now
        # Both boundaries count as applied now: the sweep must not apply this end again, nor a
        # start that never was or that it had not reached yet.
        holdings.close_acting(uow, acting_id, now)
        reconciled = Reconciled(0)
        if not before_start:
            reconciled = self.procedures.reconcile_agency_moves(
                uow, member.agency_id, now, actor_id
            )
        ended = replace(acting, valid_to=now)
        record_term(uow, member.agency_id, ended, "end", actor_id, now, reconciled.moves)
        change = TermChange.CALLED_OFF if before_start else TermChange.ENDED_EARLY
        tell(uow, self.texts, ended, change, reconciled.moves, now)
        return ActingEnded(reconciled.instances)


def add_role_mapping(
    uow: UnitOfWork,
    now: dt.datetime,
    agency_id: int,
    actor_id: int | None,
    sop_id: str,
    role_key: str,
    position_id: int,
) -> int:
    """Let the position serve the role (for `sop_id`, or every SOP: ANY_SOP) and record who
    did; the mapping's id. Open work is re-routed by the caller, once per command."""
    mapping_id = agencies.add_role_mapping(
        uow, agency_id=agency_id, sop_id=sop_id, role_key=role_key, position_id=position_id
    )
    record_change(
        uow,
        at=now,
        agency_id=agency_id,
        actor_id=actor_id,
        entity="role_mapping",
        entity_id=mapping_id,
        action="map",
        before=None,
        after="mapped",
        detail={"sop_id": sop_id, "role_key": role_key, "position_id": position_id},
    )
    return mapping_id


def _created(
    uow: UnitOfWork,
    now: dt.datetime,
    agency_id: int | None,
    entity: str,
    entity_id: object,
    **detail: object,
) -> None:
    """The audit row of something set up by an administrator."""
    record_change(
        uow,
        at=now,
        agency_id=agency_id,
        actor_id=None,
        entity=entity,
        entity_id=entity_id,
        action="create",
        before=None,
        after="active",
        detail=detail,
    )


def _acting(uow: UnitOfWork, acting_id: int) -> StoredActing:
    """A term stored in this transaction."""
    term = holdings.acting(uow, acting_id)
    assert term is not None  # noqa: S101 - stored by the caller
    return term


def _check_admin(uow: UnitOfWork, actor_id: int | None, agency_id: int) -> None:
    """An admin acting from Telegram must be an admin of the agency concerned (a command
    from the server's command line has no actor and needs none)."""
    if actor_id is None:
        return
    actor = members.member(uow, actor_id)
    if (
        actor is None
        or actor.agency_id != agency_id
        or not actor.is_admin
        or actor.deactivated_at is not None
    ):
        raise NotAllowed("only the agency's admins appoint and end Plt/Plh", member_id=actor_id)


def _check_term(
    uow: UnitOfWork, member: Member, for_member_id: int | None, decree: str | None
) -> None:
    """The acting official is an active member; the absent holder, if any, is another member
    of the same agency; the decree's number fits its column."""
    if member.deactivated_at is not None:
        raise UnknownMember("the member was deactivated", member_id=member.id)
    if for_member_id is not None:
        if for_member_id == member.id:
            raise InvalidSetup("a member cannot act for themselves", problem="acts_for_self")
        absent = members.member(uow, for_member_id)
        if absent is None or absent.agency_id != member.agency_id or not absent.active:
            raise UnknownMember("no such member in this agency", member_id=for_member_id)
    if decree is not None and len(decree) > DECREE_LIMIT:
        raise InvalidSetup("the decree number is too long", problem="decree_too_long")


def _member(uow: UnitOfWork, member_id: int) -> Member:
    """The member, or `UnknownMember` (a mistyped id)."""
    member = members.member(uow, member_id)
    if member is None:
        raise UnknownMember("no such member", member_id=member_id)
    return member


def _position_of(uow: UnitOfWork, agency_id: int, position_id: int) -> agencies.Position:
    """The agency's position, or `NotFound` (a mistyped id, or another agency's position)."""
    position = agencies.position_in_agency(uow, agency_id, position_id)
    if position is None:
        raise NotFound("no such position in this agency", what="position", position_id=position_id)
    return position
