"""Core statements built once, run on the session's connection, and the tables behind models.

The hot paths run statements built at import with bind parameters. Most are prepared
(`storage/prepared.py`: compiled once, run on the driver's cursor); the ones that need
SQLAlchemy at each run (the inbox's batch INSERT with RETURNING, the processed mark with its
IN list) run here, where SQLAlchemy finds their compiled form by a cache key it computes once
per statement object, and no ORM object is made or tracked for the rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import CursorResult, Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
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


def insert_skipping_duplicates(session: Session, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `table` in the session's dialect, ready for `.on_conflict_do_nothing()`:
    a row that hits a unique key is skipped instead of failing the transaction (and waits for
    a concurrent writer of the same key first)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"INSERT ... ON CONFLICT is not implemented for {dialect}")
