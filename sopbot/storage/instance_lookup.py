"""Finding instances and what they hold, for the procedure commands: which ones run in an
agency, which hold a member's live work, which document a disposition already has, and which
disposition a bot message shows."""

from __future__ import annotations

import uuid

from sqlmodel import col, select

from sopbot.engine.instance import LIVE_DISPOSITION_STATES, InstanceState
from sopbot.storage.models import DispositionRow, DocumentRow, InstanceRow, OutboxRow
from sopbot.storage.unit_of_work import UnitOfWork


def running_in_agency(uow: UnitOfWork, agency_id: int) -> list[uuid.UUID]:
    """The ids of the agency's running instances."""
    return list(
        uow.session.exec(
            select(InstanceRow.id).where(
                InstanceRow.agency_id == agency_id,
                InstanceRow.state == InstanceState.RUNNING.value,
            )
        ).all()
    )


def with_live_work_of(uow: UnitOfWork, member_id: int) -> list[uuid.UUID]:
    """The ids of the instances in which a disposition waits for the member."""
    return list(
        uow.session.exec(
            select(DispositionRow.instance_id)
            .where(DispositionRow.assignee_id == member_id)
            .where(col(DispositionRow.state).in_([s.value for s in LIVE_DISPOSITION_STATES]))
            .distinct()
        ).all()
    )


def live_dispositions_of(uow: UnitOfWork, member_id: int) -> set[uuid.UUID]:
    """The ids of the dispositions that wait for the member."""
    return set(
        uow.session.exec(
            select(DispositionRow.id)
            .where(DispositionRow.assignee_id == member_id)
            .where(col(DispositionRow.state).in_([s.value for s in LIVE_DISPOSITION_STATES]))
        ).all()
    )


def attached_with_content(
    uow: UnitOfWork, disposition_id: uuid.UUID, sha256: str
) -> uuid.UUID | None:
    """The document with this content already attached to the disposition, if any."""
    return uow.session.exec(
        select(DocumentRow.id)
        .where(DocumentRow.disposition_id == disposition_id)
        .where(DocumentRow.sha256 == sha256)
    ).first()


def disposition_shown_in(uow: UnitOfWork, chat_id: int, message_id: int) -> uuid.UUID | None:
    """The disposition that the bot's message in a chat shows, if it shows one."""
    return uow.session.exec(
        select(OutboxRow.disposition_id).where(
            OutboxRow.chat_id == chat_id,
            OutboxRow.telegram_message_id == message_id,
            col(OutboxRow.disposition_id).is_not(None),
        )
    ).first()
