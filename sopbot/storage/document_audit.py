"""What `sopbot documents verify` compares: the document rows, and the audit rows that recorded
each document being attached (with the SHA-256 and size they vouch for)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import col, select

from sopbot.engine.instance import EntityKind
from sopbot.storage.audit_chain import MissingAuditKey, row_hash
from sopbot.storage.audit_key import AuditKey, same_digest
from sopbot.storage.database import Database
from sopbot.storage.models import AuditRow, DocumentRow
from sopbot.storage.unit_of_work import UnitOfWork

_BATCH = 2_000


@dataclass(frozen=True, slots=True)
class StoredDocumentFacts:
    """A document row: where its bytes are kept and the hash it claims for them."""

    document_id: uuid.UUID
    storage_key: str
    sha256: str
    size_bytes: int


@dataclass(frozen=True, slots=True)
class AttachRecord:
    """An audit row that recorded a document being attached."""

    row_id: int | None
    sha256: str | None  # None: attached before the audit rows carried it
    size_bytes: int | None
    intact: bool  # the row's columns still give its (keyed) hash


def documents_and_attach_records(
    database: Database,
) -> tuple[list[StoredDocumentFacts], dict[str, list[AttachRecord]]]:
    """Every document row (oldest first), and the audit rows of every document attached, by
    document id as the rows store it; both read in one snapshot, so a document attached
    meanwhile is either in both or in neither."""
    key = database.audit_key
    if key is None:
        raise MissingAuditKey("audit rows are checked with the audit key (SOPBOT_AUDIT_KEY)")
    records: dict[str, list[AttachRecord]] = {}
    with database.reading() as session:
        documents = [
            StoredDocumentFacts(row.id, row.storage_key, row.sha256, row.size_bytes)
            for row in session.exec(
                select(DocumentRow)
                .order_by(col(DocumentRow.uploaded_at), col(DocumentRow.id))
                .execution_options(yield_per=_BATCH)
            )
        ]
        statement = (
            select(AuditRow)
            .where(AuditRow.entity == EntityKind.DOCUMENT.value, AuditRow.action == "attach")
            .execution_options(yield_per=_BATCH)
        )
        for row in session.exec(statement):
            records.setdefault(row.entity_id, []).append(_attach_record(row, key))
    return documents, records


def attach_records_of(
    uow: UnitOfWork, instance_id: uuid.UUID, key: AuditKey
) -> dict[str, list[AttachRecord]]:
    """The audit rows that recorded one procedure's documents being attached, by document id
    as the rows store it (what an exported procedure's record says of each document)."""
    records: dict[str, list[AttachRecord]] = {}
    statement = select(AuditRow).where(
        AuditRow.instance_id == instance_id,
        AuditRow.entity == EntityKind.DOCUMENT.value,
        AuditRow.action == "attach",
    )
    for row in uow.session.exec(statement):
        records.setdefault(row.entity_id, []).append(_attach_record(row, key))
    return records


def _attach_record(row: AuditRow, key: AuditKey) -> AttachRecord:
    """An attach row with what it vouches for, and whether it still gives its keyed hash."""
    expected = row_hash(row, key)
    sha256, size = row.detail.get("sha256"), row.detail.get("size_bytes")
    return AttachRecord(
        row.id,
        sha256 if isinstance(sha256, str) else None,
        size if isinstance(size, int) else None,
        expected is not None and same_digest(row.hash, expected),
    )
