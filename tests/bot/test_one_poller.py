"""Polling is one worker: a second `sopbot run` that would poll the same bot stops, saying why.

Each case runs `sopbot run` as child processes against the emulator, which answers an
overlapping getUpdates with 409 Conflict as Telegram does.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sopbot.emulator import BotApiEmulator
from tests.helpers.databases import empty_postgres, postgres_url
from tests.helpers.sopbot_run import finish, read_until, start_sopbot_run

SECRET = "uji-" + "p" * 40
RUNNING = "sopbot is running"


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as running_emulator:
        yield running_emulator


def _bot(emulator: BotApiEmulator) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{emulator.port}",
    }


async def _stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    return await finish(process)


async def _second_is_refused(tmp_path: Path, refusal: str, **settings: str) -> None:
    """A first `sopbot run` polls; a second with the same settings stops with `refusal`,
    and the first goes on."""
    first = await start_sopbot_run(tmp_path, **settings)
    await read_until(first, RUNNING)
    second = await start_sopbot_run(tmp_path, **settings)
    code, output = await finish(second)
    assert code == 2, output
    assert refusal in output
    assert "Traceback" not in output
    assert first.returncode is None
    code, output = await _stop(first)
    assert code == 0, output


async def test_a_second_poller_elsewhere_meets_telegrams_409_and_stops(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    # Two databases: nothing but Telegram can tell them apart.
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = await start_sopbot_run(tmp_path / "one", **_bot(emulator))
    await read_until(first, RUNNING)
    # The first has polled a while: someone wrote, and it answered.
    stranger = emulator.add_user("Orang Asing")
    stranger.send_text("halo")
    await stranger.wait_for_bot_messages(1, timeout=30)
    await emulator.wait_until(lambda: emulator.waiting_polls > 0, timeout=30)
    second = await start_sopbot_run(tmp_path / "two", **_bot(emulator))
    code, output = await finish(second)
    assert code == 2, output
    assert "another process is polling this bot (409 Conflict" in output
    assert "Traceback" not in output
    # The first goes on polling, alone again.
    await emulator.wait_until(lambda: emulator.waiting_polls > 0, timeout=30)
    assert first.returncode is None
    code, output = await _stop(first)
    assert code == 0, output


async def test_a_second_process_on_the_same_sqlite_file_is_refused(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    await _second_is_refused(
        tmp_path, "Another sopbot process serves this SQLite database", **_bot(emulator)
    )


@pytest.mark.skipif(postgres_url() is None, reason="the shared database is PostgreSQL")
async def test_a_second_poller_on_the_same_postgresql_database_is_refused(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    base = postgres_url()
    assert base is not None
    with empty_postgres(base) as database:
        url = database.url.render_as_string(hide_password=False)
        await _second_is_refused(
            tmp_path,
            "Another sopbot process polls this bot on this database",
            DATABASE_URL=url,
            **_bot(emulator),
        )


@pytest.mark.skipif(postgres_url() is None, reason="the shared database is PostgreSQL")
async def test_a_poller_does_not_start_beside_webhook_workers(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    base = postgres_url()
    assert base is not None
    with empty_postgres(base) as database:
        url = database.url.render_as_string(hide_password=False)
        worker = await start_sopbot_run(
            tmp_path,
            DATABASE_URL=url,
            WEBHOOK_URL="http://127.0.0.1:9/",
            WEBHOOK_SECRET=SECRET,
            WEBHOOK_PORT="0",
            **_bot(emulator),
        )
        await read_until(worker, RUNNING)
        poller = await start_sopbot_run(tmp_path, DATABASE_URL=url, **_bot(emulator))
        code, output = await finish(poller)
        assert code == 2, output
        assert "Webhook workers are running for this bot on this database" in output
        assert emulator.state.webhook is not None  # their webhook stays set
        code, output = await _stop(worker)
        assert code == 0, output
