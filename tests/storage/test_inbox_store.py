"""The inbox's rows: stored once, read back in order, retried a bounded number of times."""

from __future__ import annotations

import datetime as dt

from sopbot.storage import inbox_store
from sopbot.storage.database import Database
from sopbot.storage.inbox_store import ArrivedUpdate

NOW = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def arrived(update_id: int, chat_id: int | None, digest: str = "") -> ArrivedUpdate:
    return ArrivedUpdate(
        update_id=update_id,
        digest=digest or f"digest-{update_id}",
        chat_id=chat_id,
        payload={"update_id": update_id},
    )


def test_updates_are_stored_once_and_handed_out_until_done(database: Database) -> None:
    with database.unit_of_work() as uow:
        stored = inbox_store.store_new(uow, [arrived(1, 10), arrived(2, 20), arrived(3, None)], NOW)
    assert sorted(stored) == [1, 2, 3]
    first, second, third = stored[1], stored[2], stored[3]
    with database.unit_of_work() as uow:
        # A redelivery is skipped; a reused update id with other content is a new update.
        again = inbox_store.store_new(uow, [arrived(2, 20), arrived(1, 10, "other")], NOW)
    assert list(again) == [1]
    reused = again[1]
    assert inbox_store.payloads(database, [first, third]) == {
        first: {"update_id": 1},
        third: {"update_id": 3},
    }
    with database.unit_of_work() as uow:
        inbox_store.count_failed_attempt(uow, second, "boom " * 200)
        inbox_store.count_failed_attempt(uow, second, "boom")
        inbox_store.mark_processed(uow, [first], NOW)
    with database.unit_of_work(read_only=True) as uow:
        everything = inbox_store.pending(uow, after=0, limit=10, max_attempts=3)
        assert everything == [(second, 20), (third, None), (reused, 10)]
        assert inbox_store.pending(uow, after=second, limit=1, max_attempts=3) == [(third, None)]
        # Tried twice: with two tries allowed it is owed no more.
        assert [i for i, _ in inbox_store.pending(uow, after=0, limit=10, max_attempts=2)] == [
            third,
            reused,
        ]
        assert inbox_store.unprocessed_count(uow, max_attempts=3) == 3
        assert inbox_store.unprocessed_count(uow, max_attempts=2) == 2
    with database.unit_of_work() as uow:
        inbox_store.mark_processed(uow, [first, second, third, reused], NOW)
    with database.unit_of_work(read_only=True) as uow:
        assert inbox_store.unprocessed_count(uow, max_attempts=3) == 0
