"""Agencies, positions and people in the database, and routing built from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session, col, select

from sopbot.engine.organization import (
    ActingAppointment,
    ActingKind,
    Assignee,
    Holding,
    resolve_assignees,
)
from sopbot.engine.procedure import Routing
from sopbot.storage.models import (
    ANY_SOP,
    ActingRow,
    HoldingRow,
    MemberRow,
    PositionRow,
    RoleMappingRow,
)


def positions_by_role(session: Session, agency_id: int, sop_id: str) -> dict[str, list[int]]:
    """The agency's positions for each role of an SOP; an SOP's own mapping of a role replaces
    the agency-wide one (so one agency can call the SOP's "Kepala Dinas" its Kepala Badan)."""
    rows = session.exec(
        select(RoleMappingRow)
        .where(RoleMappingRow.agency_id == agency_id)
        .where(col(RoleMappingRow.sop_id).in_([sop_id, ANY_SOP]))
        .order_by(col(RoleMappingRow.id))
    ).all()
    specific: dict[str, list[int]] = {}
    general: dict[str, list[int]] = {}
    for row in rows:
        target = specific if row.sop_id == sop_id else general
        target.setdefault(row.role_key, []).append(row.position_id)
    return {**general, **specific}


def holdings_of(session: Session, agency_id: int) -> list[Holding]:
    """Every holding of the agency's positions, past and present."""
    rows = session.exec(
        select(HoldingRow)
        .join(PositionRow, col(PositionRow.id) == col(HoldingRow.position_id))
        .where(PositionRow.agency_id == agency_id)
    ).all()
    return [Holding(r.member_id, r.position_id, r.valid_from, r.valid_to) for r in rows]


def actings_of(session: Session, agency_id: int) -> list[ActingAppointment]:
    """Every acting appointment (Plt/Plh) for the agency's positions."""
    rows = session.exec(
        select(ActingRow)
        .join(PositionRow, col(PositionRow.id) == col(ActingRow.position_id))
        .where(PositionRow.agency_id == agency_id)
    ).all()
    return [
        ActingAppointment(
            r.member_id,
            r.position_id,
            ActingKind(r.kind),
            r.valid_from,
            r.valid_to,
            r.for_member_id,
        )
        for r in rows
    ]


def routing_for(session: Session, agency_id: int, sop_id: str, at: dt.datetime) -> Routing:
    """Who acts for each role of an SOP in an agency at an instant."""
    by_role = positions_by_role(session, agency_id, sop_id)
    holdings = holdings_of(session, agency_id)
    actings = actings_of(session, agency_id)

    def route(role_key: str) -> Sequence[Assignee]:
        return resolve_assignees(by_role.get(role_key, []), at, holdings, actings)

    return route


def member_by_telegram_id(session: Session, telegram_user_id: int) -> MemberRow | None:
    """The member bound to a Telegram account, if any."""
    return session.exec(
        select(MemberRow).where(MemberRow.telegram_user_id == telegram_user_id)
    ).first()
