"""A member's task list: the dispositions waiting for them, as /tugas and every "which task?"
question read it (one indexed query, compiled once: see storage.prepared)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from sopbot.engine.instance import LIVE_DISPOSITION_STATES
from sopbot.engine.letters import Letter
from sopbot.storage.letters import letter_of
from sopbot.storage.models import DispositionRow, InstanceRow, StepRunRow
from sopbot.storage.prepared import PreparedQuery, RawConnection
from sopbot.storage.statements import table_of


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One disposition waiting for a member: what /tugas lists."""

    disposition_id: uuid.UUID
    step_run_id: uuid.UUID
    instance_id: uuid.UUID
    instance_number: int
    title: str
    sop_id: str
    step_number: int
    round: int
    state: str
    received_at: dt.datetime
    due_at: dt.datetime | None
    acting: str | None
    acting_for_id: int | None
    # What a task list needs to describe the step and count its lateness, read with it.
    agency_id: int
    sop_version_id: int
    # The letter the procedure is about (migration 0016): /tugas names it.
    letter_number: str | None = None
    letter_date: dt.date | None = None
    letter_sender: str | None = None

    @property
    def letter(self) -> Letter | None:
        """The letter the task's procedure is about, if it has one."""
        return letter_of(self)


_DISPOSITION = table_of(DispositionRow)
_STEP_RUN = table_of(StepRunRow)
_INSTANCE = table_of(InstanceRow)
_INBOX_QUERY = PreparedQuery(
    select(
        _DISPOSITION.c.id,
        _STEP_RUN.c.id,
        _INSTANCE.c.id,
        _INSTANCE.c.number,
        _INSTANCE.c.title,
        _INSTANCE.c.sop_id,
        _STEP_RUN.c.step_number,
        _STEP_RUN.c.round,
        _DISPOSITION.c.state,
        _DISPOSITION.c.created_at,
        _STEP_RUN.c.due_at,
        _DISPOSITION.c.acting,
        _DISPOSITION.c.acting_for_id,
        _INSTANCE.c.agency_id,
        _INSTANCE.c.sop_version_id,
        _INSTANCE.c.letter_number,
        _INSTANCE.c.letter_date,
        _INSTANCE.c.letter_sender,
    )
    .join(_STEP_RUN, _STEP_RUN.c.id == _DISPOSITION.c.step_run_id)
    .join(_INSTANCE, _INSTANCE.c.id == _DISPOSITION.c.instance_id)
    .where(_DISPOSITION.c.assignee_id == bindparam("member_id"))
    .where(_DISPOSITION.c.state.in_([s.value for s in LIVE_DISPOSITION_STATES]))
    .order_by(_DISPOSITION.c.created_at)
)


def inbox_of(connection: RawConnection, member_id: int) -> list[InboxItem]:
    """A member's live dispositions, oldest first, read in the connection's transaction."""
    return [InboxItem(*row) for row in _INBOX_QUERY.rows(connection, {"member_id": member_id})]
