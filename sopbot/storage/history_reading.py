"""What /riwayat reads besides the procedure itself: its audit trail, its documents and the
names of the agency's members, as plain values.

Read-only: each function takes a `UnitOfWork` (opened with `read_only=True`) and returns frozen
dataclasses. The steps and dispositions come from `sopbot.storage.procedure_reading`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlmodel import col, select

from sopbot.storage.models import AuditRow, DocumentRow, MemberRow
from sopbot.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class AuditFacts:
    """One audit row of an instance: who changed what, when, with the change's details."""

    at: dt.datetime
    entity: str
    entity_id: str
    action: str
    actor_id: int | None
    detail: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    """A document attached to an instance: its name as sent, and who sent it."""

    id: uuid.UUID
    original_name: str
    uploaded_by_id: int


def audit_trail_of(uow: UnitOfWork, instance_id: uuid.UUID) -> list[AuditFacts]:
    """The instance's audit rows in the order they were written."""
    rows = uow.session.exec(
        select(AuditRow).where(AuditRow.instance_id == instance_id).order_by(col(AuditRow.id))
    )
    return [
        AuditFacts(
            row.at,
            row.entity,
            row.entity_id,
            row.action,
            row.actor_id,
            MappingProxyType(dict(row.detail or {})),
        )
        for row in rows
    ]


def documents_of(uow: UnitOfWork, instance_id: uuid.UUID) -> list[DocumentFacts]:
    """The documents attached to the instance."""
    rows = uow.session.exec(select(DocumentRow).where(DocumentRow.instance_id == instance_id))
    return [DocumentFacts(row.id, row.original_name, row.uploaded_by_id) for row in rows]


def member_names_in(uow: UnitOfWork, agency_id: int) -> dict[int, str]:
    """The name of every member of the agency, by member id."""
    rows = uow.session.exec(
        select(MemberRow.id, MemberRow.name).where(MemberRow.agency_id == agency_id)
    )
    return {member_id: name for member_id, name in rows if member_id is not None}
