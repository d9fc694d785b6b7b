"""A burst of 1,000 reminders to 1,000 chats: no 429 from a bot API that enforces the limits.

The emulator runs in a process of its own, as Telegram does: it counts arrivals to the
millisecond, which a shared event loop or the GIL would distort.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlmodel import select
from telegram import Bot
from telegram.request import HTTPXRequest

from sopbot.bot.sender import OutboxSender
from sopbot.emulator.process import emulator_process
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade
from sopbot.storage.models import AgencyRow, MemberRow, OutboxRow

CHATS = 1_000
# As the Application builds its bot: PTB's default for a bare Bot is a single connection.
POOL = 256


async def test_a_burst_of_reminders_stays_within_the_flood_limits(tmp_path: Path) -> None:
    # Delivery, not storage, is under test: SQLite only (the sender runs on both elsewhere).
    database = Database(f"sqlite:///{tmp_path / 'burst.db'}")
    upgrade(database)
    now = dt.datetime.now(dt.UTC)
    text = default_catalog().text(
        Language.ID,
        "alert.reminder",
        number=1,
        title="Triwulan III",
        step=2,
        activity="Menindaklanjuti disposisi",
        standard="5 Menit",
        due="-",
        late="1 jam",
        people="-",
    )
    async with emulator_process(CHATS, flood=True) as telegram:
        bot = Bot(
            telegram.token,
            base_url=telegram.base_url,
            request=HTTPXRequest(connection_pool_size=POOL),
        )
        async with bot:
            with database.transaction() as session:
                agency = AgencyRow(key="uji", name="Uji", timezone="Asia/Jakarta", created_at=now)
                session.add(agency)
                session.flush()
                assert agency.id is not None
                for index, user_id in enumerate(telegram.users):
                    member = MemberRow(
                        agency_id=agency.id,
                        name=f"P{index}",
                        telegram_user_id=user_id,
                        created_at=now,
                    )
                    session.add(member)
                    session.flush()
                    assert member.id is not None
                    session.add(
                        OutboxRow(
                            created_at=now,
                            member_id=member.id,
                            kind="message",
                            payload={"text": text},
                        )
                    )
            sender = OutboxSender(database, bot, idle_wait=0.05)
            delivered = 0
            while delivered < CHATS:
                delivered += await sender.deliver_pending()
            stats = await telegram.stats()
    with database.transaction() as session:
        states = {r.state for r in session.exec(select(OutboxRow))}
    assert states == {"sent"}
    assert stats["flood_refusals"] == 0
    assert stats["sent"] == CHATS
