"""Reading an instance's audit trail back as a history and checking it is complete."""

from __future__ import annotations

import uuid

from sqlmodel import col, select

from sopbot.storage.database import Database
from sopbot.storage.models import AuditRow, DispositionRow, DocumentRow, InstanceRow, StepRunRow


def audit_rows(database: Database, instance_id: uuid.UUID) -> list[AuditRow]:
    """The instance's audit rows in the order they were written."""
    with database.transaction() as session:
        return list(
            session.exec(
                select(AuditRow)
                .where(AuditRow.instance_id == instance_id)
                .order_by(col(AuditRow.id))
            )
        )


def assert_complete_history(database: Database, instance_id: uuid.UUID) -> list[AuditRow]:
    """Every entity's audit chain runs unbroken from its creation to its state in the tables.

    Folding the audit rows must give exactly the current states: no state change without a
    row, no row without a change, nothing in the tables that the trail does not explain.
    """
    rows = audit_rows(database, instance_id)
    folded: dict[tuple[str, str], str] = {}
    for row in rows:
        key = (row.entity, row.entity_id)
        assert row.before == folded.get(key), f"broken chain at audit row {row.id}: {row}"
        assert row.before != row.after, f"audit row {row.id} changes nothing"
        assert row.at.tzinfo is not None
        folded[key] = row.after
    with database.transaction() as session:
        instance = session.get(InstanceRow, instance_id)
        assert instance is not None
        current: dict[tuple[str, str], str] = {("instance", str(instance_id)): instance.state}
        for run in session.exec(select(StepRunRow).where(StepRunRow.instance_id == instance_id)):
            current[("step_run", str(run.id))] = run.state
        for disposition in session.exec(
            select(DispositionRow).where(DispositionRow.instance_id == instance_id)
        ):
            current[("disposition", str(disposition.id))] = disposition.state
        for document in session.exec(
            select(DocumentRow).where(DocumentRow.instance_id == instance_id)
        ):
            if document.disposition_id is not None:
                current[("document", str(document.id))] = "attached"
    assert folded == current
    return rows
