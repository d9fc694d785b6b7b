"""Shared fixtures: a real database per test, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import telegram
from hypothesis import settings

from sopbot.emulator import BotApiEmulator
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade
from tests.emulator import bot_for, running_emulator
from tests.helpers.audit import TEST_AUDIT_KEY_TEXT
from tests.helpers.databases import (
    POSTGRES_HINT,
    PostgresCopies,
    empty_postgres,
    empty_sqlite,
    migrated_sqlite_file,
    postgres_copies,
    postgres_url,
    sqlite_copy,
)
from tests.helpers.properties import FAST_PROFILE

# Property tests try a sample of their examples unless `--hypothesis-profile=full` is given,
# as the slow stage does (tests/helpers/properties.py).
settings.load_profile(FAST_PROFILE)


def make_database(kind: str, tmp_path: Path) -> Iterator[Database]:
    """A fresh, empty database of the given kind (a new file, or a new PostgreSQL schema)."""
    if kind == "sqlite":
        with empty_sqlite(tmp_path) as database:
            yield database
        return
    base = postgres_url()
    if base is None:
        pytest.skip(POSTGRES_HINT)
    with empty_postgres(base) as database:
        yield database


@pytest.fixture(autouse=True)
def _audit_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI, and bots started as child processes, read the test key from the environment."""
    monkeypatch.setenv("SOPBOT_AUDIT_KEY", TEST_AUDIT_KEY_TEXT)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with no tables yet, on each kind."""
    yield from make_database(request.param, tmp_path)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest schema once per session, for tests to copy."""
    return migrated_sqlite_file(tmp_path_factory.mktemp("migrated"))


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[PostgresCopies | None]:
    """Copies of a PostgreSQL database migrated once per session (None: the server's user may
    not create databases, and each test migrates a schema of its own)."""
    base = postgres_url()
    if base is None:
        pytest.skip(POSTGRES_HINT)
    with postgres_copies(base) as copies:
        yield copies


def migrated_database(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Database]:
    """A database of the given kind migrated to the newest schema, the test's own."""
    if kind == "sqlite":
        template: Path = request.getfixturevalue("migrated_sqlite")
        with sqlite_copy(template, tmp_path) as database:
            yield database
        return
    copies: PostgresCopies | None = request.getfixturevalue("migrated_postgres")
    if copies is None:
        for database in make_database(kind, tmp_path):
            upgrade(database)
            yield database
        return
    with copies.copy() as database:
        yield database


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database migrated to the newest schema, on each kind."""
    yield from migrated_database(request.param, request, tmp_path)


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
def postgres_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated PostgreSQL database (skipped, with the reason, when none is configured)."""
    yield from migrated_database("postgresql", request, tmp_path)


# Whole folders that belong to the slow stage (see pyproject.toml).
SLOW_FOLDERS = ("faults", "bench")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests of the slow folders `slow`, so `pytest` alone runs the fast stage."""
    tests_root = Path(__file__).resolve().parent
    for item in items:
        relative = item.path.resolve().relative_to(tests_root)
        if relative.parts and relative.parts[0] in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)
