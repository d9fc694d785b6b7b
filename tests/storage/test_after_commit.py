"""`UnitOfWork.after_commit`: what must happen only once a transaction's effects are kept (the
metrics' count of transitions) happens after the commit, and never for a rollback."""

from __future__ import annotations

import datetime as dt

import pytest

from sopbot.storage.database import Database
from tests.helpers.backlog_rows import a_member

NOW = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)


def test_it_runs_once_the_transaction_commits(database: Database) -> None:
    seen: list[str] = []
    with database.unit_of_work() as uow:
        uow.after_commit(lambda: seen.append("committed"))
        assert seen == []  # not while the transaction is open
    assert seen == ["committed"]
    with database.unit_of_work() as uow:
        pass
    assert seen == ["committed"]  # once: the next transaction on the pool does not repeat it


def test_it_never_runs_when_the_transaction_rolls_back(database: Database) -> None:
    seen: list[str] = []

    def failing_command() -> None:
        with database.unit_of_work() as uow:
            uow.after_commit(lambda: seen.append("committed"))
            raise RuntimeError("the command failed")

    with pytest.raises(RuntimeError, match="the command failed"):
        failing_command()
    assert seen == []
    a_member(database, NOW)  # the database is as usable as before
    assert seen == []
