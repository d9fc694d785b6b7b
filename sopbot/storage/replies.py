"""Direct replies that Telegram would not take now, kept in the outbox to be delivered later."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select

from sopbot.storage.database import Database
from sopbot.storage.models import MemberRow, OutboxRow


def queue_reply(
    database: Database,
    chat_id: int,
    texts: Sequence[str],
    keyboard: list[list[dict[str, str]]] | None,
    now: dt.datetime,
) -> bool:
    """Put the texts (the keyboard under the last) in the outbox of the member whose private
    chat this is; False when the chat is nobody's (a stranger: nothing of theirs is stored)."""
    with database.transaction() as session:
        member_id = session.exec(
            select(MemberRow.id).where(col(MemberRow.telegram_user_id) == chat_id)
        ).first()
        if member_id is None:
            return False
        for index, text in enumerate(texts):
            payload: dict[str, Any] = {"text": text}
            if keyboard and index == len(texts) - 1:
                payload["keyboard"] = keyboard
            session.add(
                OutboxRow(created_at=now, member_id=member_id, kind="message", payload=payload)
            )
    return True
