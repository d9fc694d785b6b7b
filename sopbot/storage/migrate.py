"""Running the Alembic migrations from code (the CLI, start-up and the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from sopbot.storage.database import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database: Database) -> Config:
    """An Alembic configuration pointing at sopbot's migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url", database.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Migrate the database up to a revision (default: the newest)."""
    with database.engine.begin() as connection:
        config = alembic_config(database)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(database: Database, revision: str) -> None:
    """Migrate the database down to a revision ("base" removes everything)."""
    with database.engine.begin() as connection:
        config = alembic_config(database)
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(database: Database) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def reachable_revision(database: Database) -> str | None:
    """Run `SELECT 1` and read the schema's revision in one read-only transaction (the
    readiness check: on SQLite it takes no write lock, so it never waits for a writer): the
    revision, None when never migrated; the driver's error, raised, when the database cannot
    be reached."""
    with database.reading() as session:
        session.execute(text("SELECT 1"))
        return MigrationContext.configure(session.connection()).get_current_revision()


def head_revision(database: Database) -> str | None:
    """The newest revision the code knows."""
    return ScriptDirectory.from_config(alembic_config(database)).get_current_head()


def revisions_in_order(database: Database) -> list[str]:
    """Every revision from the first to the newest."""
    script = ScriptDirectory.from_config(alembic_config(database))
    return [r.revision for r in reversed(list(script.walk_revisions()))]
