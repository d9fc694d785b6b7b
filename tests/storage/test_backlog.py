"""The backlog the operations metrics show: what waits in the outbox and the inbox, and since
when."""

from __future__ import annotations

import datetime as dt

from sopbot.storage.backlog import Backlog, backlog, owed_work
from sopbot.storage.database import Database
from tests.helpers.backlog_rows import a_member, queue_messages, store_updates

NOW = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def test_nothing_waits_in_a_new_database(database: Database) -> None:
    assert backlog(database) == Backlog(0, None, 0, None)


def test_the_unsent_and_unhandled_rows_are_counted_with_their_oldest(database: Database) -> None:
    member = a_member(database, NOW)
    queue_messages(
        database,
        member,
        (NOW - 9 * MINUTE, "sent"),  # older, but delivered: not waiting
        (NOW - 7 * MINUTE, "failed"),  # given up: not waiting either
        (NOW - 5 * MINUTE, "sending"),  # taken by a sender, not yet recorded
        (NOW - 3 * MINUTE, "pending"),
        (NOW - 1 * MINUTE, "pending"),
    )
    store_updates(database, (NOW - 8 * MINUTE, True), (NOW - 4 * MINUTE, False), (NOW, False))

    found = backlog(database)

    assert found == Backlog(
        outbox_unsent=3,
        oldest_unsent_at=NOW - 5 * MINUTE,
        inbox_unprocessed=2,
        oldest_unprocessed_at=NOW - 4 * MINUTE,
    )
    assert owed_work(database) == 3 + 2  # the demo's wait reads the same rows
