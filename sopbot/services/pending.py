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
from sopbot.storage.models import PendingInputRow

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
    """Set, read and clear the one open question of each member."""

    def __init__(self, database: Database, *, clock: Clock = utc_now) -> None:
        self.database = database
        self.clock = clock

    def ask(self, member_id: int, kind: str, payload: dict[str, Any]) -> None:
        """Wait for the member's next text (replacing any earlier question)."""
        now = self.clock()
        with self.database.transaction() as session:
            row = session.get(PendingInputRow, member_id)
            if row is None:
                row = PendingInputRow(
                    member_id=member_id,
                    kind=kind,
                    payload=payload,
                    created_at=now,
                    expires_at=now + PENDING_TTL,
                )
            else:
                row.kind, row.payload = kind, payload
                row.created_at, row.expires_at = now, now + PENDING_TTL
            session.add(row)

    def shown(self, member_id: int, kind: str, message_id: int) -> None:
        """Remember the message that asks the open question (if it is still this one), so its
        buttons can be taken off once it is answered."""
        with self.database.transaction() as session:
            row = session.get(PendingInputRow, member_id)
            if row is not None and row.kind == kind:
                row.payload = {**row.payload, PROMPT_KEY: message_id}
                session.add(row)

    def take(self, member_id: int) -> PendingInput | None:
        """The member's open question, removed (answered now, or expired)."""
        with self.database.transaction() as session:
            row = session.get(PendingInputRow, member_id)
            if row is None:
                return None
            session.delete(row)
            return PendingInput(row.kind, dict(row.payload), row.expires_at <= self.clock())

    def peek(self, member_id: int) -> PendingInput | None:
        """The member's open question, left in place."""
        with self.database.reading() as session:
            row = session.get(PendingInputRow, member_id)
            if row is None:
                return None
            return PendingInput(row.kind, dict(row.payload), row.expires_at <= self.clock())

    def clear(self, member_id: int) -> None:
        """Forget the member's open question."""
        with self.database.transaction() as session:
            row = session.get(PendingInputRow, member_id)
            if row is not None:
                session.delete(row)
