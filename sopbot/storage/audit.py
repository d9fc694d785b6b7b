"""Writing the audit trail: one row per state change, in the transaction of the change.

The rows are appended to their agency's hash chain (sopbot.storage.audit_chain).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping

from sqlmodel import Session

from sopbot.engine.instance import Transition
from sopbot.storage.audit_chain import AuditEntry, append


def record_transitions(
    session: Session, transitions: Iterable[Transition], *, agency_id: int, instance_id: uuid.UUID
) -> int:
    """Add one audit row per engine transition; returns how many were added."""
    return append(
        session,
        (
            AuditEntry(
                at=transition.at,
                agency_id=agency_id,
                instance_id=instance_id,
                actor_id=transition.actor_id,
                entity=transition.entity.value,
                entity_id=str(transition.entity_id),
                action=transition.action,
                before=transition.before,
                after=transition.after,
                detail=dict(transition.detail),
            )
            for transition in transitions
        ),
    )


def record_change(
    session: Session,
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
    """Add the audit row of a change outside an instance (people, positions, settings)."""
    append(
        session,
        [
            AuditEntry(
                at=at,
                agency_id=agency_id,
                instance_id=None,
                actor_id=actor_id,
                entity=entity,
                entity_id=str(entity_id),
                action=action,
                before=before,
                after=after,
                detail={k: v for k, v in (detail or {}).items() if v is not None},
            )
        ],
    )
