"""Operator admins: the people (e.g. at the city's Diskominfo) who create agencies and name
their first admins, from the server's command line or in Telegram (/instansi).

An operator is a member of their own office's agency (an OPD too) with `is_operator`; the
server's `sopbot operator add` makes the first one, home agency and all, in one transaction.
Every command run for an operator checks, in its transaction, that the caller is an operator
still, and that the agency and the invitation it names exist; what the server runs
(`operator_id` None) is trusted as the server is.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sopbot.engine.agency_keys import is_agency_key
from sopbot.engine.errors import DomainError, NotFound
from sopbot.engine.working_calendar import DayRule
from sopbot.services.commands import Clock, CommandKey, CommandRunner, Outcome, utc_now
from sopbot.services.onboarding import INVITATION_TTL, new_token
from sopbot.services.organization import InvalidSetup
from sopbot.services.procedures import ProcedureService
from sopbot.storage import agencies, agency_overview, invitations, members
from sopbot.storage.agency_overview import AgencySummary
from sopbot.storage.audit import record_change
from sopbot.storage.invitations import OpenAdminInvitation
from sopbot.storage.members import Member, Operator
from sopbot.storage.unit_of_work import UnitOfWork

AGENCIES_PER_PAGE = 8
NAME_LIMIT = 200  # an agency's or a person's name: the columns' length


class NotOperator(DomainError):
    """Only an operator admin may do this (or the caller is one no longer)."""

    code = "not_operator"


class LastOperator(DomainError):
    """The last operator cannot be removed: nobody could create an agency any more."""

    code = "last_operator"


@dataclass(frozen=True, slots=True)
class OperatorAdded:
    """The operator was added (to their home agency, created now when `agency_created`);
    their invitation expires at `expires_at`."""

    member_id: int
    agency_id: int
    agency_created: bool
    invitation_id: int
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class OperatorRemoved:
    """The member is no longer an operator; their open invitations were revoked."""

    member_id: int
    invitations_revoked: int


@dataclass(frozen=True, slots=True)
class AgencyPage:
    """A page of the agencies (0-based `page` of `pages`), `total` in all."""

    agencies: tuple[AgencySummary, ...]
    page: int
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class AgencyDetail:
    """One agency as an operator sees it, with its admin invitations still open."""

    summary: AgencySummary
    invitations: tuple[OpenAdminInvitation, ...]


@dataclass(frozen=True, slots=True)
class AdminNamed:
    """The admin member was added to the agency with an invitation (stored with the command:
    the token itself never is)."""

    member_id: int
    agency_id: int
    invitation_id: int
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class AdminLink:
    """The link an operator passes on to the admin they named. `renewed` when the command ran
    before (its link may never have been seen): the earlier link was revoked for this one."""

    token: str
    member_id: int
    member_name: str
    agency_id: int
    agency_name: str
    agency_timezone: str
    expires_at: dt.datetime
    renewed: bool = False


@dataclass(frozen=True, slots=True)
class InvitationRevoked:
    """The admin invitation was revoked: its link opens nothing any more."""

    invitation_id: int
    agency_id: int
    member_name: str | None


@dataclass(frozen=True, slots=True)
class _Relinked:
    """A named admin's earlier links were revoked and this one made."""

    invitation_id: int
    expires_at: dt.datetime


class OperatorService:
    """Operators, the agencies they oversee, and the first admins they name."""

    def __init__(self, procedures: ProcedureService, *, clock: Clock = utc_now) -> None:
        self.procedures = procedures
        self.database = procedures.database
        self.runner = CommandRunner(procedures.database, clock)
        self.clock = clock

    # -- operators (the server's command line) --------------------------------------------

    def add_operator(
        self,
        *,
        name: str,
        agency_key: str,
        agency_name: str | None,
        timezone: str | None,
        day_rule: DayRule = DayRule.WORKING_TIME,
    ) -> tuple[str, OperatorAdded]:
        """An operator admin of the agency `agency_key` (created first when there is none:
        then `agency_name` and `timezone` are needed), with their single-use link."""
        token, token_hash = new_token()
        person = _checked_name(name, "name")

        def work(uow: UnitOfWork, now: dt.datetime) -> OperatorAdded:
            agency = agencies.agency_by_key(uow, agency_key)
            created = agency is None
            if agency is None:
                if not agency_name or not timezone:
                    raise InvalidSetup("a new agency needs its name and time zone", key=agency_key)
                agency_id = create_agency_in(
                    uow,
                    now,
                    key=agency_key,
                    name=agency_name,
                    timezone=timezone,
                    day_rule=day_rule,
                    actor_id=None,
                )
            else:
                agency_id = agency.id
            member_id = members.add_member(
                uow, agency_id=agency_id, name=person, is_admin=True, created_at=now
            )
            members.set_operator(uow, member_id, is_operator=True)
            _audit(uow, now, agency_id, None, "member", member_id, "create", None, "operator")
            invitation_id, expires = _admin_invitation(
                uow, now, token_hash, agency_id, member_id, None, is_operator=True
            )
            return OperatorAdded(member_id, agency_id, created, invitation_id, expires)

        return token, self.runner.run(None, "add_operator", work, OperatorAdded).result

    def operators(self) -> list[Operator]:
        """The operator admins, in the order they were added."""
        with self.database.unit_of_work(read_only=True) as uow:
            return members.operators(uow)

    def remove_operator(self, member_id: int) -> OperatorRemoved:
        """The member is an operator no more (they stay a member and an admin of their
        agency); refused for the last operator."""

        def work(uow: UnitOfWork, now: dt.datetime) -> OperatorRemoved:
            current = members.operators(uow)
            found = next((o.member for o in current if o.member.id == member_id), None)
            if found is None:
                raise NotFound("no such operator", what="operator", member_id=member_id)
            if len(current) == 1:
                raise LastOperator("the last operator cannot be removed", member_id=member_id)
            members.set_operator(uow, member_id, is_operator=False)
            _audit(
                uow, now, found.agency_id, None, "member", member_id, "update", "operator", "admin"
            )
            revoked = [i.id for i in invitations.open_invitations_of_member(uow, member_id, now)]
            for invitation_id in revoked:
                invitations.revoke(uow, invitation_id, at=now, by_member_id=None)
                _audit(
                    uow,
                    now,
                    found.agency_id,
                    None,
                    "invitation",
                    invitation_id,
                    "revoke",
                    "open",
                    "revoked",
                )
            return OperatorRemoved(member_id, len(revoked))

        return self.runner.run(None, "remove_operator", work, OperatorRemoved).result

    # -- agencies (an operator in Telegram, or the server) ---------------------------------

    def agencies_page(self, operator_id: int | None, page: int) -> AgencyPage:
        """A page of the agencies (a page past the last shows the last)."""
        with self.database.unit_of_work(read_only=True) as uow:
            operator_of(uow, operator_id)
            total = agency_overview.agency_count(uow)
            pages = max(1, math.ceil(total / AGENCIES_PER_PAGE))
            page = min(max(page, 0), pages - 1)
            found = agency_overview.agency_summaries(
                uow, offset=page * AGENCIES_PER_PAGE, limit=AGENCIES_PER_PAGE
            )
        return AgencyPage(tuple(found), page, pages, total)

    def agency_detail(self, operator_id: int | None, agency_id: int) -> AgencyDetail:
        """One agency, its admins and its open admin invitations; `NotFound` for none."""
        with self.database.unit_of_work(read_only=True) as uow:
            operator_of(uow, operator_id)
            return _detail(uow, agency_id, self.clock())

    def check_agency(self, operator_id: int | None, agency_id: int) -> AgencySummary:
        """The agency an operator's button names, checked (the caller is an operator, the
        agency exists)."""
        return self.agency_detail(operator_id, agency_id).summary

    def name_admin(
        self,
        key: CommandKey | str | None,
        *,
        operator_id: int | None,
        agency_id: int,
        name: str,
    ) -> AdminLink:
        """The agency's admin `name`, added now with a single-use link for the operator to
        pass on. Run again under the same key (an update handled twice), the admin is not
        added twice: their earlier link is revoked and a new one made, since the first may
        never have reached the operator."""
        person = _checked_name(name, "name")
        token, token_hash = new_token()

        def work(uow: UnitOfWork, now: dt.datetime) -> AdminNamed:
            operator_of(uow, operator_id)
            agency = _agency(uow, agency_id)
            member_id = members.add_member(
                uow, agency_id=agency.id, name=person, is_admin=True, created_at=now
            )
            _audit(uow, now, agency.id, operator_id, "member", member_id, "create", None, "admin")
            invitation_id, expires = _admin_invitation(
                uow, now, token_hash, agency.id, member_id, operator_id, is_operator=False
            )
            return AdminNamed(member_id, agency.id, invitation_id, expires)

        outcome = self.runner.run(key, "operator_name_admin", work, AdminNamed)
        named = outcome.result
        expires, renewed = named.expires_at, False
        if outcome.replayed:
            token, token_hash = new_token()
            expires = self._relink(operator_id, named, token_hash).expires_at
            renewed = True
        with self.database.unit_of_work(read_only=True) as uow:
            agency = _agency(uow, named.agency_id)
            member = members.member(uow, named.member_id)
        return AdminLink(
            token,
            named.member_id,
            member.name if member else person,
            agency.id,
            agency.name,
            agency.timezone,
            expires,
            renewed,
        )

    def _relink(self, operator_id: int | None, named: AdminNamed, token_hash: str) -> _Relinked:
        def work(uow: UnitOfWork, now: dt.datetime) -> _Relinked:
            operator_of(uow, operator_id)
            for open_one in invitations.open_invitations_of_member(uow, named.member_id, now):
                earlier = open_one.id
                invitations.revoke(uow, earlier, at=now, by_member_id=operator_id)
                _audit(
                    uow,
                    now,
                    named.agency_id,
                    operator_id,
                    "invitation",
                    earlier,
                    "revoke",
                    "open",
                    "revoked",
                )
            invitation_id, expires = _admin_invitation(
                uow, now, token_hash, named.agency_id, named.member_id, operator_id
            )
            return _Relinked(invitation_id, expires)

        return self.runner.run(None, "operator_relink_admin", work, _Relinked).result

    def revoke_admin_invitation(
        self,
        key: CommandKey | str | None,
        *,
        operator_id: int | None,
        agency_id: int,
        invitation_id: int,
    ) -> Outcome[InvitationRevoked]:
        """Revoke one of the agency's open admin invitations; `NotFound` for an invitation
        that is not one (another agency's, used, revoked or expired already)."""

        def work(uow: UnitOfWork, now: dt.datetime) -> InvitationRevoked:
            operator_of(uow, operator_id)
            agency = _agency(uow, agency_id)
            open_ones = invitations.open_admin_invitations(uow, agency.id, now)
            found = next((i for i in open_ones if i.id == invitation_id), None)
            if found is None:
                raise NotFound(
                    "no such open admin invitation in this agency",
                    what="invitation",
                    invitation_id=invitation_id,
                )
            invitations.revoke(uow, found.id, at=now, by_member_id=operator_id)
            _audit(
                uow,
                now,
                agency.id,
                operator_id,
                "invitation",
                found.id,
                "revoke",
                "open",
                "revoked",
            )
            return InvitationRevoked(found.id, agency.id, found.member_name)

        return self.runner.run(key, "operator_revoke_invitation", work, InvitationRevoked)


def operator_of(uow: UnitOfWork, operator_id: int | None) -> Member | None:
    """The operator acting (None for the server); `NotOperator` for anyone else."""
    if operator_id is None:
        return None
    member = members.member(uow, operator_id)
    if member is None or not member.is_operator or not member.active:
        raise NotOperator("only an operator admin may do this", member_id=operator_id)
    return member


def create_agency_in(
    uow: UnitOfWork,
    now: dt.datetime,
    *,
    key: str,
    name: str,
    timezone: str,
    day_rule: DayRule,
    actor_id: int | None,
) -> int:
    """A new agency in the caller's transaction, audited as created by `actor_id`; its id.
    Refused (`InvalidSetup`) for a key that is not one or is taken, a name that is empty or
    too long, or an unknown zone."""
    if not is_agency_key(key):
        raise InvalidSetup("an agency key is lower-case words joined by hyphens", key=key)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidSetup("unknown time zone", timezone=timezone) from exc
    agency_name = _checked_name(name, "agency_name")
    if agencies.agency_by_key(uow, key) is not None:
        raise InvalidSetup("an agency with this key exists", key=key)
    agency_id = agencies.add_agency(
        uow, key=key, name=agency_name, timezone=timezone, created_at=now, day_rule=day_rule
    )
    record_change(
        uow,
        at=now,
        agency_id=agency_id,
        actor_id=actor_id,
        entity="agency",
        entity_id=agency_id,
        action="create",
        before=None,
        after="active",
        detail={"key": key, "name": agency_name, "timezone": timezone, "day_rule": day_rule.value},
    )
    return agency_id


def _checked_name(name: str, what: str) -> str:
    """A name as stored: spaces tidied; `InvalidSetup` when empty or over the column."""
    tidy = " ".join(name.split())
    if not tidy or len(tidy) > NAME_LIMIT:
        raise InvalidSetup("a name is 1 to 200 characters", what=what)
    return tidy


def _agency(uow: UnitOfWork, agency_id: int) -> agencies.Agency:
    agency = agencies.agency(uow, agency_id)
    if agency is None:
        raise NotFound("no such agency", what="agency", agency_id=agency_id)
    return agency


def _detail(uow: UnitOfWork, agency_id: int, now: dt.datetime) -> AgencyDetail:
    summary = agency_overview.agency_summary(uow, agency_id)
    if summary is None:
        raise NotFound("no such agency", what="agency", agency_id=agency_id)
    open_ones = invitations.open_admin_invitations(uow, agency_id, now)
    return AgencyDetail(summary, tuple(open_ones))


def _admin_invitation(
    uow: UnitOfWork,
    now: dt.datetime,
    token_hash: str,
    agency_id: int,
    member_id: int,
    created_by_id: int | None,
    *,
    is_operator: bool = False,
) -> tuple[int, dt.datetime]:
    """A single-use admin invitation for the member, audited; its id and expiry."""
    expires = now + INVITATION_TTL
    invitation_id = invitations.add_invitation(
        uow,
        token_hash=token_hash,
        agency_id=agency_id,
        member_id=member_id,
        position_id=None,
        is_admin=True,
        created_by_id=created_by_id,
        created_at=now,
        expires_at=expires,
        is_operator=is_operator,
    )
    _audit(
        uow,
        now,
        agency_id,
        created_by_id,
        "invitation",
        invitation_id,
        "create",
        None,
        "open",
        member_id=member_id,
        is_admin=True,
        is_operator=is_operator or None,
    )
    return invitation_id, expires


def _audit(  # noqa: PLR0913 - the audit row's fields, positional for brevity here
    uow: UnitOfWork,
    now: dt.datetime,
    agency_id: int,
    actor_id: int | None,
    entity: str,
    entity_id: int,
    action: str,
    before: str | None,
    after: str,
    **detail: object,
) -> None:
    record_change(
        uow,
        at=now,
        agency_id=agency_id,
        actor_id=actor_id,
        entity=entity,
        entity_id=entity_id,
        action=action,
        before=before,
        after=after,
        detail=detail,
    )
