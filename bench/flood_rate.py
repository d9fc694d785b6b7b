"""Delivery rate against Telegram's flood limits: a burst of reminders to many chats.

The emulator, in a process of its own as Telegram is, enforces Telegram's documented
limits (30 messages a second overall, about one a second per private chat) and counts
every 429 it gives. The rate is messages over the span
between the first and the last send, as the emulator saw them. Goal: >= 95% of 30/s, no 429.

    python -m bench.flood_rate [--chats 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from telegram import Bot
from telegram.request import HTTPXRequest

from bench.figures import spread
from sopbot.delivery.sender import OutboxSender
from sopbot.emulator.process import emulator_process
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade
from sopbot.storage.models import AgencyRow, MemberRow, OutboxRow

TELEGRAM_LIMIT = 30.0
# A real reminder, as the alert service renders it.
REMINDER = default_catalog().text(
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

# As the Application builds its bot: PTB's default for a bare Bot is a single connection.
POOL = 256


async def one_run(chats: int) -> dict[str, Any]:
    """Deliver one message to each of `chats` chats; the rate and the 429s."""
    now = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory(prefix="sopbot-flood-") as scratch:
        database = Database(f"sqlite:///{Path(scratch) / 'flood.db'}")
        upgrade(database)
        async with emulator_process(chats, flood=True) as telegram:
            bot = Bot(
                telegram.token,
                base_url=telegram.base_url,
                request=HTTPXRequest(connection_pool_size=POOL),
            )
            async with bot:
                with database.transaction() as session:
                    agency = AgencyRow(key="b", name="B", timezone="Asia/Jakarta", created_at=now)
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
                                payload={"text": REMINDER},
                            )
                        )
                sender = OutboxSender(database, bot, idle_wait=0.05)
                delivered = 0
                while delivered < chats:
                    delivered += await sender.deliver_pending()
                stats = await telegram.stats()
        with database.reading() as session:
            unsent = session.exec(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.state != "sent")
            ).one()
        database.dispose()
    sends = stats["send_times"]
    span = max(sends) - min(sends)
    rate = (len(sends) - 1) / span if span > 0 else float("inf")
    return {
        "messages": len(sends),
        "rate_per_s": rate,
        "share_of_limit": rate / TELEGRAM_LIMIT,
        "refusals_429": stats["flood_refusals"],
        "early_retries": stats["early_retries"],
        "accepted": stats["sent"],
        "unsent": unsent,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; print and return the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    results = [asyncio.run(one_run(args.chats)) for _ in range(args.runs)]
    rates = [r["rate_per_s"] for r in results]
    summary = {
        "chats": args.chats,
        "runs": args.runs,
        "cores": os.cpu_count(),
        "rate_per_s": spread(rates),
        "share_of_limit_median": statistics.median(r["share_of_limit"] for r in results),
        "refusals_429_total": sum(r["refusals_429"] for r in results),
    }
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
