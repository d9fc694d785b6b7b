"""The durable inbox: stored before confirmed, handled once, redeliveries and reused ids."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from telegram import Update

from sopbot.bot.inbox import HANDED_OVER_LIMIT, InboxProcessor, UpdateInbox
from sopbot.demo.officials import settle
from sopbot.demo.scenario import World, start_procedure
from sopbot.messaging.catalog import default_catalog
from sopbot.storage.inbox_models import InboxRow
from sopbot.storage.models import AuditRow

T = default_catalog().text


def text_update(
    world: World, update_id: int, user_id: int, text: str, message_id: int
) -> dict[str, Any]:
    """An update as Telegram would send it for a private message."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "date": int(time.time()),
            "text": text,
            "chat": {"id": user_id, "type": "private", "first_name": "X"},
            "from": {"id": user_id, "is_bot": False, "first_name": "X"},
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]
            if text.startswith("/")
            else [],
        },
    }


def inbox_of(world: World) -> UpdateInbox:
    return UpdateInbox(world.parts.database, world.parts.services.clock)


async def test_stored_updates_are_handled_once_even_after_a_crash(kesbangpol: World) -> None:
    sekretaris = kesbangpol.officials["sekretaris"]
    before = len(sekretaris.user.bot_messages())
    # As if a previous process stored these and died before handling them.
    stored = inbox_of(kesbangpol).store(
        [
            text_update(kesbangpol, 900_001, sekretaris.user.id, "/tugas", 70_001),
            text_update(kesbangpol, 900_002, sekretaris.user.id, "/bantuan", 70_002),
        ]
    )
    assert len(stored) == 2
    await sekretaris.user.wait_for_bot_messages(2)
    await settle(kesbangpol.emulator, kesbangpol.parts)
    texts = [m.text or "" for m in sekretaris.user.bot_messages()[before:]]
    assert texts[0].startswith("Tidak ada tugas yang terbuka.")
    assert texts[1].startswith("Panduan sopbot")
    assert len(texts) == 2
    assert inbox_of(kesbangpol).unprocessed_count() == 0


async def test_a_redelivery_is_ignored_and_a_reused_id_is_a_new_update(
    kesbangpol: World,
) -> None:
    sekretaris = kesbangpol.officials["sekretaris"]
    first = text_update(kesbangpol, 123, sekretaris.user.id, "/tugas", 71_001)
    inbox = inbox_of(kesbangpol)
    assert len(inbox.store([first])) == 1
    assert inbox.store([first]) == {}  # Telegram sent it again: we already have it
    # A week later Telegram restarts its ids: the same id, a different update.
    reused = text_update(kesbangpol, 123, sekretaris.user.id, "/bantuan", 71_002)
    assert len(inbox.store([reused])) == 1
    await settle(kesbangpol.emulator, kesbangpol.parts)
    with kesbangpol.parts.database.transaction() as session:
        rows = session.exec(select(InboxRow).where(InboxRow.update_id == 123)).all()
    assert len(rows) == 2
    assert all(r.processed_at is not None for r in rows)


async def test_a_command_marks_its_update_in_its_own_transaction(kesbangpol: World) -> None:
    await start_procedure(kesbangpol)
    sekretaris = kesbangpol.officials["sekretaris"]
    await sekretaris.press(sekretaris.disposition(), "button.complete")
    await settle(kesbangpol.emulator, kesbangpol.parts)
    with kesbangpol.parts.database.transaction() as session:
        pending = session.exec(
            select(func.count()).select_from(InboxRow).where(col(InboxRow.processed_at).is_(None))
        ).one()
        press = session.exec(select(InboxRow).order_by(col(InboxRow.id).desc())).first()
        audit_before = session.exec(select(func.count()).select_from(AuditRow)).one()
    assert pending == 0
    assert press is not None
    assert "callback_query" in press.payload
    # Handled again (an inbox restored from a backup, say): the command replays, no change.
    with kesbangpol.parts.database.transaction() as session:
        session.execute(
            update(InboxRow).where(col(InboxRow.id) == press.id).values(processed_at=None)
        )
    await settle(kesbangpol.emulator, kesbangpol.parts)
    with kesbangpol.parts.database.transaction() as session:
        audit_after = session.exec(select(func.count()).select_from(AuditRow)).one()
        handled = session.get(InboxRow, press.id)
    assert audit_after == audit_before
    assert handled is not None
    assert handled.processed_at is not None


async def test_parsed_updates_handed_to_the_processor_stay_bounded(kesbangpol: World) -> None:
    sekretaris = kesbangpol.officials["sekretaris"]
    bot = kesbangpol.parts.application.bot
    processor = InboxProcessor(kesbangpol.parts.application, inbox_of(kesbangpol))
    parsed = Update.de_json(text_update(kesbangpol, 5, sekretaris.user.id, "/tugas", 1), bot)
    chat = sekretaris.user.id
    processor.hand_over({1: (chat, parsed), 2: (chat, parsed), 9: (chat, parsed)})
    # More than the limit at once is not kept: those are read from the store instead.
    processor.hand_over({10 + i: (chat, parsed) for i in range(HANDED_OVER_LIMIT)})
    assert set(processor._handed_over) == {1, 2, 9}
    # A full read that no longer finds 1 pending (handled elsewhere) drops it; 9 was stored
    # after what that read saw, so it stays.
    processor._forget_handled({2, 5})
    assert set(processor._handed_over) == {2, 9}


async def test_a_batch_with_redeliveries_stores_and_returns_only_the_new_updates(
    kesbangpol: World,
) -> None:
    sekretaris = kesbangpol.officials["sekretaris"]
    inbox = inbox_of(kesbangpol)
    batch = [
        text_update(kesbangpol, 800_000 + n, sekretaris.user.id, "halo", 72_000 + n)
        for n in range(4)
    ]
    first = inbox.store(batch[:2])
    second = inbox.store([batch[1], batch[2], batch[0], batch[3]])
    assert set(first) == {800_000, 800_001}
    assert set(second) == {800_002, 800_003}
    assert len(set(first.values()) | set(second.values())) == 4
