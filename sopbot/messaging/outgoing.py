"""What the bot will say, as plain values: the messages put in the outbox for the sender.

The renderers return these; `sopbot.storage.outbox.add_messages` is the one writer that turns
them into outbox rows, in the transaction of the change that caused them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class MessageKind(StrEnum):
    """What the sender does with an outbox message."""

    MESSAGE = "message"  # sendMessage
    DOCUMENT = "document"  # sendDocument, the file read from the document store
    EDIT = "edit"  # editMessageText of a disposition's message (see OutboxMessage)


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One message to queue for a member, delivered in order after the change commits.

    `payload` is what the sender needs (the text and keyboard; for a document its storage key,
    name and caption). A message or document about a disposition names it in `disposition_id`,
    so that later changes can edit it and the files a member was sent can be found. An EDIT
    changes the first message queued for `disposition_id`: the writer finds that message, and
    drops the edit when there is none (the disposition was never shown).
    """

    member_id: int
    kind: MessageKind
    payload: dict[str, Any]
    created_at: dt.datetime
    disposition_id: uuid.UUID | None = None
