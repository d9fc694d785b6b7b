"""Checking the document store against the database and the audit trail.

Each stored document must still be in the store, its bytes must still hash to the SHA-256 its
row claims, and that SHA-256 must be the one the audit trail recorded (in a row whose keyed hash
still holds) when the document was attached: a file swapped with its row updated to match is
found too. Documents attached before the audit rows carried their hash are counted apart: only
the store and their row vouch for them.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field

from sopbot.storage.database import Database
from sopbot.storage.document_audit import (
    AttachRecord,
    StoredDocumentFacts,
    documents_and_attach_records,
)
from sopbot.storage.document_store import LocalDocumentStore


class DocumentProblemKind(enum.StrEnum):
    """What is wrong with a stored document."""

    MISSING = "missing"  # no file under its storage key
    CHANGED = "changed"  # its bytes no longer hash to its SHA-256
    NOT_AUDITED = "not_audited"  # its SHA-256 is not the one the audit trail recorded


@dataclass(frozen=True, slots=True)
class DocumentProblem:
    """One thing wrong with one document."""

    document_id: uuid.UUID
    storage_key: str
    kind: DocumentProblemKind
    detail: str

    def __str__(self) -> str:
        return f"document {self.document_id} ({self.storage_key}): {self.kind.value}: {self.detail}"


@dataclass(frozen=True, slots=True)
class DocumentVerification:
    """The result of checking every stored document."""

    documents: int
    problems: tuple[DocumentProblem, ...] = field(default_factory=tuple)
    unaudited: int = 0  # attached before the audit rows carried the documents' hashes

    @property
    def intact(self) -> bool:
        """True when every document is stored, unchanged, and vouched for by the trail."""
        return not self.problems


def verify_documents(database: Database, store: LocalDocumentStore) -> DocumentVerification:
    """Check every document row against the store and the audit trail."""
    documents, records = documents_and_attach_records(database)
    problems: list[DocumentProblem] = []
    unaudited = 0
    for document in documents:
        attached = records.get(str(document.document_id), [])
        if attached and all(r.sha256 is None for r in attached):
            unaudited += 1
        found = [*_store_problems(document, store), *audit_problems(document, attached)]
        problems.extend(
            DocumentProblem(document.document_id, document.storage_key, kind, detail)
            for kind, detail in found
        )
    return DocumentVerification(len(documents), tuple(problems), unaudited)


def _store_problems(
    document: StoredDocumentFacts, store: LocalDocumentStore
) -> list[tuple[DocumentProblemKind, str]]:
    try:
        present = store.exists(document.storage_key)
    except ValueError as exc:  # a key the store never makes: the row was edited
        return [(DocumentProblemKind.MISSING, str(exc))]
    if not present:
        return [(DocumentProblemKind.MISSING, "no file under its storage key (removed)")]
    if not store.verify(document.storage_key, document.sha256):
        detail = "its bytes no longer hash to the SHA-256 its row records (replaced or damaged)"
        return [(DocumentProblemKind.CHANGED, detail)]
    return []


def audit_problems(
    document: StoredDocumentFacts, attached: list[AttachRecord]
) -> list[tuple[DocumentProblemKind, str]]:
    """What is wrong with the audit rows that recorded a document being attached: none, or
    none intact that records its SHA-256 and size (empty: the trail vouches for it, or it was
    attached before the trail carried hashes)."""
    hashed = [r for r in attached if r.sha256 is not None]
    if not attached:
        return [(DocumentProblemKind.NOT_AUDITED, "no audit row records it being attached")]
    matching = [
        r for r in hashed if (r.sha256, r.size_bytes) == (document.sha256, document.size_bytes)
    ]
    if not hashed or any(r.intact for r in matching):
        return []  # vouched for (or attached before the trail carried hashes)
    if matching:
        return [(DocumentProblemKind.NOT_AUDITED, "the audit row of its attachment was edited")]
    detail = "its SHA-256 and size are not the ones the audit trail recorded when it was attached"
    return [(DocumentProblemKind.NOT_AUDITED, detail)]
