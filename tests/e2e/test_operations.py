"""Operations, end to end: the real bot against the emulator moves its metrics as officials
work, and its health server says it is ready."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from sopbot.bot.health_server import bind_health_port, bound_port, health_server
from sopbot.bot.lifecycle import running
from sopbot.delivery import metrics
from sopbot.demo.officials import Official
from sopbot.demo.scenario import World, start_procedure
from sopbot.emulator import BotApiEmulator
from sopbot.engine.library import SopLibrary
from sopbot.storage.database import Database
from tests.e2e.test_webhook_and_more import bot_with_webhook

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def read(text: str) -> Samples:
    """The samples of an exposition text, as Prometheus reads them."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


async def sent_since(before: Samples, count: int) -> Samples:
    """The samples once `count` more messages were sent: a person sees a message as the
    emulator takes it, a moment before the bot reads Telegram's answer and counts it."""
    async with asyncio.timeout(10):  # a guard against hanging, not a timing assertion
        while True:
            now = read(metrics.exposition().decode())
            if delta(before, now, "sopbot_messages_sent_total", method="sendMessage") >= count:
                return now
            await asyncio.sleep(0.01)


async def test_an_officials_command_moves_the_metrics_and_the_bot_is_ready(
    pengolahan: World,
) -> None:
    parts = pengolahan.parts
    sockets = bind_health_port("127.0.0.1", 0)
    async with (
        health_server(sockets, database=parts.database, bot=parts.application.bot),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{bound_port(sockets)}") as client,
    ):
        before = read((await client.get("/metrics")).text)
        await start_procedure(pengolahan)  # /mulai, the SOP, the title, the note: then settled
        await sent_since(before, 4)
        ready = await client.get("/readyz")
        after = read((await client.get("/metrics")).text)

    assert ready.status_code == 200, ready.text
    assert ready.json() == {
        "ready": True,
        "checks": {"database": "ok", "schema": "ok", "bot_api": "ok"},
    }
    assert delta(before, after, "sopbot_transitions_total") > 0
    assert delta(before, after, "sopbot_bot_api_calls_total", method="getUpdates", result="ok") > 0
    assert delta(before, after, "sopbot_telegram_429_total", method="sendMessage") == 0
    assert delta(before, after, "sopbot_errors_total", where="handler") == 0
    assert after[("sopbot_outbox_backlog", ())] == 0  # settled: everything was delivered
    assert after[("sopbot_inbox_backlog", ())] == 0


async def test_the_inbox_counts_the_updates_it_receives_and_handles(pengolahan: World) -> None:
    before = read(metrics.exposition().decode())
    await start_procedure(pengolahan)
    after = read(metrics.exposition().decode())
    assert delta(before, after, "sopbot_updates_received_total", source="polling") >= 4
    assert delta(before, after, "sopbot_updates_handled_total", outcome="handled") >= 4
    assert delta(before, after, "sopbot_update_handling_seconds_count") >= 4


async def test_updates_by_webhook_are_counted_as_they_are_stored(
    library: SopLibrary, database: Database, tmp_path: Path
) -> None:
    async with BotApiEmulator() as emulator:
        parts, webhook = bot_with_webhook(emulator, database, library, tmp_path)
        async with running(parts, webhook=webhook):
            before = read(metrics.exposition().decode())
            stranger = Official(emulator.add_user("Orang", "Asing"), "-")
            await stranger.say("halo")  # answered: the polite no for strangers
            after = await sent_since(before, 1)
    assert delta(before, after, "sopbot_updates_received_total", source="webhook") == 1
    assert delta(before, after, "sopbot_updates_received_total", source="polling") == 0
    assert delta(before, after, "sopbot_messages_sent_total", method="sendMessage") == 1
