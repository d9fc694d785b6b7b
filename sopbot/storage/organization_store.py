"""Agencies, positions and people in the database, and routing built from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import bindparam, null, union_all
from sqlalchemy import select as select_core
from sqlmodel import Session

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
    PositionRow,
    RoleMappingRow,
)
from sopbot.storage.prepared import PreparedQuery
from sopbot.storage.statements import table_of

_ROLE_MAPPING = table_of(RoleMappingRow)
_HOLDING = table_of(HoldingRow)
_ACTING = table_of(ActingRow)
_POSITION = table_of(PositionRow)

# Built once (see storage.prepared): every command that routes work runs both.
_ROLE_MAPPINGS = PreparedQuery(
    select_core(_ROLE_MAPPING.c.sop_id, _ROLE_MAPPING.c.role_key, _ROLE_MAPPING.c.position_id)
    .where(_ROLE_MAPPING.c.agency_id == bindparam("agency_id"))
    .where(_ROLE_MAPPING.c.sop_id.in_([bindparam("sop_id"), ANY_SOP]))
    .order_by(_ROLE_MAPPING.c.id)
)
# The holdings and the acting appointments (Plt/Plh) of the agency's positions in one round
# trip: a holding is a row with no kind (holdings come first, then actings, each as stored).
_PEOPLE_OF_POSITIONS = PreparedQuery(
    union_all(
        select_core(
            _HOLDING.c.member_id,
            _HOLDING.c.position_id,
            _HOLDING.c.valid_from,
            _HOLDING.c.valid_to,
            null().label("kind"),
            null().label("for_member_id"),
        )
        .join(_POSITION, _POSITION.c.id == _HOLDING.c.position_id)
        .where(_POSITION.c.agency_id == bindparam("agency_id")),
        select_core(
            _ACTING.c.member_id,
            _ACTING.c.position_id,
            _ACTING.c.valid_from,
            _ACTING.c.valid_to,
            _ACTING.c.kind,
            _ACTING.c.for_member_id,
        )
        .join(_POSITION, _POSITION.c.id == _ACTING.c.position_id)
        .where(_POSITION.c.agency_id == bindparam("agency_id")),
    )
)


def positions_by_role(session: Session, agency_id: int, sop_id: str) -> dict[str, list[int]]:
    """The agency's positions for each role of an SOP; an SOP's own mapping of a role replaces
    the agency-wide one (so one agency can call the SOP's "Kepala Dinas" its Kepala Badan)."""
    rows = _ROLE_MAPPINGS.rows(session, {"agency_id": agency_id, "sop_id": sop_id})
    specific: dict[str, list[int]] = {}
    general: dict[str, list[int]] = {}
    for row_sop_id, role_key, position_id in rows:
        target = specific if row_sop_id == sop_id else general
        target.setdefault(role_key, []).append(position_id)
    return {**general, **specific}


def people_of_positions(
    session: Session, agency_id: int
) -> tuple[list[Holding], list[ActingAppointment]]:
    """Every holding of the agency's positions, past and present, and every acting
    appointment (Plt/Plh) for them."""
    holdings: list[Holding] = []
    actings: list[ActingAppointment] = []
    for (
        member_id,
        position_id,
        valid_from,
        valid_to,
        kind,
        for_member_id,
    ) in _PEOPLE_OF_POSITIONS.rows(session, {"agency_id": agency_id}):
        if kind is None:
            holdings.append(Holding(member_id, position_id, valid_from, valid_to))
        else:
            actings.append(
                ActingAppointment(
                    member_id, position_id, ActingKind(kind), valid_from, valid_to, for_member_id
                )
            )
    return holdings, actings


def routing_for(session: Session, agency_id: int, sop_id: str, at: dt.datetime) -> Routing:
    """Who acts for each role of an SOP in an agency at an instant."""
    by_role = positions_by_role(session, agency_id, sop_id)
    holdings, actings = people_of_positions(session, agency_id)

    def route(role_key: str) -> Sequence[Assignee]:
        return resolve_assignees(by_role.get(role_key, []), at, holdings, actings)

    return route
