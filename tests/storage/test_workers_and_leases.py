"""The worker registry and the inbox's chat leases, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from sopbot.storage import chat_leases, workers
from sopbot.storage.database import Database
from sopbot.storage.inbox_store import ArrivedUpdate, mark_processed, store_new
from sopbot.storage.process_locks import HeldLock, LockKey

NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)


def _two_workers(database: Database) -> tuple[int, int]:
    with database.unit_of_work() as uow:
        return (
            workers.register(uow, name="host:1", mode="webhook", now=NOW),
            workers.register(uow, name="host:2", mode="webhook", now=NOW),
        )


def _claim(database: Database, chats: list[int], owner: int, now: dt.datetime = NOW) -> set[int]:
    with database.unit_of_work() as uow:
        return chat_leases.claim(uow, chats, owner=owner, now=now, until=now + LEASE)


def test_a_chat_is_one_workers_until_its_lease_runs_out_or_is_given_back(
    database: Database,
) -> None:
    first, second = _two_workers(database)
    assert _claim(database, [10, 11, chat_leases.NO_CHAT], first) == {10, 11, 0}
    # Held by the first: the second takes only the chat nobody holds.
    assert _claim(database, [11, 12], second) == {12}
    # The holder may claim again (it renews); nothing changes hands.
    assert _claim(database, [11], first) == {11}
    # Run out: the second takes it.
    assert _claim(database, [11], second, NOW + LEASE + dt.timedelta(seconds=1)) == {11}
    # Given back: free at once; a release by a worker that does not hold it does nothing.
    with database.unit_of_work() as uow:
        chat_leases.release(uow, [10], owner=second)
    assert _claim(database, [10], second) == set()
    with database.unit_of_work() as uow:
        chat_leases.release(uow, [10], owner=first)
    assert _claim(database, [10], second) == {10}


def test_renewing_keeps_a_lease_past_its_first_end(database: Database) -> None:
    first, second = _two_workers(database)
    _claim(database, [5], first)
    with database.unit_of_work() as uow:
        chat_leases.renew(uow, [5], owner=first, until=NOW + 3 * LEASE)
    assert _claim(database, [5], second, NOW + 2 * LEASE) == set()
    with database.unit_of_work() as uow:
        chat_leases.release_all(uow, owner=first)
    assert _claim(database, [5], second, NOW + 2 * LEASE) == {5}


def test_the_pending_updates_of_claimed_chats_come_in_arrival_order(database: Database) -> None:
    with database.unit_of_work() as uow:
        stored = store_new(
            uow,
            [
                ArrivedUpdate(1, "a" * 64, 7, {"update_id": 1}),
                ArrivedUpdate(2, "b" * 64, 8, {"update_id": 2}),
                ArrivedUpdate(3, "c" * 64, 7, {"update_id": 3}),
                ArrivedUpdate(4, "d" * 64, None, {"update_id": 4}),
            ],
            NOW,
        )
        mark_processed(uow, [stored[1]], NOW)
    with database.unit_of_work() as uow:
        pending = chat_leases.pending_of(uow, [7, chat_leases.NO_CHAT], max_attempts=3)
    assert pending == [(stored[3], 7), (stored[4], chat_leases.NO_CHAT)]


def test_the_registry_counts_the_workers_that_beat_lately(database: Database) -> None:
    first, second = _two_workers(database)
    later = NOW + dt.timedelta(seconds=60)
    with database.unit_of_work() as uow:
        workers.beat(uow, first, name="host:1", mode="webhook", now=later)
        assert workers.live_count(uow, since=later - dt.timedelta(seconds=30)) == 1
        assert workers.forget_stale(uow, before=later - dt.timedelta(seconds=30)) == 1
    with database.unit_of_work() as uow:
        # The second comes back after it was taken for dead: its row again, same id.
        workers.beat(uow, second, name="host:2", mode="polling", now=later)
    with database.unit_of_work() as uow:
        live = workers.live(uow, since=later)
        assert [(w.id, w.mode) for w in live] == [(first, "webhook"), (second, "polling")]
        workers.forget(uow, first)
        assert workers.live_count(uow, since=later) == 1


def test_one_process_at_a_time_holds_a_lock(postgres_database: Database) -> None:
    one = HeldLock(postgres_database, LockKey.LEADER)
    other = HeldLock(postgres_database, LockKey.LEADER)
    assert one.try_take()
    assert not other.try_take()
    assert one.still_held()
    one.release()
    assert not one.held
    assert other.try_take()
    other.release()


@pytest.fixture
def postgres_database(database: Database) -> Database:
    if database.is_sqlite:
        pytest.skip("advisory locks are PostgreSQL's (SQLite is one process)")
    return database
