"""Who may take over an open step when an admin moves it ("macet": the holder is away and no
Plh was set): the active members who hold a position serving the step's role for the SOP, and
the Plt/Plh in office for those positions. A position serves the role when it is mapped to it
for this SOP or for all the agency's SOPs ("*"): both, although routing lets the SOP's own
mapping replace the agency-wide one, since an admin may well hand a Sekretaris' step to the
Kasubbag Umum who stands in for the role elsewhere.

Read here, in the caller's unit of work, both for the buttons an admin is shown and for the
check the move makes on the server (a button is never trusted).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from sopbot.engine.instance import Disposition
from sopbot.engine.organization import ActingKind
from sopbot.engine.procedure import Procedure
from sopbot.storage.models import (
    ANY_SOP,
    ActingRow,
    HoldingRow,
    MemberRow,
    PositionRow,
    RoleMappingRow,
)
from sopbot.storage.statements import execute, table_of
from sopbot.storage.unit_of_work import UnitOfWork

_HOLDING = table_of(HoldingRow)
_ACTING = table_of(ActingRow)
_MEMBER = table_of(MemberRow)
_POSITION = table_of(PositionRow)
_ROLE_MAPPING = table_of(RoleMappingRow)


@dataclass(frozen=True, slots=True)
class ServingPerson:
    """A member who serves a role now: as a holder of a position, or acting for it."""

    member_id: int
    name: str
    position_id: int
    position_name: str
    acting: ActingKind | None = None  # Plt/Plh for the position
    acting_for_id: int | None = None  # the absent holder they act for (None: a vacant post)


def serving_the_step(
    uow: UnitOfWork, procedure: Procedure, disposition: Disposition, at: dt.datetime
) -> list[ServingPerson]:
    """Who may take over the disposition's step at `at`: the people serving its role (see the
    module), one entry each, the disposition's own holder left out. A person who acts for the
    disposition's own position is named by that post (the disposition says "Plh. ... untuk")."""
    instance = procedure.instance
    role = procedure.definition.routed_role(procedure.role_of(disposition))
    found = people_serving(
        uow, positions_serving(uow, instance.agency_id, instance.sop_id, role), at
    )
    chosen: dict[int, ServingPerson] = {}
    for person in found:
        if person.member_id == disposition.assignee_id:
            continue
        kept = chosen.get(person.member_id)
        if kept is None or (
            person.position_id == disposition.position_id
            and kept.position_id != disposition.position_id
        ):
            chosen[person.member_id] = person
    return list(chosen.values())


def positions_serving(uow: UnitOfWork, agency_id: int, sop_id: str, role_key: str) -> list[int]:
    """The agency's positions mapped to the role for the SOP, then those mapped to it for all
    its SOPs, each once, in the order they were mapped."""
    rows = execute(
        uow.session,
        select(_ROLE_MAPPING.c.position_id, _ROLE_MAPPING.c.sop_id)
        .where(_ROLE_MAPPING.c.agency_id == agency_id)
        .where(_ROLE_MAPPING.c.role_key == role_key)
        .where(_ROLE_MAPPING.c.sop_id.in_([sop_id, ANY_SOP]))
        .order_by(_ROLE_MAPPING.c.id),
    ).all()
    ordered = [p for p, sop in rows if sop == sop_id] + [p for p, sop in rows if sop != sop_id]
    return list(dict.fromkeys(ordered))


def people_serving(
    uow: UnitOfWork, position_ids: list[int], at: dt.datetime
) -> list[ServingPerson]:
    """The active members holding the positions at `at`, then those acting for them (Plt/Plh
    in office), position by position in the order given, by name within a position.
    Positions that were removed serve nobody."""
    if not position_ids:
        return []
    session = uow.session
    common = (
        (_MEMBER.c.deactivated_at.is_(None)),
        (_POSITION.c.removed_at.is_(None)),
        (_POSITION.c.id.in_(position_ids)),
    )
    holders = execute(
        session,
        select(_HOLDING.c.member_id, _MEMBER.c.name, _POSITION.c.id, _POSITION.c.name)
        .join(_MEMBER, _MEMBER.c.id == _HOLDING.c.member_id)
        .join(_POSITION, _POSITION.c.id == _HOLDING.c.position_id)
        .where(_HOLDING.c.valid_from <= at)
        .where(_HOLDING.c.valid_to.is_(None) | (_HOLDING.c.valid_to > at))
        .where(*common),
    ).all()
    acting = execute(
        session,
        select(
            _ACTING.c.member_id,
            _MEMBER.c.name,
            _POSITION.c.id,
            _POSITION.c.name,
            _ACTING.c.kind,
            _ACTING.c.for_member_id,
        )
        .join(_MEMBER, _MEMBER.c.id == _ACTING.c.member_id)
        .join(_POSITION, _POSITION.c.id == _ACTING.c.position_id)
        .where(_ACTING.c.valid_from <= at)
        .where(_ACTING.c.valid_to.is_(None) | (_ACTING.c.valid_to > at))
        .where(*common),
    ).all()
    order = {position_id: index for index, position_id in enumerate(position_ids)}
    people = [
        ServingPerson(member_id, name, position_id, position_name)
        for member_id, name, position_id, position_name in holders
    ] + [
        ServingPerson(member_id, name, position_id, position_name, ActingKind(kind), for_member_id)
        for member_id, name, position_id, position_name, kind, for_member_id in acting
    ]
    return sorted(
        people,
        key=lambda p: (order[p.position_id], p.acting is not None, p.name, p.member_id),
    )
