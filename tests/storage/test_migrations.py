"""The migrations build exactly the schema the models describe, and step up and down cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from sopbot.storage import models  # noqa: F401 - registers the tables
from sopbot.storage.database import Database
from sopbot.storage.migrate import (
    current_revision,
    downgrade,
    head_revision,
    revisions_in_order,
    upgrade,
)


def test_upgrade_to_head_matches_the_models(empty_database: Database) -> None:
    upgrade(empty_database)
    assert current_revision(empty_database) == head_revision(empty_database)
    with empty_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_stairway_up_down_up_for_every_revision(empty_database: Database) -> None:
    revisions = revisions_in_order(empty_database)
    assert revisions, "there must be at least one migration"
    previous = "base"
    for revision in revisions:
        upgrade(empty_database, revision)
        downgrade(empty_database, previous)
        upgrade(empty_database, revision)
        previous = revision
    assert current_revision(empty_database) == revisions[-1]
    downgrade(empty_database, "base")
    tables = set(inspect(empty_database.engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
