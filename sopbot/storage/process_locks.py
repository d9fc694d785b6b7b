"""Locks between sopbot processes sharing one database, held by a process while it lives.

PostgreSQL: session-level advisory locks, each on a connection of its own, so the lock goes
when the process dies (kill -9 included: the server sees the connection close). SQLite is
served by one process: a second `sopbot run` on the same file is refused by an exclusive lock
on a file beside it (`fcntl.flock`, released by the kernel when the process dies).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from enum import IntEnum
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import Connection

from sopbot.storage.database import Database

_SCHEMA = "hashtext(current_schema())"


class LockKey(IntEnum):
    """The advisory locks sopbot takes: each is taken as (this key, the schema's hash), so
    bots in different schemas of one database (the tests do this) do not share them."""

    START_UP = 0x50B70001  # migrations, sealing, the SOP folder's sync: one process at a time
    LEADER = 0x50B70002  # the worker that runs the timed jobs only one may run
    POLLER = 0x50B70003  # the one process that long-polls Telegram


class HeldLock:
    """An advisory lock held on a connection of its own until `release` (or the process
    ends); `still_held` checks the connection is alive (a lost connection lost the lock)."""

    def __init__(self, database: Database, key: LockKey) -> None:
        self.database = database
        self.key = key
        self._connection: Connection | None = None

    @property
    def held(self) -> bool:
        """Whether this process holds the lock (as far as it knows)."""
        return self._connection is not None

    def try_take(self) -> bool:
        """Take the lock if no other process holds it; whether it is held now."""
        if self._connection is not None:
            return True
        connection = self.database.engine.connect()
        try:
            taken = connection.execute(
                text(f"SELECT pg_try_advisory_lock(:key, {_SCHEMA})"), {"key": int(self.key)}
            ).scalar_one()
            connection.commit()
        except Exception:
            connection.close()
            raise
        if not taken:
            connection.close()
            return False
        self._connection = connection
        return True

    def still_held(self) -> bool:
        """Whether the lock's connection still answers; when it does not, the lock is let go
        (the server released it with the connection)."""
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1")).scalar_one()
            self._connection.commit()
        except Exception:
            self._drop()
            return False
        return True

    def release(self) -> None:
        """Let the lock go."""
        if self._connection is None:
            return
        with contextlib.suppress(Exception):
            self._connection.execute(
                text(f"SELECT pg_advisory_unlock(:key, {_SCHEMA})"), {"key": int(self.key)}
            )
            self._connection.commit()
        self._drop()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.invalidate()  # never back into the pool with a lock on it
                connection.close()


@contextlib.contextmanager
def one_at_a_time(database: Database, key: LockKey) -> Iterator[None]:
    """Run the block while holding `key`, waiting for any other process that holds it
    (PostgreSQL); on SQLite, which one process serves, just run it."""
    if database.is_sqlite:
        yield
        return
    with database.engine.connect() as connection:
        connection.execute(text(f"SELECT pg_advisory_lock(:key, {_SCHEMA})"), {"key": int(key)})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(
                text(f"SELECT pg_advisory_unlock(:key, {_SCHEMA})"), {"key": int(key)}
            )
            connection.commit()


class SqliteInUse(Exception):
    """Another process serves this SQLite database."""


def lock_sqlite_file(database: Database) -> IO[bytes] | None:
    """Hold an exclusive lock on `<database file>.lock` for the life of the process; None
    for an in-memory or server database. SqliteInUse when another process holds it."""
    if not database.is_sqlite or not database.url.database or database.url.database == ":memory:":
        return None
    path = Path(database.url.database).with_name(Path(database.url.database).name + ".lock")
    handle = path.open("ab")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as held:
        handle.close()
        raise SqliteInUse(str(path)) from held
    handle.truncate(0)
    handle.write(f"{os.getpid()}\n".encode())
    handle.flush()
    return handle
