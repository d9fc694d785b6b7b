"""Delivery under trouble: the Bot API down, 429s, blocked users, several senders at once."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlmodel import col, select
from telegram import Bot
from telegram.request import HTTPXRequest

from sopbot.delivery.redaction import install_token_redaction
from sopbot.delivery.sender import OutboxSender
from sopbot.emulator import (
    BotApiEmulator,
    DropConnection,
    ServerError,
    SimulatedUser,
    TooManyRequests,
)
from sopbot.storage.database import Database
from sopbot.storage.models import AgencyRow, MemberRow, OutboxRow

NOW = dt.datetime.now(dt.UTC)

# As the Application builds its bot: PTB's default for a bare Bot is a single connection.
POOL = 256


@dataclass
class Desk:
    """An emulator, a bot talking to it, and members whose chats receive the outbox."""

    emulator: BotApiEmulator
    bot: Bot
    database: Database
    users: dict[int, SimulatedUser]  # member id -> their phone
    admin_id: int

    def sender(self) -> OutboxSender:
        return OutboxSender(self.database, self.bot, idle_wait=0.05)

    def queue(self, member_id: int, texts: list[str]) -> None:
        with self.database.transaction() as session:
            for text in texts:
                session.add(
                    OutboxRow(
                        created_at=NOW, member_id=member_id, kind="message", payload={"text": text}
                    )
                )

    def states(self) -> dict[str, int]:
        with self.database.transaction() as session:
            counts: dict[str, int] = {}
            for row in session.exec(select(OutboxRow)).all():
                counts[row.state] = counts.get(row.state, 0) + 1
            return counts


@pytest.fixture
async def desk(database: Database) -> AsyncIterator[Desk]:
    async with BotApiEmulator() as emulator:
        bot = Bot(
            emulator.token,
            base_url=emulator.base_url,
            base_file_url=emulator.base_file_url,
            request=HTTPXRequest(connection_pool_size=POOL),
        )
        async with bot:
            users: dict[int, SimulatedUser] = {}
            with database.transaction() as session:
                agency = AgencyRow(
                    key="uji", name="Dinas Uji", timezone="Asia/Jakarta", created_at=NOW
                )
                session.add(agency)
                session.flush()
                assert agency.id is not None
                admin_user = emulator.add_user("Admin", started=True)
                admin = MemberRow(
                    agency_id=agency.id,
                    name="Admin",
                    is_admin=True,
                    telegram_user_id=admin_user.id,
                    created_at=NOW,
                )
                session.add(admin)
                for index in range(6):
                    user = emulator.add_user(f"Pegawai{index}", started=True)
                    member = MemberRow(
                        agency_id=agency.id,
                        name=f"Pegawai {index}",
                        telegram_user_id=user.id,
                        created_at=NOW,
                    )
                    session.add(member)
                    session.flush()
                    assert member.id is not None
                    users[member.id] = user
                session.flush()
                assert admin.id is not None
                admin_id = admin.id
                users[admin_id] = admin_user
            yield Desk(emulator, bot, database, users, admin_id)


async def deliver_until_quiet(desk: Desk, *senders: OutboxSender, within: float = 60) -> None:
    """Run the senders until nothing is pending or being sent."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        await asyncio.gather(*(s.deliver_pending() for s in senders))
        states = desk.states()
        if not states.get("pending") and not states.get("sending"):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"delivery did not finish: {desk.states()}")


def received(user: SimulatedUser) -> list[str]:
    return [m.text or "" for m in user.bot_messages()]


async def test_everything_arrives_in_order_once_the_bot_api_is_back(desk: Desk) -> None:
    members = [m for m in desk.users if m != desk.admin_id][:3]
    for member in members:
        desk.queue(member, [f"pesan {member}-{n}" for n in range(5)])
    desk.emulator.faults.fail_for(2.5, ServerError(status=502), method="sendMessage")
    sender = desk.sender()
    await deliver_until_quiet(desk, sender, within=90)
    assert desk.states() == {"sent": 15}
    for member in members:
        assert received(desk.users[member]) == [f"pesan {member}-{n}" for n in range(5)]


async def test_dropped_connections_are_retried(desk: Desk) -> None:
    member = next(m for m in desk.users if m != desk.admin_id)
    desk.queue(member, ["satu", "dua"])
    desk.emulator.faults.fail_next("sendMessage", DropConnection(), times=2)
    await deliver_until_quiet(desk, desk.sender(), within=60)
    assert received(desk.users[member]) == ["satu", "dua"]


async def test_a_429_for_one_chat_does_not_stall_the_others(desk: Desk) -> None:
    slow, fast = [m for m in desk.users if m != desk.admin_id][:2]
    desk.queue(slow, ["lambat"])
    desk.queue(fast, ["cepat"])
    desk.emulator.faults.fail_next("sendMessage", TooManyRequests(retry_after=3), times=1)
    sender = desk.sender()
    await sender.deliver_pending()
    # One of the two got the 429; the other was delivered in the same round.
    delivered = [m for m in (slow, fast) if received(desk.users[m])]
    assert len(delivered) == 1
    await deliver_until_quiet(desk, sender, within=30)
    assert received(desk.users[slow]) == ["lambat"]
    assert received(desk.users[fast]) == ["cepat"]


async def test_a_user_who_blocked_the_bot_is_flagged_to_the_admins(desk: Desk) -> None:
    member = next(m for m in desk.users if m != desk.admin_id)
    desk.users[member].block_bot()
    desk.queue(member, ["disposisi"])
    await deliver_until_quiet(desk, desk.sender(), within=30)
    with desk.database.transaction() as session:
        row = session.get(MemberRow, member)
        assert row is not None
        assert row.blocked_at is not None
    (notice,) = received(desk.users[desk.admin_id])
    assert notice.startswith("⚠️ Pegawai")
    assert "memblokir bot" in notice


async def test_a_message_telegram_refuses_is_failed_and_reported(desk: Desk) -> None:
    member = next(m for m in desk.users if m != desk.admin_id)
    desk.queue(member, [" \n "])  # no text at all: Telegram refuses it however it is sent
    await deliver_until_quiet(desk, desk.sender(), within=30)
    assert desk.states() == {"failed": 1, "sent": 1}
    (notice,) = received(desk.users[desk.admin_id])
    assert "tidak dapat dikirim" in notice


async def test_html_telegram_cannot_parse_arrives_as_plain_text(desk: Desk) -> None:
    member = next(m for m in desk.users if m != desk.admin_id)
    desk.queue(member, ["Nilai a < b &amp; <b>c", "<b>" + "x" * 5000 + "<b>"])
    await deliver_until_quiet(desk, desk.sender(), within=30)
    assert desk.states() == {"sent": 2}
    assert received(desk.users[member]) == ["Nilai a < b & c", "x" * 4096, "x" * 904]
    assert received(desk.users[desk.admin_id]) == []


async def test_two_senders_on_postgresql_send_each_message_once_in_order(
    postgres_database: Database,
) -> None:
    async with BotApiEmulator() as emulator:
        bot = Bot(
            emulator.token,
            base_url=emulator.base_url,
            base_file_url=emulator.base_file_url,
            request=HTTPXRequest(connection_pool_size=POOL),
        )
        async with bot:
            database = postgres_database
            users: dict[int, SimulatedUser] = {}
            with database.transaction() as session:
                agency = AgencyRow(key="uji", name="Uji", timezone="Asia/Jakarta", created_at=NOW)
                session.add(agency)
                session.flush()
                assert agency.id is not None
                for index in range(8):
                    user = emulator.add_user(f"P{index}", started=True)
                    member = MemberRow(
                        agency_id=agency.id,
                        name=f"P{index}",
                        telegram_user_id=user.id,
                        created_at=NOW,
                    )
                    session.add(member)
                    session.flush()
                    assert member.id is not None
                    users[member.id] = user
            desk = Desk(emulator, bot, database, users, admin_id=-1)
            for member_id in users:
                desk.queue(member_id, [f"{member_id}:{n}" for n in range(12)])
            first, second = desk.sender(), desk.sender()
            await deliver_until_quiet(desk, first, second, within=120)
            assert desk.states() == {"sent": 96}
            for member_id, user in users.items():
                assert received(user) == [f"{member_id}:{n}" for n in range(12)]
            with database.transaction() as session:
                owners = {
                    r.lease_owner
                    for r in session.exec(
                        select(OutboxRow).where(col(OutboxRow.lease_owner).is_not(None))
                    )
                }
            assert owners == set()  # every lease released


async def test_a_row_locked_by_another_sender_is_not_overtaken(desk: Desk) -> None:
    """PostgreSQL skips rows another sender has locked: the rows after one must wait for it.

    Two senders scanning at once can lock one member's rows alternately (SKIP LOCKED); the
    sender that got rows 1 and 3 must send 1 only, or 3 would arrive before 2.
    """
    if desk.database.is_sqlite:
        pytest.skip("SQLite has no row locks: one sender per database file")
    member = next(m for m in desk.users if m != desk.admin_id)
    desk.queue(member, ["satu", "dua", "tiga"])
    with desk.database.transaction() as session:
        ids = session.exec(
            select(OutboxRow.id).where(OutboxRow.member_id == member).order_by(col(OutboxRow.id))
        ).all()
    other = desk.database.engine.connect()
    try:
        held = other.begin()
        # The other sender, mid-scan: it has locked the second row and not yet claimed it.
        other.execute(select(OutboxRow.id).where(OutboxRow.id == ids[1]).with_for_update()).all()
        sender = desk.sender()
        assert await sender.deliver_pending() == 1
        assert received(desk.users[member]) == ["satu"]
        held.rollback()
    finally:
        other.close()
    await deliver_until_quiet(desk, sender)
    assert received(desk.users[member]) == ["satu", "dua", "tiga"]


async def test_an_error_that_echoes_the_token_is_kept_and_told_without_it(desk: Desk) -> None:
    """An upstream error that repeats the request URL (lower-cased, as PTB shows it) reaches
    neither the outbox row nor the admins' notice with the token in it."""
    install_token_redaction(desk.bot.token)
    member = next(m for m in desk.users if m != desk.admin_id)
    desk.queue(member, ["satu"])
    echo = f"Bad Gateway at /bot{desk.bot.token.lower()}/sendmessage"
    desk.emulator.faults.fail_for(60, ServerError(status=502, description=echo))
    sender = desk.sender()
    for _ in range(3):
        await sender.deliver_pending()
        with desk.database.transaction() as session:
            for row in session.exec(select(OutboxRow)).all():
                row.not_before = None  # try again now rather than after the back-off
                session.add(row)
    with desk.database.transaction() as session:
        errors = [row.last_error or "" for row in session.exec(select(OutboxRow)).all()]
    assert any("Bad Gateway" in error for error in errors)
    secret = desk.bot.token.split(":", 1)[1].lower()
    assert not [error for error in errors if secret in error.lower()]
