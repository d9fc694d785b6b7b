"""Writing the audit trail: one row per state change, in the transaction of the change.

The rows are appended to their agency's hash chain (sopbot.storage.audit_chain). The row of a
document attached to a step carries the document's SHA-256 and size, so the chain vouches for
the stored bytes (`sopbot documents verify`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping

from sqlmodel import Session

from sopbot.engine.instance import EntityKind, Transition
from sopbot.storage.audit_chain import AuditEntry, append
from sopbot.storage.models import DocumentRow


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
                detail=_detail(session, transition),
            )
            for transition in transitions
        ),
    )


def _detail(session: Session, transition: Transition) -> dict[str, object]:
    """The transition's detail, with the content hash and size of an attached document."""
    detail = dict(transition.detail)
    if transition.entity is EntityKind.DOCUMENT and transition.action == "attach":
        # The row was added (and flushed) with this change: found in the session, not read.
        document = session.get(DocumentRow, transition.entity_id)
        if document is None:
            raise LookupError(f"document {transition.entity_id} attached but not stored")
        detail["sha256"] = document.sha256
        detail["size_bytes"] = document.size_bytes
    return detail


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
