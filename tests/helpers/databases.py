"""Test databases: empty ones, and migrated ones copied from a database migrated once.

Running the Alembic migrations is the dearest part of most storage and end-to-end tests (on
PostgreSQL it is some 80 DDL statements), and every test would run the same ones. So each kind
is migrated once per session, and a test gets a copy: a SQLite test a copy of the file, a
PostgreSQL test a database made with CREATE DATABASE ... TEMPLATE. The stairway and the
model/migration agreement tests still migrate empty databases themselves.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade
from tests.helpers.audit import TEST_AUDIT_KEY

POSTGRES_ENV = "SOPBOT_TEST_POSTGRES_URL"
POSTGRES_HINT = (
    f"PostgreSQL tests need {POSTGRES_ENV}, e.g. "
    f"{POSTGRES_ENV}=postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SQLITE_FILE = "sopbot.db"
# A test database is thrown away after its test: the server need not wait for the disk at
# each commit. This changes what survives a crash of the server, not what a transaction sees.
NO_WAIT_FOR_DISK = "-csynchronous_commit=off"


def postgres_url() -> str | None:
    """The PostgreSQL server the tests may use, if one is configured."""
    return os.environ.get(POSTGRES_ENV) or None


def _with_options(url: URL, *options: str) -> URL:
    """The URL with these server options (libpq's `options`) added to any it has."""
    present = url.query.get("options")
    given = [present] if isinstance(present, str) else list(present or ())
    return url.update_query_dict({"options": " ".join([*given, *options])})


def _open(url: URL) -> Database:
    return Database(url.render_as_string(hide_password=False), audit_key=TEST_AUDIT_KEY)


@contextmanager
def empty_sqlite(folder: Path) -> Iterator[Database]:
    """A new, empty SQLite database file in the folder."""
    database = _open(make_url(f"sqlite:///{folder / SQLITE_FILE}"))
    try:
        yield database
    finally:
        database.dispose()


@contextmanager
def empty_postgres(base: str) -> Iterator[Database]:
    """A new, empty PostgreSQL schema (dropped afterwards), as the connections' search path."""
    schema = f"sopbot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    database = _open(_with_options(make_url(base), f"-csearch_path={schema}", NO_WAIT_FOR_DISK))
    try:
        yield database
    finally:
        database.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def migrated_sqlite_file(folder: Path) -> Path:
    """A SQLite file migrated to the newest schema, closed (nothing left in its WAL)."""
    with empty_sqlite(folder) as database:
        upgrade(database)
    return folder / SQLITE_FILE


@contextmanager
def sqlite_copy(template: Path, folder: Path) -> Iterator[Database]:
    """A migrated SQLite database: a copy of the migrated file, in the folder."""
    shutil.copyfile(template, folder / SQLITE_FILE)
    with empty_sqlite(folder) as database:
        yield database


class CannotCreateDatabases(Exception):
    """The PostgreSQL user of the tests may not create databases."""


class PostgresCopies:
    """Migrated PostgreSQL databases, each a copy of one template database migrated once.

    Copying takes the server a fraction of what migrating takes, and the copy for the next test
    is made (and the used ones dropped) on threads of their own while a test runs. Each database
    is named after this session, so sessions that share a server never touch each other's.
    """

    def __init__(self, base: str) -> None:
        """Create and migrate the template; raises `CannotCreateDatabases` when the server's
        user may not."""
        self._base = make_url(base)
        self._session = uuid.uuid4().hex[:12]
        self._admin: Engine = create_engine(self._base, isolation_level="AUTOCOMMIT")
        self._template = f"sopbot_template_{self._session}"
        self._made = 0
        try:
            self._execute(f'CREATE DATABASE "{self._template}"')
        except DBAPIError as refusal:
            self._admin.dispose()
            raise CannotCreateDatabases(str(refusal.orig)) from refusal
        template = _open(self._url(self._template))
        try:
            upgrade(template)
        except BaseException:
            template.dispose()
            self._drop(self._template)
            raise
        # CREATE DATABASE ... TEMPLATE refuses a template anyone is connected to.
        template.dispose()
        # One thread makes the next copy while a test runs, another drops the used ones: a drop
        # may wait for the server's checkpoint, and the next test need not wait for it.
        self._maker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="postgres-copy")
        self._dropper = ThreadPoolExecutor(max_workers=4, thread_name_prefix="postgres-drop")
        self._drops: list[Future[None]] = []
        self._next = self._maker.submit(self._copy)

    def _execute(self, statement: str) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(statement))

    def _url(self, name: str) -> URL:
        return _with_options(self._base.set(database=name), NO_WAIT_FOR_DISK)

    def _copy(self) -> str:
        self._made += 1
        name = f"sopbot_test_{self._session}_{self._made}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        return name

    def _drop(self, name: str) -> None:
        # FORCE: a bot a test killed may not have closed its connections yet.
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @contextmanager
    def copy(self) -> Iterator[Database]:
        """A migrated database of the test's own, dropped afterwards."""
        name = self._next.result()
        self._next = self._maker.submit(self._copy)
        database = _open(self._url(name))
        try:
            yield database
        finally:
            database.dispose()
            self._drops.append(self._dropper.submit(self._drop, name))

    def close(self) -> None:
        """Drop every database this session made, the template last."""
        try:
            self._maker.shutdown(wait=True)
            self._drop(self._next.result())
            self._dropper.shutdown(wait=True)
            for dropped in self._drops:
                dropped.result()  # a failed drop is reported, not left on the server unseen
        finally:
            self._drop(self._template)
            self._admin.dispose()


@contextmanager
def postgres_copies(base: str) -> Iterator[PostgresCopies | None]:
    """Copies of a migrated template database, or None when the server's user may not create
    databases (the tests then migrate a schema each, as slowly as before)."""
    try:
        copies = PostgresCopies(base)
    except CannotCreateDatabases:
        yield None
        return
    try:
        yield copies
    finally:
        copies.close()
