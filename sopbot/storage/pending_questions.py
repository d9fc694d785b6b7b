"""The one open question the bot has asked each member (a reason, a title, which task a file
is for), kept in the database so a restart between the question and its answer loses nothing.

Each function takes the caller's `UnitOfWork`; `sopbot.services.pending` decides what is asked,
for how long, and what an expired question means.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sopbot.storage.models import PendingInputRow
from sopbot.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class StoredQuestion:
    """A member's open question as stored: its kind, what its answer needs, when it expires."""

    kind: str
    payload: dict[str, Any]
    expires_at: dt.datetime


def question_of(uow: UnitOfWork, member_id: int) -> StoredQuestion | None:
    """The member's open question, if there is one (expired or not)."""
    row = uow.session.get(PendingInputRow, member_id)
    if row is None:
        return None
    return StoredQuestion(row.kind, dict(row.payload), row.expires_at)


def put_question(
    uow: UnitOfWork,
    member_id: int,
    kind: str,
    payload: Mapping[str, Any],
    *,
    asked_at: dt.datetime,
    expires_at: dt.datetime,
) -> None:
    """Store the member's open question, replacing any earlier one."""
    row = uow.session.get(PendingInputRow, member_id)
    if row is None:
        row = PendingInputRow(
            member_id=member_id,
            kind=kind,
            payload=dict(payload),
            created_at=asked_at,
            expires_at=expires_at,
        )
    else:
        row.kind, row.payload = kind, dict(payload)
        row.created_at, row.expires_at = asked_at, expires_at
    uow.session.add(row)


def replace_payload(uow: UnitOfWork, member_id: int, payload: Mapping[str, Any]) -> None:
    """Give the member's open question a new payload, keeping its kind and expiry."""
    row = uow.session.get(PendingInputRow, member_id)
    if row is not None:
        row.payload = dict(payload)
        uow.session.add(row)


def forget_question(uow: UnitOfWork, member_id: int) -> None:
    """Remove the member's open question, if there is one."""
    row = uow.session.get(PendingInputRow, member_id)
    if row is not None:
        uow.session.delete(row)
