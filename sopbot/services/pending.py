"""What the bot is waiting for from a member (a reason, a title, which task a file is for).

Kept in the database, so a restart between the question and the answer loses nothing; one
question at a time per member, and a question expires after a while.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sopbot.services.commands import Clock, utc_now
from sopbot.storage.database import Database
from sopbot.storage.pending_questions import (
    StoredQuestion,
    forget_question,
    put_question,
    question_of,
    replace_payload,
)

PENDING_TTL = dt.timedelta(hours=12)
PROMPT_KEY = "prompt_message_id"  # in a question's payload: the message that asks it


@dataclass(frozen=True, slots=True)
class PendingInput:
    """A question waiting for its answer."""

    kind: str
    payload: dict[str, Any]
    expired: bool

    @property
    def prompt_message_id(self) -> int | None:
        """The message that asked the question, when it was recorded."""
        found = self.payload.get(PROMPT_KEY)
        return found if isinstance(found, int) else None


class PendingInputs:
    """Set, read and clear the one open question of each member (stored through
    `sopbot.storage.pending_questions`)."""

    def __init__(self, database: Database, *, clock: Clock = utc_now) -> None:
        self.database = database
        self.clock = clock

    def ask(self, member_id: int, kind: str, payload: dict[str, Any]) -> None:
        """Wait for the member's next text (replacing any earlier question)."""
        now = self.clock()
        with self.database.unit_of_work() as uow:
            put_question(uow, member_id, kind, payload, asked_at=now, expires_at=now + PENDING_TTL)

    def shown(self, member_id: int, kind: str, message_id: int) -> None:
        """Remember the message that asks the open question (if it is still this one), so its
        buttons can be taken off once it is answered."""
        with self.database.unit_of_work() as uow:
            question = question_of(uow, member_id)
            if question is not None and question.kind == kind:
                replace_payload(uow, member_id, {**question.payload, PROMPT_KEY: message_id})

    def take(self, member_id: int) -> PendingInput | None:
        """The member's open question, removed (answered now, or expired)."""
        with self.database.unit_of_work() as uow:
            question = question_of(uow, member_id)
            if question is None:
                return None
            forget_question(uow, member_id)
        return self._waiting(question)

    def peek(self, member_id: int) -> PendingInput | None:
        """The member's open question, left in place."""
        with self.database.unit_of_work(read_only=True) as uow:
            question = question_of(uow, member_id)
        return None if question is None else self._waiting(question)

    def clear(self, member_id: int) -> None:
        """Forget the member's open question."""
        with self.database.unit_of_work() as uow:
            forget_question(uow, member_id)

    def _waiting(self, question: StoredQuestion) -> PendingInput:
        return PendingInput(question.kind, question.payload, question.expires_at <= self.clock())
