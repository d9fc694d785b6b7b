"""Writing the audit trail: one row per state change, in the transaction of the change.

The rows are appended to their agency's hash chain (sopbot.storage.audit_chain). The row of a
document attached to a step carries the document's SHA-256 and size, so the chain vouches for
the stored bytes (`sopbot documents verify`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping

from sopbot.engine.instance import EntityKind, Transition, TransitionAction
from sopbot.storage.audit_chain import AuditEntry, append
from sopbot.storage.instance_store import NewDocument, StagedDocument
from sopbot.storage.unit_of_work import UnitOfWork


def record_transitions(
    uow: UnitOfWork,
    transitions: Iterable[Transition],
    *,
    agency_id: int,
    instance_id: uuid.UUID,
    documents: Iterable[StagedDocument] = (),
) -> int:
    """Add one audit row per engine transition (linked into the agency's chain just before the
    commit); `documents` are the files the transitions attach. Returns how many were added."""
    files = {staged.id: staged.file for staged in documents}
    return append(
        uow.session,
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
                detail=_detail(transition, files),
            )
            for transition in transitions
        ),
    )


def _detail(transition: Transition, files: Mapping[uuid.UUID, NewDocument]) -> dict[str, object]:
    """The transition's detail, with the content hash and size of an attached document."""
    detail = dict(transition.detail)
    if transition.entity is EntityKind.DOCUMENT and transition.action is TransitionAction.ATTACH:
        file = files.get(transition.entity_id)
        if file is None:
            raise LookupError(f"document {transition.entity_id} attached but not saved with it")
        detail["sha256"] = file.sha256
        detail["size_bytes"] = file.size_bytes
    return detail


def record_change(  # noqa: PLR0913 - the audit row's columns, keyword-only
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
    """Add the audit row of a change outside an instance (people, positions, settings)."""
    append(
        uow.session,
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
