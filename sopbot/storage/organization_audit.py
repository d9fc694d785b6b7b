"""The audit rows of changes to an agency's organisation (agencies, positions, members,
holdings, Plt/Plh, role mappings, invitations), written in the unit of work of the change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sopbot.storage.audit import record_change
from sopbot.storage.unit_of_work import UnitOfWork


def record_organization_change(
    uow: UnitOfWork,
    *,
    at: dt.datetime,
    agency_id: int | None,
    actor_id: int | None,
    entity: str,
    entity_id: object,
    action: str,
    before: str | None,
    after: str,
    detail: Mapping[str, object] | None = None,
) -> None:
    """Add the row of one change to its agency's audit trail: what changed (`entity`,
    `entity_id`), how (`action`, from `before` to `after`), who did it (`actor_id`, None for
    the command line) and when (`at`)."""
    record_change(
        uow.session,
        at=at,
        agency_id=agency_id,
        actor_id=actor_id,
        entity=entity,
        entity_id=entity_id,
        action=action,
        before=before,
        after=after,
        detail=detail,
    )
