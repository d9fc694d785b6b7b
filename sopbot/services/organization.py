"""Setting up an agency's people: positions, members, holdings (mutasi), Plt/Plh, role mappings.

Every change is audited, and a change of who acts for a position re-routes the open steps of the
agency's running procedures in the same transaction, so work follows the position.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, select

from sopbot.engine.errors import DomainError, UnknownMember
from sopbot.engine.organization import ActingKind
from sopbot.services.commands import Clock, CommandRunner, Outcome, utc_now
from sopbot.services.procedures import ProcedureService
from sopbot.storage.audit import record_change
from sopbot.storage.models import (
    ANY_SOP,
    ActingRow,
    AgencyRow,
    HoldingRow,
    MemberRow,
    PositionRow,
    RoleMappingRow,
)
from sopbot.storage.unit_of_work import UnitOfWork


class InvalidSetup(DomainError):
    """An organisational change that cannot be made as asked."""

    code = "invalid_setup"


class OrganizationService:
    """Agency set-up commands; those that change who acts for a position re-route open work."""

    def __init__(self, procedures: ProcedureService, *, clock: Clock = utc_now) -> None:
        self.procedures = procedures
        self.runner = CommandRunner(procedures.database, clock)

    def create_agency(self, *, key: str, name: str, timezone: str) -> int:
        """A new agency; `key` is its folder under sop_defs/."""
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidSetup("unknown time zone", timezone=timezone) from exc

        def work(uow: UnitOfWork, now: dt.datetime) -> dict[str, Any]:
            session = uow.session
            if session.exec(select(AgencyRow).where(AgencyRow.key == key)).first():
                raise InvalidSetup("an agency with this key exists", key=key)
            agency = AgencyRow(key=key, name=name, timezone=timezone, created_at=now)
            session.add(agency)
            session.flush()
            _created(
                session, now, agency.id, "agency", agency.id, key=key, name=name, timezone=timezone
            )
            return {"agency_id": agency.id}

        return int(self.runner.run(None, "create_agency", work, dict).result["agency_id"])

    def add_position(self, *, agency_id: int, key: str, name: str) -> int:
        """A position (jabatan) of the agency."""

        def work(uow: UnitOfWork, now: dt.datetime) -> dict[str, Any]:
            session = uow.session
            position = PositionRow(agency_id=agency_id, key=key, name=name)
            session.add(position)
            session.flush()
            _created(session, now, agency_id, "position", position.id, key=key, name=name)
            return {"position_id": position.id}

        return int(self.runner.run(None, "add_position", work, dict).result["position_id"])

    def add_member(
        self,
        *,
        agency_id: int,
        name: str,
        nip: str | None = None,
        telegram_user_id: int | None = None,
        is_admin: bool = False,
    ) -> int:
        """A person of the agency (bound to Telegram now or later, by invitation)."""

        def work(uow: UnitOfWork, now: dt.datetime) -> dict[str, Any]:
            session = uow.session
            member = MemberRow(
                agency_id=agency_id,
                name=name,
                nip=nip,
                telegram_user_id=telegram_user_id,
                is_admin=is_admin,
                created_at=now,
            )
            session.add(member)
            session.flush()
            _created(
                session, now, agency_id, "member", member.id, name=name, nip=nip, is_admin=is_admin
            )
            return {"member_id": member.id}

        return int(self.runner.run(None, "add_member", work, dict).result["member_id"])

    def map_role(
        self, *, agency_id: int, role_key: str, position_id: int, sop_id: str = ANY_SOP
    ) -> None:
        """Let a position serve an SOP role (for one SOP, or for all SOPs of the agency)."""

        def work(uow: UnitOfWork, now: dt.datetime) -> dict[str, Any]:
            session = uow.session
            _position_of(session, agency_id, position_id)
            mapping = RoleMappingRow(
                agency_id=agency_id, sop_id=sop_id, role_key=role_key, position_id=position_id
            )
            session.add(mapping)
            session.flush()
            record_change(
                session,
                at=now,
                agency_id=agency_id,
                actor_id=None,
                entity="role_mapping",
                entity_id=mapping.id,
                action="map",
                before=None,
                after="mapped",
                detail={"sop_id": sop_id, "role_key": role_key, "position_id": position_id},
            )
            self.procedures.reconcile_agency(uow, agency_id, now, None)
            return {}

        self.runner.run(None, "map_role", work, dict)

    def appoint(
        self,
        key: str | None,
        *,
        member_id: int,
        position_id: int,
        actor_id: int | None = None,
        since: dt.datetime | None = None,
    ) -> Outcome[dict[str, Any]]:
        """The member holds the position from now (or `since`); open work is re-routed."""

        def work(uow: UnitOfWork, now: dt.datetime) -> dict[str, Any]:
            session = uow.session
            member = _member(session, member_id)
            _position_of(session, member.agency_id, position_id)
            start = since or now
            holding = HoldingRow(member_id=member_id, position_id=position_id, valid_from=start)
            session.add(holding)
            session.flush()
            record_change(
                session,
                at=now,
                agency_id=member.agency_id,
                actor_id=actor_id,
                entity="holding",
                entity_id=holding.id,
                action="appoint",
                before=None,
                after="holding",
                detail={"member_id": member_id, "position_id": position_id},
            )
            moved = self.procedures.reconcile_agency(uow, member.agency_id, now, actor_id)
            return {"holding_id": holding.id, "instances_rerouted": moved}

        return self.runner.run(key, "appoint", work, dict)

    def end_holding(
        self,
        key: str | None,
        *,
        member_id: int,
        position_id: int,
        actor_id: int | None = None,
    ) -> Outcome[dict[str, Any]]:
        """The member leaves the position (mutasi); their open steps go to the new holder."""

        def work(uow: UnitOfWork, now: dt.datetime) -> dict[str, Any]:
            session = uow.session
            member = _member(session, member_id)
            holdings = session.exec(
                select(HoldingRow)
                .where(HoldingRow.member_id == member_id, HoldingRow.position_id == position_id)
                .where(col(HoldingRow.valid_to).is_(None))
            ).all()
            if not holdings:
                raise InvalidSetup(
                    "the member does not hold this position",
                    member_id=member_id,
                    position_id=position_id,
                )
            for holding in holdings:
                holding.valid_to = now
                session.add(holding)
                record_change(
                    session,
                    at=now,
                    agency_id=member.agency_id,
                    actor_id=actor_id,
                    entity="holding",
                    entity_id=holding.id,
                    action="end",
                    before="holding",
                    after="ended",
                    detail={"member_id": member_id, "position_id": position_id},
                )
            session.flush()
            moved = self.procedures.reconcile_agency(uow, member.agency_id, now, actor_id)
            return {"instances_rerouted": moved}

        return self.runner.run(key, "end_holding", work, dict)

    def appoint_acting(
        self,
        key: str | None,
        *,
        member_id: int,
        position_id: int,
        kind: ActingKind,
        for_member_id: int | None,
        valid_to: dt.datetime | None = None,
        decree: str | None = None,
        actor_id: int | None = None,
    ) -> Outcome[dict[str, Any]]:
        """A Plt/Plh acts for the position (for an absent holder, or the vacant post)."""

        def work(uow: UnitOfWork, now: dt.datetime) -> dict[str, Any]:
            session = uow.session
            member = _member(session, member_id)
            _position_of(session, member.agency_id, position_id)
            if valid_to is not None and valid_to <= now:
                raise InvalidSetup("the appointment must end after it starts")
            acting = ActingRow(
                member_id=member_id,
                position_id=position_id,
                kind=kind.value,
                for_member_id=for_member_id,
                valid_from=now,
                valid_to=valid_to,
                decree=decree,
            )
            session.add(acting)
            session.flush()
            record_change(
                session,
                at=now,
                agency_id=member.agency_id,
                actor_id=actor_id,
                entity="acting",
                entity_id=acting.id,
                action="appoint",
                before=None,
                after="acting",
                detail={
                    "member_id": member_id,
                    "kind": kind.value,
                    "position_id": position_id,
                    "for_member_id": for_member_id,
                },
            )
            moved = self.procedures.reconcile_agency(uow, member.agency_id, now, actor_id)
            return {"acting_id": acting.id, "instances_rerouted": moved}

        return self.runner.run(key, "appoint_acting", work, dict)

    def end_acting(
        self, key: str | None, *, acting_id: int, actor_id: int | None = None
    ) -> Outcome[dict[str, Any]]:
        """The Plt/Plh's appointment ends now; open work goes back to the holder."""

        def work(uow: UnitOfWork, now: dt.datetime) -> dict[str, Any]:
            session = uow.session
            acting = session.get(ActingRow, acting_id)
            if acting is None or (acting.valid_to is not None and acting.valid_to <= now):
                raise InvalidSetup("no such running appointment", acting_id=acting_id)
            acting.valid_to = now
            session.add(acting)
            member = _member(session, acting.member_id)
            record_change(
                session,
                at=now,
                agency_id=member.agency_id,
                actor_id=actor_id,
                entity="acting",
                entity_id=acting_id,
                action="end",
                before="acting",
                after="ended",
            )
            session.flush()
            moved = self.procedures.reconcile_agency(uow, member.agency_id, now, actor_id)
            return {"instances_rerouted": moved}

        return self.runner.run(key, "end_acting", work, dict)


def _created(
    session: Session,
    now: dt.datetime,
    agency_id: int | None,
    entity: str,
    entity_id: object,
    **detail: object,
) -> None:
    """The audit row of something set up by an administrator."""
    record_change(
        session,
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


def _member(session: Session, member_id: int) -> MemberRow:
    member = session.get(MemberRow, member_id)
    if member is None:
        raise UnknownMember("no such member", member_id=member_id)
    return member


def _position_of(session: Session, agency_id: int, position_id: int) -> PositionRow:
    position = session.get(PositionRow, position_id)
    if position is None or position.agency_id != agency_id:
        raise InvalidSetup("no such position in this agency", position_id=position_id)
    return position
