"""Webhooks: updates POSTed with the secret header, retried until 2xx, and back to polling."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import telegram
import tornado.web
from telegram.error import BadRequest, Conflict
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from sopbot.emulator import BotApiEmulator

AGREED_HEADER = "rahasia-123_ABC"  # what setWebhook's secret_token asks Telegram to send
COLON_SHAPED = "123456:ABC"  # ':' is not allowed in a secret token


class BotEndpoint:
    """A small webhook receiver: records every POST, answers with the status it is told."""

    def __init__(self) -> None:
        self.received: list[tuple[str | None, dict[str, Any]]] = []
        self.statuses: list[int] = []  # answers to give, in order; then 200
        self.url = ""
        self._server: HTTPServer | None = None

    async def start(self) -> None:
        """Listen on a free port."""
        endpoint = self

        class Receiver(tornado.web.RequestHandler):
            def post(self) -> None:
                endpoint.received.append(
                    (
                        self.request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                        json.loads(self.request.body),
                    )
                )
                self.set_status(endpoint.statuses.pop(0) if endpoint.statuses else 200)

        sockets = bind_sockets(0, "127.0.0.1")
        self._server = HTTPServer(tornado.web.Application([(r"/hook", Receiver)]))
        self._server.add_sockets(sockets)
        self.url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}/hook"

    async def stop(self) -> None:
        """Stop listening and close connections."""
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    """A running emulator that retries failed webhook deliveries quickly (replaces the shared
    fixture here; the shared `bot` talks to this one)."""
    async with BotApiEmulator(webhook_retry_delay=0.02) as running:
        yield running


@pytest.fixture
async def endpoint() -> AsyncIterator[BotEndpoint]:
    """The bot's webhook receiver."""
    receiver = BotEndpoint()
    await receiver.start()
    yield receiver
    await receiver.stop()


async def test_updates_are_posted_with_the_secret_until_the_webhook_is_deleted(
    emulator: BotApiEmulator, bot: telegram.Bot, endpoint: BotEndpoint
) -> None:
    budi = emulator.add_user("Budi")
    budi.send_text("sebelum")  # pending before the webhook: delivered once it is set
    assert await bot.set_webhook(endpoint.url, secret_token=AGREED_HEADER)
    info = await bot.get_webhook_info()
    assert info.url == endpoint.url
    budi.send_text("/start")
    await emulator.wait_until(lambda: len(endpoint.received) == 2)
    assert [secret for secret, _ in endpoint.received] == [AGREED_HEADER] * 2
    assert [update["message"]["text"] for _, update in endpoint.received] == [
        "sebelum",
        "/start",
    ]
    assert telegram.Update.de_json(endpoint.received[1][1], bot).message is not None
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    assert emulator.calls_to("getUpdates")[-1].description == (
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
        "delete the webhook first"
    )
    await emulator.wait_until(lambda: emulator.pending_update_count == 0)
    assert await bot.delete_webhook()
    budi.send_text("sesudah")
    updates = await bot.get_updates(timeout=1)
    assert [u.message.text for u in updates if u.message] == ["sesudah"]
    assert len(endpoint.received) == 2
    assert (await bot.get_webhook_info()).url == ""


async def test_a_failing_webhook_gets_the_update_again(
    emulator: BotApiEmulator, bot: telegram.Bot, endpoint: BotEndpoint
) -> None:
    endpoint.statuses = [500, 502]
    await bot.set_webhook(endpoint.url)
    emulator.add_user("Budi").send_text("halo")
    await emulator.wait_until(lambda: len(endpoint.received) == 3)
    assert len({update["update_id"] for _, update in endpoint.received}) == 1
    assert [d.status for d in emulator.webhook_deliveries] == [500, 502, 200]
    assert endpoint.received[0][0] is None  # no secret was set, so no header
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 502 Bad Gateway"
    await emulator.wait_until(lambda: emulator.pending_update_count == 0)


async def test_pending_updates_wait_for_polling_or_are_dropped(
    emulator: BotApiEmulator, bot: telegram.Bot, endpoint: BotEndpoint
) -> None:
    endpoint.statuses = [500] * 1000  # the bot's endpoint is broken
    await bot.set_webhook(endpoint.url)
    budi = emulator.add_user("Budi")
    budi.send_text("satu")
    await emulator.wait_until(lambda: len(endpoint.received) >= 1)
    assert (await bot.get_webhook_info()).pending_update_count == 1
    await bot.delete_webhook()
    assert [u.message.text for u in await bot.get_updates() if u.message] == ["satu"]
    budi.send_text("dua")
    await bot.set_webhook(endpoint.url, drop_pending_updates=True)
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()


async def test_webhook_settings_are_checked(bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)secret token contains unallowed characters"):
        await bot.set_webhook("https://contoh.go.id/hook", secret_token=COLON_SHAPED)
    with pytest.raises(BadRequest, match=r"(?i)https url must be provided"):
        await bot.set_webhook("ftp://contoh.go.id/hook")
