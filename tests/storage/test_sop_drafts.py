"""One open SOP draft per admin, kept by the database (migration 0014), on both dialects."""

from __future__ import annotations

import datetime as dt

import pytest

from sopbot.storage import sop_drafts
from sopbot.storage.agencies import add_agency
from sopbot.storage.database import Database
from sopbot.storage.errors import ConcurrentUpdate
from sopbot.storage.members import add_member
from sopbot.storage.sop_drafts import DraftStatus, NewDraft

NOW = dt.datetime(2026, 12, 16, 9, tzinfo=dt.UTC)


def add_agency_with_member(database: Database) -> tuple[int, int]:
    with database.unit_of_work() as uow:
        agency_id = add_agency(
            uow, key="dinas-contoh", name="Dinas Contoh", timezone="Asia/Jakarta", created_at=NOW
        )
        member_id = add_member(uow, agency_id=agency_id, name="Nur", created_at=NOW, is_admin=True)
    return agency_id, member_id


def new_draft(agency_id: int, member_id: int) -> NewDraft:
    return NewDraft(agency_id, member_id, "sop.docx", "0" * 64, "k", "docx", "sop", "x", {})


def test_a_second_open_draft_of_one_admin_is_refused(database: Database) -> None:
    agency_id, member_id = add_agency_with_member(database)
    with database.unit_of_work() as uow:
        first = sop_drafts.add_draft(uow, new_draft(agency_id, member_id), NOW)
    with pytest.raises(ConcurrentUpdate), database.unit_of_work() as uow:
        sop_drafts.add_draft(uow, new_draft(agency_id, member_id), NOW)
    # Once the first is closed, the admin may open another.
    with database.unit_of_work() as uow:
        sop_drafts.update_draft(uow, first, at=NOW, status=DraftStatus.CANCELLED)
        sop_drafts.add_draft(uow, new_draft(agency_id, member_id), NOW)
        assert len(sop_drafts.open_drafts_of(uow, member_id)) == 1
