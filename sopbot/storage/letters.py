"""The letter of a procedure in its instance row (migration 0016): the three columns
letter_number, letter_date and letter_sender as one `Letter`, and back.

The instance store reads and writes them with the rest of the instance; the reports and the
views read them through `letter_of` (one row) or `letters_of` (many instances at once).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from sopbot.engine.letters import Letter
from sopbot.storage.models import InstanceRow
from sopbot.storage.statements import table_of
from sopbot.storage.unit_of_work import UnitOfWork

_INSTANCE = table_of(InstanceRow)


def letter_of(row: Any) -> Letter | None:
    """The letter an instance row (or any row with its three letter columns) names; None when
    it has no letter number."""
    number = row.letter_number
    if number is None or not str(number).strip():
        return None
    return Letter(str(number), row.letter_date, row.letter_sender)


def letter_columns(letter: Letter | None) -> dict[str, Any]:
    """A letter as the instance's three columns (all None without a letter)."""
    return {
        "letter_number": letter.number if letter else None,
        "letter_date": letter.date if letter else None,
        "letter_sender": letter.sender if letter else None,
    }


def letters_of(uow: UnitOfWork, instance_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Letter]:
    """The letters of these instances, by instance id (those without a letter are left out)."""
    ids = sorted(set(instance_ids), key=str)
    if not ids:
        return {}
    rows = uow.session.execute(
        select(
            _INSTANCE.c.id,
            _INSTANCE.c.letter_number,
            _INSTANCE.c.letter_date,
            _INSTANCE.c.letter_sender,
        )
        .where(_INSTANCE.c.id.in_(ids))
        .where(_INSTANCE.c.letter_number.is_not(None))
    )
    found = {row.id: letter_of(row) for row in rows}
    return {instance_id: letter for instance_id, letter in found.items() if letter is not None}
