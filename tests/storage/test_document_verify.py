"""Each stored document's SHA-256 is in the audit chain, and `verify_documents` checks the store
against it: a missing file, changed bytes, and a row whose hash the trail never recorded; on
SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import col, select

from sopbot.services.document_verify import (
    DocumentProblem,
    DocumentProblemKind,
    verify_documents,
)
from sopbot.services.procedures import NewDocument, ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.document_store import LocalDocumentStore
from sopbot.storage.file_types import FILE_TYPES
from sopbot.storage.models import AuditRow, DocumentRow
from tests.helpers.agencies import SeedAgency, next_key
from tests.storage.test_audit_integrity import drop_append_only_triggers, staffed, start

PDF = FILE_TYPES["pdf"]
LAPORAN = b"%PDF-1.4\nlaporan kinerja triwulan III\n%%EOF\n"
LAMPIRAN = b"%PDF-1.4\nlampiran data realisasi\n%%EOF\n"
PALSU = b"%PDF-1.4\nlaporan yang sudah diganti\n%%EOF\n"


def upload(store: LocalDocumentStore, content: bytes, name: str) -> NewDocument:
    """A file as the upload handler keeps it: stored under its hash, then recorded."""
    kept = store.put(content, PDF)
    return NewDocument(
        telegram_file_id=f"file-{kept.sha256[:16]}",
        telegram_file_unique_id=f"uniq-{kept.sha256[:12]}",
        original_name=name,
        mime_type=PDF.mime,
        size_bytes=kept.size_bytes,
        sha256=kept.sha256,
        storage_key=kept.storage_key,
    )


def with_documents(
    database: Database, store: LocalDocumentStore
) -> tuple[ProcedureService, SeedAgency, list[DocumentRow]]:
    """A running procedure whose open step got two documents."""
    procedures, agency = staffed(database)
    start(procedures, agency, "Triwulan III")
    sekretaris = agency.person("sekretaris")
    (item,) = procedures.inbox(sekretaris)
    for content, name in ((LAPORAN, "laporan.pdf"), (LAMPIRAN, "lampiran.pdf")):
        procedures.attach_document(
            next_key(),
            member_id=sekretaris,
            disposition_id=item.disposition_id,
            document=upload(store, content, name),
        )
    return procedures, agency, documents(database)


def documents(database: Database) -> list[DocumentRow]:
    with database.transaction() as session:
        return list(session.exec(select(DocumentRow).order_by(col(DocumentRow.original_name))))


def attach_rows(database: Database) -> dict[str, AuditRow]:
    with database.transaction() as session:
        rows = session.exec(
            select(AuditRow).where(AuditRow.entity == "document", AuditRow.action == "attach")
        )
        return {row.entity_id: row for row in rows}


def set_document(database: Database, document_id: uuid.UUID, **values: object) -> None:
    with database.engine.begin() as connection:
        connection.execute(
            sa.update(DocumentRow).where(col(DocumentRow.id) == document_id).values(**values)
        )


def test_the_attach_row_carries_the_documents_hash_and_size(
    database: Database, tmp_path: Path
) -> None:
    _, _, stored = with_documents(database, LocalDocumentStore(tmp_path / "documents"))
    rows = attach_rows(database)
    assert {
        document.original_name: (
            rows[str(document.id)].detail["sha256"],
            rows[str(document.id)].detail["size_bytes"],
        )
        for document in stored
    } == {
        "laporan.pdf": (hashlib.sha256(LAPORAN).hexdigest(), len(LAPORAN)),
        "lampiran.pdf": (hashlib.sha256(LAMPIRAN).hexdigest(), len(LAMPIRAN)),
    }


def test_an_untouched_store_verifies(database: Database, tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path / "documents")
    with_documents(database, store)
    result = verify_documents(database, store)
    assert (result.intact, result.documents, result.problems, result.unaudited) == (
        True,
        2,
        (),
        0,
    )


def test_a_missing_file_and_changed_bytes_are_found(database: Database, tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path / "documents")
    _, _, (lampiran, laporan) = with_documents(database, store)
    store.path_of(lampiran.storage_key).unlink()
    store.path_of(laporan.storage_key).write_bytes(PALSU)
    assert set(verify_documents(database, store).problems) == {
        DocumentProblem(
            lampiran.id,
            lampiran.storage_key,
            DocumentProblemKind.MISSING,
            "no file under its storage key (removed)",
        ),
        DocumentProblem(
            laporan.id,
            laporan.storage_key,
            DocumentProblemKind.CHANGED,
            "its bytes no longer hash to the SHA-256 its row records (replaced or damaged)",
        ),
    }


def test_a_row_pointed_at_other_bytes_is_found_through_the_audit_chain(
    database: Database, tmp_path: Path
) -> None:
    # The file is swapped and its row made to match: the store alone finds nothing wrong.
    store = LocalDocumentStore(tmp_path / "documents")
    _, _, (_, laporan) = with_documents(database, store)
    forged = store.put(PALSU, PDF)
    set_document(
        database,
        laporan.id,
        sha256=forged.sha256,
        size_bytes=forged.size_bytes,
        storage_key=forged.storage_key,
    )
    assert verify_documents(database, store).problems == (
        DocumentProblem(
            laporan.id,
            forged.storage_key,
            DocumentProblemKind.NOT_AUDITED,
            "its SHA-256 and size are not the ones the audit trail recorded when it was attached",
        ),
    )


def test_an_attach_row_edited_to_match_is_found(database: Database, tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path / "documents")
    _, _, (_, laporan) = with_documents(database, store)
    forged = store.put(PALSU, PDF)
    set_document(
        database,
        laporan.id,
        sha256=forged.sha256,
        size_bytes=forged.size_bytes,
        storage_key=forged.storage_key,
    )
    row = attach_rows(database)[str(laporan.id)]
    drop_append_only_triggers(database)
    with database.engine.begin() as connection:
        connection.execute(
            sa.update(AuditRow)
            .where(col(AuditRow.id) == row.id)
            .values(detail=row.detail | {"sha256": forged.sha256, "size_bytes": forged.size_bytes})
        )
    (problem,) = verify_documents(database, store).problems
    assert (problem.document_id, problem.kind, problem.detail) == (
        laporan.id,
        DocumentProblemKind.NOT_AUDITED,
        "the audit row of its attachment was edited",
    )


def test_a_document_with_no_attach_row_is_found(database: Database, tmp_path: Path) -> None:
    # A row put into the table directly, for a file put into the store directly.
    store = LocalDocumentStore(tmp_path / "documents")
    _, agency, (lampiran, _) = with_documents(database, store)
    smuggled = upload(store, PALSU, "tambahan.pdf")
    smuggled_id = uuid.uuid4()
    with database.transaction() as session:
        session.add(
            DocumentRow(
                id=smuggled_id,
                instance_id=lampiran.instance_id,
                step_run_id=lampiran.step_run_id,
                disposition_id=lampiran.disposition_id,
                telegram_file_id=smuggled.telegram_file_id,
                telegram_file_unique_id=smuggled.telegram_file_unique_id,
                original_name=smuggled.original_name,
                mime_type=smuggled.mime_type,
                size_bytes=smuggled.size_bytes,
                sha256=smuggled.sha256,
                storage_key=smuggled.storage_key,
                uploaded_by_id=agency.person("sekretaris"),
                uploaded_at=lampiran.uploaded_at,
            )
        )
    assert verify_documents(database, store).problems == (
        DocumentProblem(
            smuggled_id,
            smuggled.storage_key,
            DocumentProblemKind.NOT_AUDITED,
            "no audit row records it being attached",
        ),
    )
