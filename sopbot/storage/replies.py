"""Direct replies that Telegram would not take now, kept in the outbox to be delivered later."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select

from sopbot.messaging.outgoing import MessageKind, OutboxMessage
from sopbot.storage.database import Database
from sopbot.storage.models import MemberRow
from sopbot.storage.outbox import add_messages


def queue_reply(
    database: Database,
    chat_id: int,
    texts: Sequence[str],
    keyboard: list[list[dict[str, str]]] | None,
    now: dt.datetime,
) -> bool:
    """Put the texts (the keyboard under the last) in the outbox of the member whose private
    chat this is; False when the chat is nobody's (a stranger: nothing of theirs is stored)."""
    with database.unit_of_work() as uow:
        member_id = uow.session.exec(
            select(MemberRow.id).where(col(MemberRow.telegram_user_id) == chat_id)
        ).first()
        if member_id is None:
            return False
        messages = []
        for index, text in enumerate(texts):
            payload: dict[str, Any] = {"text": text}
            if keyboard and index == len(texts) - 1:
                payload["keyboard"] = keyboard
            messages.append(OutboxMessage(member_id, MessageKind.MESSAGE, payload, now))
        add_messages(uow, messages)
    return True
