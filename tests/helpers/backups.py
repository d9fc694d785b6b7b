"""What the backup tests share: an empty database to restore into, of the kind of the one
backed up, and the rows of every table, to compare a restore with its source."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from sopbot.storage.database import Database
from tests.helpers.databases import POSTGRES_HINT, postgres_url


def url_of(database: Database) -> str:
    """The database's URL as DATABASE_URL holds it (password and options included)."""
    return database.url.render_as_string(hide_password=False)


@contextmanager
def empty_database_like(database: Database, folder: Path) -> Iterator[str]:
    """The URL of a new, empty database of the same kind: a SQLite file not yet made in
    `folder`, or a PostgreSQL database of its own on the same server (dropped afterwards)."""
    if database.is_sqlite:
        yield f"sqlite:///{folder / 'target' / 'sopbot.db'}"
        return
    with empty_postgres_database() as url:
        yield url


@contextmanager
def empty_postgres_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database with a name of its own, dropped at the
    end (skipped when no server is configured)."""
    base = postgres_url()
    if base is None:
        pytest.skip(POSTGRES_HINT)
    name = f"sopbot_restore_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            # FORCE: a bot a test stopped may not have closed every connection yet.
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def row_counts(url: str) -> dict[str, int]:
    """Every table of the database, with its number of rows (none for a SQLite file that is
    not there: it is not made here)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return {}
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return {
                name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
                for name in inspect(connection).get_table_names()
            }
    finally:
        engine.dispose()
