"""Reads of the outbox find their rows by index, never by walking a member's or the whole
table: the outbox keeps every message ever sent, so a scan grows with the agency's history.

The statements are the ones the services really send (recorded on their way to the driver while
a seed SOP with uploads runs to the end), each explained by SQLite's query planner.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sopbot.messaging.notices import Notifier
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade
from sopbot.storage.notice_writer import NoticeWriter
from tests.helpers.agencies import Player, seed_library, staff_agency, start_as
from tests.helpers.audit import TEST_AUDIT_KEY

KESBANGPOL = "kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"
OUTBOX_READ = re.compile(r"^\s*SELECT\b.*\bFROM\s+outbox_message\b", re.IGNORECASE | re.DOTALL)


@contextmanager
def recorded_statements(database: Database) -> Iterator[list[tuple[str, Any]]]:
    """Every statement sent to the driver in the block, with its parameters."""
    statements: list[tuple[str, Any]] = []

    def record(sql: str, parameters: Any, many: bool) -> None:
        if not many:
            statements.append((sql, parameters))

    database.observe_statements(record)
    try:
        yield statements
    finally:
        database.stop_observing(record)


def plan(database: Database, sql: str, parameters: Any) -> list[str]:
    """SQLite's query plan for a statement, one line per step."""
    with database.engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters).all()
    return [str(row[-1]) for row in rows]


def test_outbox_reads_of_a_whole_procedure_use_an_index(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'sopbot.db'}", audit_key=TEST_AUDIT_KEY)
    try:
        upgrade(database)
        library = seed_library()
        procedures = ProcedureService(database, library, observer=NoticeWriter(Notifier()))
        definition = library.definitions[KESBANGPOL]
        agency = staff_agency(OrganizationService(procedures), definition)
        with recorded_statements(database) as statements:
            start_as(
                procedures,
                agency,
                definition,
                "Data Kinerja",
                starter_role=definition.first_step.role,
            )
            player = Player(procedures, agency)
            while work := player.work():
                player.act(*work[0])
            # An official replying to a bot message: which disposition does it show?
            procedures.disposition_for_message(chat_id=1_001, message_id=7)
        reads = [(sql, parameters) for sql, parameters in statements if OUTBOX_READ.match(sql)]
        shapes = {" ".join(sql.split()) for sql, _ in reads}
        # The two lookups this guards: files already sent to a member, and replies.
        assert any("disposition_id IN" in shape for shape in shapes), shapes
        assert any("telegram_message_id" in shape for shape in shapes), shapes
        for sql, parameters in reads:
            steps = plan(database, sql, parameters)
            assert not any(step.startswith("SCAN outbox_message") for step in steps), (sql, steps)
            # Looking up by member alone reads every message the member was ever sent.
            assert not any("ix_outbox_member (member_id=?)" in step for step in steps), (
                sql,
                steps,
            )
    finally:
        database.dispose()
