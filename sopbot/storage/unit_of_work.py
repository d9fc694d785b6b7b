"""One transaction as the services see it: the stores of sopbot, without SQL.

A service opens a `UnitOfWork` with `Database.unit_of_work()` (or receives one from the
command runner), calls the repositories of `sopbot.storage` with it, and never touches the
session inside: SQLAlchemy and SQLModel are imported in `sopbot/storage/` only (a test
enforces it). The repositories reach the session as `uow.session`.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlmodel import Session


class UnitOfWork:
    """One open transaction: committed when the block that opened it ends without an error,
    rolled back otherwise. `read_only` units take no write lock (see `Database.reading`)."""

    __slots__ = ("read_only", "session")

    def __init__(self, session: Session, *, read_only: bool = False) -> None:
        self.session = session
        self.read_only = read_only

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call `callback` once this transaction has committed, and never if it rolls back
        (a command retried after a conflict runs its work again: only the committed attempt
        counts). It runs in the committing thread, after the commit: it must not fail."""
        event.listen(self.session, "after_commit", lambda _session: callback(), once=True)
