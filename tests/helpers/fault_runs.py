"""What the fault runs (a bot killed, several workers) check afterwards, and wait for."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func
from sqlmodel import col, select

from sopbot.emulator import BotApiEmulator
from sopbot.storage.database import Database
from sopbot.storage.inbox_models import InboxRow
from sopbot.storage.models import AuditRow, InstanceRow, OutboxRow


def work_owed(database: Database, emulator: BotApiEmulator) -> dict[str, int]:
    """What is still to do: procedures running, messages unsent, updates unhandled or not yet
    fetched from the emulator (all zero: the run is over)."""
    with database.transaction() as session:
        running = session.exec(
            select(func.count()).select_from(InstanceRow).where(InstanceRow.state != "finished")
        ).one()
        unsent = session.exec(
            select(func.count())
            .select_from(OutboxRow)
            .where(col(OutboxRow.state).in_(["pending", "sending"]))
        ).one()
        unhandled = session.exec(
            select(func.count()).select_from(InboxRow).where(col(InboxRow.processed_at).is_(None))
        ).one()
    return {
        "running procedures": running,
        "unsent messages": unsent,
        "unhandled updates": unhandled,
        "updates not fetched": emulator.pending_update_count,
    }


def assert_every_step_completed_once(database: Database, procedures: int, steps: int) -> None:
    """`procedures` procedures, all finished, each of their `steps` steps completed once."""
    with database.transaction() as session:
        completions = Counter(
            session.exec(
                select(AuditRow.entity_id).where(
                    AuditRow.entity == "step_run", AuditRow.action == "complete"
                )
            ).all()
        )
        instances = session.exec(select(InstanceRow)).all()
    assert completions, "no transition happened"
    assert max(completions.values()) == 1
    assert len(instances) == procedures
    assert all(i.state == "finished" for i in instances)
    assert sum(completions.values()) == procedures * steps
