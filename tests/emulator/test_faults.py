"""Fault injection and flood limits: what a bot must survive, made deterministic."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import telegram
from telegram.error import NetworkError, RetryAfter, TimedOut

from sopbot.delivery.flood import TELEGRAM_LIMITS
from sopbot.emulator import (
    BotApiEmulator,
    DropConnection,
    Hang,
    ServerError,
    SimulatedUser,
    TooManyRequests,
)
from tests.emulator import bot_for, running_emulator


class ManualClock:
    """A clock that moves only when the test says so: flood limits become exact."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def budi(emulator: BotApiEmulator) -> SimulatedUser:
    """A person the bot may write to."""
    return emulator.add_user("Budi", started=True)


@pytest.fixture(autouse=True)
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB 23's timedelta retry_after.

    PTB 22 warns (PTBDeprecationWarning) whenever it builds a RetryAfter without this, and
    warnings are errors here: a 429 would surface as the warning instead of RetryAfter.
    """
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


def retry_seconds(error: RetryAfter) -> float:
    """The wait PTB read from parameters.retry_after, in seconds."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def test_a_server_error_then_success(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    emulator.faults.fail_next("sendMessage", ServerError(500), times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(budi.id, "Halo")
    await bot.send_message(budi.id, "Halo")
    assert [call.status for call in emulator.calls_to("sendMessage")] == [500, 500, 200]
    assert [m.text for m in budi.messages()] == ["Halo"]  # failed calls sent nothing
    assert emulator.faults.count(ServerError) == 2


async def test_a_429_carries_retry_after(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    emulator.faults.fail_next("sendmessage", TooManyRequests(retry_after=7))
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(budi.id, "Halo")
    assert retry_seconds(refused.value) == 7
    assert emulator.calls_to("sendMessage")[0].description == "Too Many Requests: retry after 7"
    await bot.send_message(budi.id, "Halo")


async def test_faults_for_a_while_cover_every_method(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    clock = ManualClock()
    emulator.faults.clock = clock
    emulator.faults.fail_for(30, ServerError(502, "Bad Gateway"))
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.get_me()
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(budi.id, "Halo")
    clock.now += 30
    await bot.send_message(budi.id, "Halo")
    emulator.faults.fail_for(30, ServerError(), method="getMe")
    await bot.send_message(budi.id, "Halo lagi")
    emulator.faults.clear()
    await bot.get_me()


async def test_a_hung_call_times_out_in_the_client(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    emulator.faults.fail_next("sendMessage", Hang())
    with pytest.raises(TimedOut):
        await bot.send_message(budi.id, "Halo", read_timeout=0.3)
    await bot.send_message(budi.id, "Halo")
    assert [m.text for m in budi.messages()] == ["Halo"]


async def test_a_dropped_connection_is_a_network_error(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    emulator.faults.fail_next("getUpdates", DropConnection())
    with pytest.raises(NetworkError):
        await bot.get_updates()
    assert await bot.get_updates() == ()
    assert emulator.faults.count(DropConnection) == 1


async def test_a_hung_long_poll_ends_when_the_emulator_stops() -> None:
    async with running_emulator() as emulator, bot_for(emulator) as bot:
        emulator.faults.fail_next("getUpdates", Hang())
        poll = asyncio.create_task(bot.get_updates(timeout=10, read_timeout=20))
        await emulator.wait_until(lambda: emulator.faults.count(Hang) == 1)
        await emulator.stop()
        with pytest.raises(NetworkError):
            await poll


async def test_flood_limits_in_a_private_chat_allow_a_burst_then_one_per_second(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    clock = ManualClock()
    emulator.faults.enable_flood_limits(TELEGRAM_LIMITS, clock=clock)
    for number in range(3):
        await bot.send_message(budi.id, f"pesan {number}")
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(budi.id, "pesan 3")
    assert retry_seconds(refused.value) == 1
    # The call log keeps the wait it gave, for checks that the bot waited it out.
    assert emulator.calls_to("sendMessage")[-1].retry_after == 1
    siti = emulator.add_user("Siti", started=True)
    await bot.send_message(siti.id, "chat lain, jatah lain")
    clock.now += 1
    sent = await bot.send_message(budi.id, "pesan 3")
    with pytest.raises(RetryAfter):
        await bot.edit_message_text("pesan 3 (diubah)", budi.id, sent.message_id)
    assert emulator.faults.flood_refusals == 2
    assert [m.text for m in budi.messages()] == [f"pesan {n}" for n in range(4)]


async def test_flood_limits_in_a_group_and_overall(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    clock = ManualClock()
    emulator.faults.enable_flood_limits(TELEGRAM_LIMITS, clock=clock)
    group = emulator.add_group("Sekretariat")
    for number in range(20):
        await bot.send_message(group.chat_id, f"pengumuman {number}")
        clock.now += 0.5
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(group.chat_id, "pengumuman 20")
    assert 1 <= retry_seconds(refused.value) <= 60
    clock.now += 60
    await bot.send_message(group.chat_id, "pengumuman 20")
    # 30 messages a second overall, whatever the chats.
    people = [emulator.add_user(f"Pegawai {n}", started=True) for n in range(31)]
    clock.now += 5
    for person in people[:29]:  # the group message above was one of this second's 30
        await bot.send_message(person.id, "Pengumuman")
    await bot.send_message(people[29].id, "Pengumuman")
    with pytest.raises(RetryAfter):
        await bot.send_message(people[30].id, "Pengumuman")
    assert emulator.faults.flood_refusals == 2
    emulator.faults.disable_flood_limits()
    await bot.send_message(people[30].id, "Pengumuman")
