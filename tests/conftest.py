"""Shared fixtures: a real database per test, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import telegram
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sopbot.emulator import BotApiEmulator
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade
from tests.emulator import bot_for, running_emulator
from tests.helpers.audit import TEST_AUDIT_KEY, TEST_AUDIT_KEY_TEXT

POSTGRES_ENV = "SOPBOT_TEST_POSTGRES_URL"
POSTGRES_HINT = (
    f"PostgreSQL tests need {POSTGRES_ENV}, e.g. "
    f"{POSTGRES_ENV}=postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_url() -> str | None:
    """The PostgreSQL server the tests may use, if one is configured."""
    return os.environ.get(POSTGRES_ENV) or None


def make_database(kind: str, tmp_path: Path) -> Iterator[Database]:
    """A fresh, empty database of the given kind (a new file, or a new PostgreSQL schema)."""
    if kind == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'sopbot.db'}", audit_key=TEST_AUDIT_KEY)
        yield database
        database.dispose()
        return
    base = postgres_url()
    if base is None:
        pytest.skip(POSTGRES_HINT)
    schema = f"sopbot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    database = Database(url.render_as_string(hide_password=False), audit_key=TEST_AUDIT_KEY)
    try:
        yield database
    finally:
        database.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(autouse=True)
def _audit_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI, and bots started as child processes, read the test key from the environment."""
    monkeypatch.setenv("SOPBOT_AUDIT_KEY", TEST_AUDIT_KEY_TEXT)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with no tables yet, on each kind."""
    yield from make_database(request.param, tmp_path)


@pytest.fixture
def database(empty_database: Database) -> Database:
    """A database migrated to the newest schema, on each kind."""
    upgrade(empty_database)
    return empty_database


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    """A running emulator."""
    async with running_emulator() as running:
        yield running


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[telegram.Bot]:
    """The real python-telegram-bot Bot, talking to the emulator."""
    async with bot_for(emulator) as connected:
        yield connected


@pytest.fixture
def postgres_database(tmp_path: Path) -> Iterator[Database]:
    """A migrated PostgreSQL database (skipped, with the reason, when none is configured)."""
    for database in make_database("postgresql", tmp_path):
        upgrade(database)
        yield database


# Whole folders that belong to the slow stage (see pyproject.toml).
SLOW_FOLDERS = ("faults", "bench")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests of the slow folders `slow`, so `pytest` alone runs the fast stage."""
    tests_root = Path(__file__).resolve().parent
    for item in items:
        relative = item.path.resolve().relative_to(tests_root)
        if relative.parts and relative.parts[0] in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)
