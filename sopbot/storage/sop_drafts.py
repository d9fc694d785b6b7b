"""SOP drafts under review in Telegram: an admin's imported document, the draft definition as
imported and as decided so far, and the review's state (migration 0013).

Each function takes the caller's `UnitOfWork`; `sopbot.services.sop_imports` decides what a
review may do next.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import col, select

from sopbot.storage.models import SopDraftRow
from sopbot.storage.unit_of_work import UnitOfWork


class DraftStatus(StrEnum):
    """Where a draft stands."""

    OPEN = "open"  # under review
    INSTALLED = "installed"  # installed as a version of its SOP
    CANCELLED = "cancelled"  # the admin stopped it, or imported another document


@dataclass(frozen=True, slots=True)
class StoredDraft:
    """A draft as stored."""

    id: int
    agency_id: int
    member_id: int
    file_name: str
    file_sha256: str
    storage_key: str
    kind: str
    name: str
    imported_text: str
    draft_text: str
    review: dict[str, Any]
    status: DraftStatus
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NewDraft:
    """What an import gives a new draft."""

    agency_id: int
    member_id: int
    file_name: str
    file_sha256: str
    storage_key: str
    kind: str
    name: str
    text: str
    review: dict[str, Any]


def add_draft(uow: UnitOfWork, new: NewDraft, at: dt.datetime) -> int:
    """Store a new open draft; its id."""
    row = SopDraftRow(
        agency_id=new.agency_id,
        member_id=new.member_id,
        file_name=new.file_name,
        file_sha256=new.file_sha256,
        storage_key=new.storage_key,
        kind=new.kind,
        name=new.name,
        imported_text=new.text,
        draft_text=new.text,
        review=dict(new.review),
        status=DraftStatus.OPEN.value,
        created_at=at,
        updated_at=at,
    )
    uow.session.add(row)
    uow.session.flush()
    assert row.id is not None  # noqa: S101 - flushed
    return row.id


def draft(uow: UnitOfWork, draft_id: int, *, for_update: bool = False) -> StoredDraft | None:
    """The draft with this id (locked for this transaction when asked), if there is one."""
    query = select(SopDraftRow).where(col(SopDraftRow.id) == draft_id)
    if for_update:
        query = query.with_for_update()
    row = uow.session.exec(query).first()
    return None if row is None else _stored(row)


def open_drafts_of(uow: UnitOfWork, member_id: int, *, lock: bool = True) -> list[StoredDraft]:
    """The member's open drafts, oldest first (at most one: migration 0014's index), locked
    for this transaction unless `lock` is False."""
    query = (
        select(SopDraftRow)
        .where(
            col(SopDraftRow.member_id) == member_id,
            col(SopDraftRow.status) == DraftStatus.OPEN.value,
        )
        .order_by(col(SopDraftRow.id))
    )
    if lock:
        query = query.with_for_update()
    rows = uow.session.exec(query).all()
    return [_stored(row) for row in rows]


def update_draft(
    uow: UnitOfWork,
    draft_id: int,
    *,
    at: dt.datetime,
    draft_text: str | None = None,
    review: dict[str, Any] | None = None,
    status: DraftStatus | None = None,
) -> None:
    """Change a draft's text, review state or status."""
    row = uow.session.get(SopDraftRow, draft_id)
    if row is None:
        raise LookupError(f"no SOP draft {draft_id}")
    if draft_text is not None:
        row.draft_text = draft_text
    if review is not None:
        row.review = dict(review)
    if status is not None:
        row.status = status.value
    row.updated_at = at
    uow.session.add(row)
    uow.session.flush()


def _stored(row: SopDraftRow) -> StoredDraft:
    assert row.id is not None  # noqa: S101 - read from the database
    return StoredDraft(
        id=row.id,
        agency_id=row.agency_id,
        member_id=row.member_id,
        file_name=row.file_name,
        file_sha256=row.file_sha256,
        storage_key=row.storage_key,
        kind=row.kind,
        name=row.name,
        imported_text=row.imported_text,
        draft_text=row.draft_text,
        review=dict(row.review),
        status=DraftStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
