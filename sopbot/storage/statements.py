"""Running Core statements built once, on the session's connection.

The hot paths (a command's load and save, its routing, outbox and audit rows) use statements
built at import with bind parameters instead of ORM queries built per call: SQLAlchemy then finds
the compiled form by a cache key it computes once per statement object, and no ORM object is made
or tracked for rows that are only read into engine values or only written. Per statement that is
a fraction of the ORM's cost (bench.transitions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import CursorResult, Executable, Table
from sqlmodel import Session, SQLModel


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a SQLModel table class."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def execute(
    session: Session,
    statement: Executable,
    parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
) -> CursorResult[Any]:
    """Execute a Core statement in the session's transaction (a list of parameter sets:
    executemany, the rows in the order given).

    Pending ORM changes are flushed first, as an ORM query would (unless autoflush is off), so
    a statement sees what the caller added before it: e.g. the holding an appointment added,
    when the reconciliation that follows routes the open steps. A clean session costs a check.
    """
    if session.autoflush:
        session.flush()
    result: CursorResult[Any] = session.connection().execute(statement, parameters)
    return result
