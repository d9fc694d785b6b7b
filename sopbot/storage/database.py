"""Connecting to the database: SQLite (a file, WAL) by default, PostgreSQL by DATABASE_URL.

Write transactions on SQLite start with BEGIN IMMEDIATE, so two writers queue for the lock
instead of failing half-way when a reader tries to become a writer; foreign keys are enforced.
The threads of one process take turns at a lock of their own before BEGIN IMMEDIATE: SQLite's
busy handler makes a waiting writer sleep in steps of up to 100 ms, which under load wastes
most of the time, while a lock hands over at once. Read-only transactions (`reading`) take no
write lock at all and run beside a writer, as WAL allows; on PostgreSQL they are READ ONLY
and REPEATABLE READ (one snapshot).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from sopbot.storage import audit_chain
from sopbot.storage.audit_key import SESSION_INFO_KEY, AuditKey
from sopbot.storage.errors import ConcurrentUpdate
from sopbot.storage.prepared import OBSERVERS_KEY, RawConnection, StatementObserver
from sopbot.storage.unit_of_work import UnitOfWork

SQLITE_BUSY_TIMEOUT_MS = 30_000

T = TypeVar("T")

# A read-only transaction on PostgreSQL sees one snapshot for all its statements, as a SQLite
# read transaction does (READ COMMITTED would show each statement the latest commits); a
# read-only REPEATABLE READ transaction never fails to serialize.
_SERVER_READ_ONLY = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"

# Whether the transaction about to begin only reads (set by `Database.reading`).
_read_only: ContextVar[bool] = ContextVar("sopbot_read_only", default=False)


def password_of(url: str) -> str | None:
    """The password a database URL carries (None: it carries none), to keep it out of logs."""
    password = make_url(url).password
    return None if password is None else str(password)


class Database:
    """One database: its engine and a factory of sessions."""

    def __init__(self, url: str, *, echo: bool = False, audit_key: AuditKey | None = None) -> None:
        """`audit_key` keys the audit chains: without it, a transaction that audits a change
        is refused (storage.audit_chain), and the trail cannot be verified."""
        self.url = make_url(url)
        self.engine: Engine = _create_engine(url, echo=echo)
        self.audit_key = audit_key
        self._observers: list[StatementObserver] = []
        # Every session carries the key, for the audit rows its transaction appends, and the
        # statement observers, for the statements it runs on the cursor (storage.prepared).
        self._sessions = sessionmaker(
            self.engine,
            class_=Session,
            expire_on_commit=False,
            info={SESSION_INFO_KEY: audit_key, OBSERVERS_KEY: self._observers},
        )

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded SQLite database."""
        return self.url.get_backend_name() == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error.

        The audit rows the transaction recorded are linked into their chains last, just
        before the commit (`audit_chain.write_pending`).
        """
        token = _read_only.set(False)
        try:
            with self._sessions() as session, session.begin():
                yield session
                audit_chain.write_pending(session)
        finally:
            _read_only.reset(token)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session in a read-only transaction: one consistent snapshot, no write lock.

        On SQLite it runs beside a writer instead of queueing behind it; a write inside it is
        a mistake (PostgreSQL refuses it, SQLite may fail with "database is locked").
        """
        token = _read_only.set(True)
        try:
            with self._sessions() as session, session.begin():
                yield session
        finally:
            _read_only.reset(token)

    @contextmanager
    def unit_of_work(self, *, read_only: bool = False) -> Iterator[UnitOfWork]:
        """One transaction for a service: a writing one (committed on success, rolled back
        on any error), or with `read_only` one consistent snapshot that takes no write lock."""
        opened = self.reading() if read_only else self.transaction()
        try:
            with opened as session:
                yield UnitOfWork(session, read_only=read_only)
        except IntegrityError as taken:
            # A unique key another transaction wrote first (a command's key, a step alert):
            # what the caller saw is stale, and nothing of this transaction was kept.
            raise ConcurrentUpdate(f"a concurrent write took a unique key: {taken.orig}") from taken

    @contextmanager
    def snapshot(self) -> Iterator[RawConnection]:
        """A pooled DB-API connection in a read-only transaction, for `PreparedQuery`s: the
        consistent snapshot `reading` gives, without a session around it (bench.end_to_end)."""
        pooled = self.engine.raw_connection()
        try:
            cursor = pooled.cursor()
            # As `reading` does: a deferred BEGIN takes no write lock on SQLite; on PostgreSQL
            # the driver has begun the transaction, and it is made read-only.
            cursor.execute("BEGIN" if self.is_sqlite else _SERVER_READ_ONLY)
            cursor.close()
            yield RawConnection(pooled.dbapi_connection, self.engine.dialect, self._observers)
        finally:
            # Back to the pool, which rolls the read transaction back.
            pooled.close()

    async def point_read(self, function: Callable[..., T], *args: Any) -> T:
        """Run a read of a few rows found by index (who is writing, their open tasks) for the
        event loop.

        On SQLite it runs right here: in WAL mode a reader takes no lock, never waits for a
        writer and does no network round trip, and the read costs less than handing it to a
        worker thread and back (under load the GIL changing hands and the thread waking cost
        more than the read; bench/findings.md). On a database server a read waits on the
        network, so it goes to a worker thread; so do all writes and reads of many rows,
        whatever the database.
        """
        if self.is_sqlite:
            return function(*args)
        return await asyncio.to_thread(function, *args)

    def observe_statements(self, observer: StatementObserver) -> None:
        """Tell `observer` of every statement before it runs, whichever way it is run
        (SQLAlchemy, or prepared on the cursor): tests count and hold statements with it, and
        the benchmarks replay them."""
        if not self._observers:
            event.listen(self.engine, "before_cursor_execute", self._tell_observers)
        self._observers.append(observer)

    def stop_observing(self, observer: StatementObserver) -> None:
        """Stop telling `observer` of statements."""
        self._observers.remove(observer)
        if not self._observers:
            event.remove(self.engine, "before_cursor_execute", self._tell_observers)

    def _tell_observers(
        self, _conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        for observe in list(self._observers):
            observe(sql, parameters, many)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


class _TakingTurnsConnection(sqlite3.Connection):
    """A SQLite connection whose write transactions hold the file's in-process writer lock."""

    writer_lock: threading.Lock | None = None
    _held: threading.Lock | None = None

    def begin_write(self) -> None:
        """Wait for this process's other writers, then BEGIN IMMEDIATE."""
        lock = self.writer_lock
        if lock is not None:
            if not lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
                raise sqlite3.OperationalError("database is locked (by this process)")
            self._held = lock
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._let_go()
            raise

    def commit(self) -> None:
        """Commit, then let the next writer in."""
        try:
            super().commit()
        finally:
            self._let_go()

    def rollback(self) -> None:
        """Roll back, then let the next writer in."""
        try:
            super().rollback()
        finally:
            self._let_go()

    def close(self) -> None:
        """Close (an open transaction rolls back), then let the next writer in."""
        try:
            super().close()
        finally:
            self._let_go()

    def _let_go(self) -> None:
        lock, self._held = self._held, None
        if lock is not None:
            lock.release()


_writer_locks: dict[str, threading.Lock] = {}
_writer_locks_guard = threading.Lock()


def _writer_lock_for(path: str | None) -> threading.Lock:
    """The one writer lock of a database file in this process (engines on it share it)."""
    if not path or path == ":memory:":
        return threading.Lock()
    key = str(Path(path).resolve())
    with _writer_locks_guard:
        return _writer_locks.setdefault(key, threading.Lock())


def _create_engine(url: str, *, echo: bool) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return _create_server_engine(url, echo=echo)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    writer_lock = _writer_lock_for(parsed.database)
    # The pysqlite driver's own transaction handling is switched off (isolation_level=None) so
    # that the BEGIN below is the only one, as the SQLAlchemy docs advise for pysqlite.
    engine = create_engine(
        url,
        echo=echo,
        connect_args={
            "check_same_thread": False,
            "isolation_level": None,
            "factory": _TakingTurnsConnection,
        },
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.writer_lock = writer_lock
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed transaction survives a power cut as well as a crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if _read_only.get():
            connection.exec_driver_sql("BEGIN")
        else:
            connection.connection.dbapi_connection.begin_write()

    return engine


def _create_server_engine(url: str, *, echo: bool) -> Engine:
    engine = create_engine(url, echo=echo, pool_pre_ping=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if _read_only.get():
            connection.exec_driver_sql(_SERVER_READ_ONLY)

    return engine
